"""AWS calls served by moto in the same process: no socket, no HTTP server, same answers.

Inside the embedded emulator's process, the chat's handlers and moto's own Step Functions
engine call DynamoDB, EventBridge and Step Functions with ordinary boto3 clients pointed at
the emulator's URL. Over HTTP each call cost a loopback connection, werkzeug's request
handling and a server thread: most of the emulator's CPU per chat message. ``attach`` gives a
client a ``before-send`` handler that hands the signed request botocore built to moto's
response class for the service, in this thread, exactly as moto's server would after parsing
the HTTP request (moto's own ``mock_aws`` serves requests the same way). The request is still
serialized and signed and the response still parsed by botocore, so errors, retries and
exceptions are boto3's, unchanged; a service not listed in ``SERVICES`` goes over HTTP as before.

Checked against moto 5.2.5 (``moto.{service}.urls.url_paths``, ``moto.core.request.
normalize_request``); ``tests/integration/test_inprocess.py`` fails if either changes shape.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import Any

from botocore.awsrequest import AWSPreparedRequest, AWSResponse

#: Services served in-process, by botocore's service id (as in ``before-send.{id}.{op}``) to
#: moto's module: the ones on the chat's message path, each one URL pattern in moto, so the
#: service alone picks the response class.
SERVICES = {"dynamodb": "dynamodb", "eventbridge": "events", "sfn": "stepfunctions", "sts": "sts"}

HANDLER_ID = "chatserver-inprocess"

Dispatch = Callable[[Any, str, Any], tuple[int, dict[str, str], Any]]


@functools.cache
def _dispatch_for(service: str) -> Dispatch:
    """moto's request handler for ``service`` (the only entry of its ``url_paths``)."""
    paths = importlib.import_module(f"moto.{service}.urls").url_paths
    (dispatch,) = paths.values()
    return dispatch  # type: ignore[no-any-return]


def serve(request: AWSPreparedRequest, event_name: str, **_: Any) -> AWSResponse | None:
    """botocore's ``before-send`` hook: moto's answer to ``request``, or None (send it)."""
    from moto.core.botocore_stubber import MockRawResponse
    from moto.core.exceptions import HTTPException
    from moto.core.request import normalize_request

    service = SERVICES.get(event_name.split(".")[1])
    if service is None:
        return None
    normalized = normalize_request(request)
    try:
        status, headers, body = _dispatch_for(service)(
            normalized, normalized.raw_url, normalized.headers
        )
    except HTTPException as exc:
        status, headers, body = exc.code, exc.get_headers(), exc.get_body()
    return AWSResponse(request.url, status, headers, MockRawResponse(body))  # type: ignore[arg-type]


def attach(client: Any) -> Any:
    """Serve ``client``'s calls to the listed services in-process (idempotent); the client."""
    client.meta.events.register_first("before-send", serve, unique_id=HANDLER_ID)
    return client


class _AttachingBoto3:
    """Stands in for the ``boto3`` module in moto's task-client factory: clients it builds
    are served in-process."""

    def __init__(self, boto3_module: Any) -> None:
        self._boto3 = boto3_module

    def client(self, *args: Any, **kwargs: Any) -> Any:
        return attach(self._boto3.client(*args, **kwargs))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._boto3, name)


def serve_engine_tasks() -> None:
    """Serve the Step Functions engine's SDK tasks (the room query) in-process too.

    moto's engine builds its task clients with ``boto3.client(...)`` in one module
    (``asl.utils.boto_client``), pointed at its own server port; that module's ``boto3`` is
    wrapped so every client it builds gets ``attach``. Import the engine first.
    """
    from moto.stepfunctions.parser.asl.utils import boto_client

    if not isinstance(boto_client.boto3, _AttachingBoto3):
        boto_client.boto3 = _AttachingBoto3(boto_client.boto3)
