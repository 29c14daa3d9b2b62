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
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from chatserver.chat.clock import iso_ms
from chatserver.chat.ids import CONNECTION_ID_PATTERN
from chatserver.errors import (
    BadRequest,
    ChatError,
    ClosedByApi,
    ConnectionGone,
    Forbidden,
    LimitExceeded,
    PayloadTooLarge,
)
from chatserver.gateway import sigv4
from chatserver.gateway.live import LiveConnection
from chatserver.gateway.state import Gateway

router = APIRouter()


def aws_error_response(error: ChatError) -> JSONResponse:
    """An error as AWS REST-JSON services send it."""
    return JSONResponse(
        {"message": error.message},
        status_code=error.http_status,
        headers={"x-amzn-ErrorType": error.aws_error_type},
    )


async def _admit(request: Request) -> None:
    """AWS's checks before any @connections call: a SigV4 signature, then the rate limit."""
    gateway: Gateway = request.app.state.gateway
    settings = gateway.settings
    headers = {name.lower(): value for name, value in request.headers.items()}
    if settings.verify_signatures:
        sigv4.verify(
            method=request.method,
            raw_path=request.scope.get("raw_path", b"").decode("latin-1") or request.url.path,
            query_string=request.scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            body=await request.body(),
            access_key_id=settings.aws_access_key_id,
            secret_access_key=settings.aws_secret_access_key,
        )
    else:
        sigv4.require_signature(headers)
    if not gateway.management_throttle.try_acquire():
        raise LimitExceeded("Too Many Requests")


async def _connection(request: Request, stage: str, connection_id: str) -> LiveConnection:
    gateway: Gateway = request.app.state.gateway
    if stage != gateway.settings.stage:
        raise Forbidden("Forbidden")
    await _admit(request)
    if not CONNECTION_ID_PATTERN.match(connection_id):
        raise BadRequest(f"Invalid connectionId: {connection_id}")
    live = gateway.connections.get(connection_id)
    if live is None:
        raise ConnectionGone(f"connection {connection_id} is gone")
    return live


@router.post("/{stage}/@connections/{connection_id}")
async def post_to_connection(request: Request, stage: str, connection_id: str) -> Response:
    try:
        gateway: Gateway = request.app.state.gateway
        live = await _connection(request, stage, connection_id)
        data = await request.body()
        if len(data) > gateway.settings.post_size_limit:
            raise PayloadTooLarge(
                f"payload of {len(data)} bytes exceeds {gateway.settings.post_size_limit}"
            )
        payload: str | bytes
        try:
            payload = data.decode("utf-8")
        except UnicodeDecodeError:
            payload = data
        if not live.send(payload):
            raise ConnectionGone(f"connection {connection_id} is gone")
    except ChatError as error:
        return aws_error_response(error)
    return Response(status_code=200)


@router.get("/{stage}/@connections/{connection_id}")
async def get_connection(request: Request, stage: str, connection_id: str) -> Response:
    try:
        live = await _connection(request, stage, connection_id)
    except ChatError as error:
        return aws_error_response(error)
    identity: dict[str, Any] = {"sourceIp": live.info.source_ip}
    if live.info.user_agent is not None:
        identity["userAgent"] = live.info.user_agent
    return JSONResponse(
        {
            "connectedAt": iso_ms(live.info.connected_at),
            "identity": identity,
            "lastActiveAt": iso_ms(live.last_active_at),
        }
    )


@router.delete("/{stage}/@connections/{connection_id}")
async def delete_connection(request: Request, stage: str, connection_id: str) -> Response:
    try:
        live = await _connection(request, stage, connection_id)
    except ChatError as error:
        return aws_error_response(error)
    live.close(ClosedByApi("Connection Closed Normally"))
    return Response(status_code=204)
