"""Lambda's Invoke API, served by the gateway for its local functions.

``POST /2015-03-31/functions/{name}/invocations`` is the path boto3's ``lambda`` client and
the AWS CLI call. It serves outside callers: the chat's own invocations go over the emulator's
link (``linked_runtime``) or stay in this process. Developers can call a handler by hand::

    aws lambda invoke --endpoint-url http://127.0.0.1:8080 --function-name chat-broadcast ...

As on AWS, a handler that raises answers 200 with ``X-Amz-Function-Error: Unhandled`` and an
error payload; ``X-Amz-Invocation-Type: Event`` answers 202 at once and runs in background.
Served as bare ASGI by ``GatewayApp``.
"""

from __future__ import annotations

import json
import re

from chatserver.errors import (
    ChatError,
    FunctionNotFound,
    InvalidRequestContent,
    RequestTooLarge,
    ServiceUnavailable,
)
from chatserver.gateway.asgi import (
    JSON_TYPE,
    Receive,
    Scope,
    Send,
    header,
    read_body,
    respond,
    respond_aws_error,
)
from chatserver.gateway.lambda_runtime import UnknownFunction
from chatserver.gateway.state import Gateway

PATH_PREFIX = "/2015-03-31/functions/"
_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations$")
#: Lambda's synchronous payload limit.
MAX_PAYLOAD = 6 * 1024 * 1024


async def serve(gateway: Gateway, scope: Scope, receive: Receive, send: Send) -> bool:
    """Answer a request if it is an Invoke call (True), else leave it (False)."""
    match = _PATH.match(scope["path"])
    if match is None or scope["method"] != "POST":
        return False
    try:
        status, body, headers = await _invoke(gateway, match["name"], scope, receive)
    except ChatError as error:
        await respond_aws_error(
            send,
            error.http_status,
            error.aws_error_type,
            {"Type": "User", "message": error.message},
        )
    else:
        await respond(send, status, body, headers)
    return True


async def _invoke(
    gateway: Gateway, name: str, scope: Scope, receive: Receive
) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
    if gateway.runtime is None:
        raise ServiceUnavailable("the local Lambda runtime is starting")
    try:
        spec = gateway.runtime.resolve(name)
    except UnknownFunction:
        raise FunctionNotFound(f"Function not found: {name}") from None
    raw, size = await read_body(receive, MAX_PAYLOAD)
    if size > MAX_PAYLOAD:
        raise RequestTooLarge("Request must be smaller than 6 MB")
    try:
        event = json.loads(raw) if raw else {}
    except ValueError:
        raise InvalidRequestContent("Could not parse payload") from None
    if header(scope, b"x-amz-invocation-type").lower() == "event":
        gateway.runtime.invoke_later(spec, event)
        return 202, b"", []
    invocation = await gateway.runtime.invoke(spec, event)
    headers = [JSON_TYPE, (b"x-amz-executed-version", b"$LATEST")]
    payload, function_error = invocation.payload(spec)
    if function_error is not None:
        headers.append((b"x-amz-function-error", function_error.encode()))
    return 200, json.dumps(payload).encode(), headers
