"""API Gateway's @connections management API, as boto3's ``apigatewaymanagementapi`` client
calls it with ``endpoint_url=http://HOST:PORT/{stage}``.

- ``POST /{stage}/@connections/{id}``: send the body to the client (200);
  over ``post_size_limit``: 413 PayloadTooLargeException.
- ``GET``: ``connectedAt``, ``lastActiveAt`` (ISO-8601) and ``identity`` (200).
- ``DELETE``: close the client's socket (204); its ``$disconnect`` runs.
- An id that is closed or never existed: 410 GoneException; a malformed id: 400.

Every call must be SigV4-signed (403 ForbiddenException otherwise; signatures are verified
when ``CHAT_VERIFY_SIGNATURES`` is on) and calls past ``CHAT_MANAGEMENT_RATE_LIMIT`` per
second answer 429 LimitExceededException.

Errors carry ``x-amzn-ErrorType``, which AWS SDKs turn into typed exceptions, and a JSON
``message``. Clients send the id URL-encoded (``%40connections``, ``=`` as ``%3D``); the
path is decoded before routing.

This API carries one call per recipient of every message, so it is served as bare ASGI by
``GatewayApp`` (``dispatch``), in front of FastAPI: no routing table, dependency injection or
middleware stack for the hottest request of the gateway.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from chatserver.chat.clock import iso_ms
from chatserver.chat.ids import CONNECTION_ID_PATTERN
from chatserver.errors import (
    BadRequest,
    ChatError,
    ClosedByApi,
    ConnectionGone,
    Forbidden,
    LimitExceeded,
    MethodNotAllowed,
    PayloadTooLarge,
)
from chatserver.gateway import sigv4
from chatserver.gateway.asgi import (
    JSON_TYPE,
    Receive,
    Scope,
    Send,
    read_body,
    respond,
    respond_aws_error,
)
from chatserver.gateway.live import LiveConnection

if TYPE_CHECKING:
    from chatserver.gateway.state import Gateway

_PATH = re.compile(r"^/(?P<stage>[^/]+)/@connections/(?P<id>[^/]+)$")


async def serve(gateway: Gateway, scope: Scope, receive: Receive, send: Send) -> bool:
    """Answer a request if it is an @connections call (True), else leave it (False)."""
    match = _PATH.match(scope["path"])
    if match is None:
        return False
    try:
        status, body = await _handle(gateway, scope, receive, match["stage"], match["id"])
    except ChatError as error:
        await respond_aws_error(
            send, error.http_status, error.aws_error_type, {"message": error.message}
        )
    else:
        await respond(send, status, body, [JSON_TYPE] if body else [])
    return True


async def _handle(
    gateway: Gateway, scope: Scope, receive: Receive, stage: str, connection_id: str
) -> tuple[int, bytes]:
    method = scope["method"]
    settings = gateway.settings
    if stage != settings.stage:
        raise Forbidden("Forbidden")
    headers = {
        name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]
    }
    body, size = await read_body(receive, settings.post_size_limit)
    _check_size(gateway, size)
    _admit(gateway, scope, method, headers, body)
    if method not in ("POST", "GET", "DELETE"):
        raise MethodNotAllowed(f"{method} is not supported on @connections")
    live = _open_connection(gateway, connection_id)
    if method == "POST":
        return _post(live, body)
    if method == "GET":
        return 200, _describe(live)
    live.close(ClosedByApi("Connection Closed Normally"))
    return 204, b""


def _admit(
    gateway: Gateway, scope: Scope, method: str, headers: dict[str, str], body: bytes
) -> None:
    """AWS's checks before any @connections call: a SigV4 signature, then the rate."""
    settings = gateway.settings
    if settings.verify_signatures:
        sigv4.verify(
            method=method,
            raw_path=scope.get("raw_path", b"").decode("latin-1") or scope["path"],
            query_string=scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            body=body,
            access_key_id=settings.aws_access_key_id,
            secret_access_key=settings.aws_secret_access_key,
        )
    else:
        sigv4.require_signature(headers)
    _check_rate(gateway)


def _check_size(gateway: Gateway, size: int) -> None:
    limit = gateway.settings.post_size_limit
    if size > limit:
        raise PayloadTooLarge(f"payload of {size} bytes exceeds {limit}")


def _check_rate(gateway: Gateway) -> None:
    if not gateway.management_throttle.try_acquire():
        raise LimitExceeded("Too Many Requests")


def _open_connection(gateway: Gateway, connection_id: str) -> LiveConnection:
    """The open connection of that id; BadRequest for a malformed id, Gone for a closed one."""
    if not CONNECTION_ID_PATTERN.match(connection_id):
        raise BadRequest(f"Invalid connectionId: {connection_id}")
    live = gateway.connections.get(connection_id)
    if live is None:
        raise ConnectionGone(f"connection {connection_id} is gone")
    return live


def post_outcome(gateway: Gateway, connection_id: str, data: bytes) -> tuple[int, str, str]:
    """A post from this process (no HTTP, no signature): status, AWS error type, message, as
    the HTTP API would answer it (size, rate, id, gone checked in the same terms)."""
    try:
        _check_size(gateway, len(data))
        _check_rate(gateway)
        _post(_open_connection(gateway, connection_id), data)
    except ChatError as error:
        return error.http_status, error.aws_error_type or "", error.message
    return 200, "", ""


def _post(live: LiveConnection, data: bytes) -> tuple[int, bytes]:
    payload: str | bytes
    try:
        payload = data.decode("utf-8")
    except UnicodeDecodeError:
        payload = data
    if not live.send(payload):
        raise ConnectionGone(f"connection {live.connection_id} is gone")
    return 200, b""


def _describe(live: LiveConnection) -> bytes:
    identity: dict[str, Any] = {"sourceIp": live.info.source_ip}
    if live.info.user_agent is not None:
        identity["userAgent"] = live.info.user_agent
    return json.dumps(
        {
            "connectedAt": iso_ms(live.info.connected_at),
            "identity": identity,
            "lastActiveAt": iso_ms(live.last_active_at),
        }
    ).encode()
