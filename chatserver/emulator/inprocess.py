"""AWS calls served by moto in the same process: no socket, no HTTP server, same answers.

Inside the embedded emulator's process, the chat's handlers and moto's own Step Functions
engine call DynamoDB, EventBridge and Step Functions with ordinary boto3 clients pointed at
the emulator's URL. Over HTTP each call cost a loopback connection, werkzeug's request
handling and a server thread: most of the emulator's CPU per chat message. ``attach`` gives a
client a ``before-call`` handler (the hook botocore's own ``Stubber`` uses) that takes the
request botocore serialized, hands it to moto's response class for the service in this
thread, as moto's server would after reading it from a socket (and as moto's ``mock_aws``
does), and parses moto's answer with botocore's own parser for the operation. Parameters,
errors (modeled fields included, such as ``Item`` on ``ConditionalCheckFailedException``)
and exceptions are boto3's, unchanged.

What is skipped, because nothing leaves the process: the SigV4 signature (moto reads only the
access key and region of the ``Authorization`` header, which ``attach`` fills in), the HTTP
request object and its events, retries (moto does not throttle), response checksums, and the
user agent's rebuild for every call. A
service not in ``SERVICES`` goes over HTTP as before.

Checked against botocore 1.40 and moto 5.2.5 (``moto.{service}.urls.url_paths``,
``moto.core.request.Request.from_primitives``, ``botocore.endpoint.convert_to_response_dict``,
a client's ``_user_agent_creator``);
``tests/integration/test_inprocess.py`` fails if any of them changes shape.
"""

from __future__ import annotations

import collections
import functools
import importlib
from collections.abc import Callable
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.endpoint import convert_to_response_dict
from botocore.parsers import ResponseParser, create_parser

#: Services served in-process, by botocore's service id (as in ``before-call.{id}.{op}``) to
#: moto's module: the ones on the chat's message path, each one URL pattern in moto, so the
#: service alone picks the response class.
SERVICES = {"dynamodb": "dynamodb", "eventbridge": "events", "sfn": "stepfunctions", "sts": "sts"}

HANDLER_ID = "chatserver-inprocess"

Dispatch = Callable[[Any, str, Any], tuple[int, dict[str, str], Any]]


@functools.cache
def _dispatch_for(module: str) -> Dispatch:
    """moto's request handler for a service (the only entry of its ``url_paths``)."""
    paths = importlib.import_module(f"moto.{module}.urls").url_paths
    (dispatch,) = paths.values()
    return dispatch  # type: ignore[no-any-return]


@functools.cache
def _parser(protocol: str) -> ResponseParser:
    return create_parser(protocol)


#: Calls served in-process, by moto package (``SERVICES``' values); ``patches.in_use`` reads it.
SERVED: collections.Counter[str] = collections.Counter()


class InProcessCall:
    """One client's ``before-call`` handler: moto's answer to the call, parsed by botocore."""

    def __init__(self, module: str, authorization: str) -> None:
        self._module = module
        self._authorization = authorization

    def __call__(self, model: Any, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, Any]:
        from moto.core.botocore_stubber import MockRawResponse
        from moto.core.exceptions import HTTPException
        from moto.core.request import Request

        SERVED[self._module] += 1
        headers = {**params["headers"], "Authorization": self._authorization}
        request = Request.from_primitives(params["method"], params["url"], headers, params["body"])
        try:
            status, answer_headers, body = _dispatch_for(self._module)(
                request, request.raw_url, request.headers
            )
        except HTTPException as exc:
            status, answer_headers, body = exc.code, exc.get_headers(), exc.get_body()
        http = AWSResponse(params["url"], status, answer_headers, MockRawResponse(body))  # type: ignore[arg-type]
        response = convert_to_response_dict(http, model)
        parser = _parser(model.service_model.resolved_protocol)
        parsed = parser.parse(response, model.output_shape)
        if status >= 300:  # the fields an error shape models, as botocore's endpoint adds them
            code = parsed.get("Error", {}).get("Code")
            shape = model.service_model.shape_for_error_code(code) if code else None
            if shape is not None:
                parsed.update(parser.parse(response, shape))
        return http, parsed


def attach(client: Any) -> Any:
    """Serve ``client``'s calls in-process if moto serves its service here; the client."""
    service_id = client.meta.service_model.service_id.hyphenize()
    module = SERVICES.get(service_id)
    if module is None:
        return client
    # moto reads the access key only to pick an account (unknown keys: the default one).
    signer = getattr(client, "_request_signer", None)
    credentials = getattr(signer, "_credentials", None)
    access_key = getattr(credentials, "access_key", None) or "local"
    scope = f"{access_key}/20000101/{client.meta.region_name}/{service_id}/aws4_request"
    authorization = f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, Signature=0"
    client.meta.events.register_first(
        f"before-call.{service_id}", InProcessCall(module, authorization), unique_id=HANDLER_ID
    )
    creator = getattr(client, "_user_agent_creator", None)
    if creator is not None and not isinstance(creator, _FixedUserAgent):
        client._user_agent_creator = _FixedUserAgent(creator.to_string())
    return client


class _FixedUserAgent:
    """The user agent of an in-process client, built once.

    botocore rebuilds the ``User-Agent`` string for every call (about 40 us: it lists the
    features the call used); nothing reads it in-process, so the client's first one is kept.
    Replaces the client's private ``_user_agent_creator`` (botocore 1.40), which
    ``_convert_to_request_dict`` asks for ``to_string()``.
    """

    def __init__(self, value: str) -> None:
        self._value = value

    def to_string(self) -> str:
        return self._value

    def rebuild_and_replace_user_agent_handler(self, *_: Any, **__: Any) -> None:
        return None


class _AttachingBoto3:
    """Stands in for the ``boto3`` module in moto's task-client factory: clients it builds
    are served in-process."""

    def __init__(self, boto3_module: Any) -> None:
        self._boto3 = boto3_module

    def client(self, *args: Any, **kwargs: Any) -> Any:
        return attach(self._boto3.client(*args, **kwargs))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._boto3, name)


def attached(client: Any) -> bool:
    """Whether ``attach`` serves ``client``'s calls in-process."""
    return isinstance(getattr(client, "_user_agent_creator", None), _FixedUserAgent)


def serving_engine_tasks() -> bool:
    """Whether ``serve_engine_tasks`` wraps the engine's task-client factory."""
    from moto.stepfunctions.parser.asl.utils import boto_client

    return isinstance(boto_client.boto3, _AttachingBoto3)


def serve_engine_tasks() -> None:
    """Serve the Step Functions engine's SDK tasks (the room query) in-process too.

    moto's engine builds its task clients with ``boto3.client(...)`` in one module
    (``asl.utils.boto_client``), pointed at its own server port; that module's ``boto3`` is
    wrapped so every client it builds gets ``attach``. Import the engine first.
    """
    from moto.stepfunctions.parser.asl.utils import boto_client

    if not isinstance(boto_client.boto3, _AttachingBoto3):
        boto_client.boto3 = _AttachingBoto3(boto_client.boto3)
