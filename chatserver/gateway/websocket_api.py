"""The WebSocket API at ``/{stage}``: the connection lifecycle API Gateway runs around routes.

1. The handshake waits for ``$connect``: past the new-connection rate it is refused with 429;
   with an authorizer, the authorizer runs first (401/403/500, see ``authorization``); then a
   non-2xx result of ``$connect`` refuses it with that status (and the handler's body); a
   ``Sec-WebSocket-Protocol`` header in the result picks the subprotocol.
2. Each text frame is routed by ``$request.body.action`` and its handler invoked; a two-way
   route sends the handler's ``body`` back. Frames of one connection are handled concurrently
   (up to ``max_inflight_per_connection``, the next ones waiting in order), as API Gateway
   does not order them either. No frame is routed before ``$connect`` returned.
3. After the socket closed, for any reason, ``$disconnect`` runs with the close code and reason.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from typing import Any
from urllib.parse import parse_qsl

from starlette.responses import Response
from starlette.websockets import WebSocket

from chatserver import tracing
from chatserver.chat.clock import now_ms
from chatserver.chat.ids import new_aws_style_id
from chatserver.errors import UnsupportedData
from chatserver.gateway.authorization import authorize
from chatserver.gateway.events import ConnectionInfo
from chatserver.gateway.lambda_runtime import Invocation
from chatserver.gateway.live import LiveConnection
from chatserver.gateway.routing import select_route
from chatserver.gateway.state import Gateway
from chatserver.handlers.catalog import FunctionSpec

logger = logging.getLogger("chatserver.gateway")

#: Close code and reason reported to $disconnect when the socket dropped without a close frame.
ABNORMAL_CLOSURE = 1006


async def serve_connection(gateway: Gateway, websocket: WebSocket) -> None:
    """One WebSocket connection, from handshake to $disconnect."""
    if not gateway.ready or gateway.runtime is None:
        detail = gateway.backend.detail or "the backend is starting"
        await _refuse(websocket, 503, {"message": f"Service unavailable: {detail}"})
        return
    if not gateway.connection_throttle.try_acquire():
        await _refuse(websocket, 429, {"message": "Too Many Requests"})
        return
    info = _connection_info(websocket)
    if gateway.authorizer is not None:
        decision = await authorize(gateway, gateway.authorizer, info)
        if not decision.allowed:
            await _refuse(websocket, decision.status, {"message": decision.message})
            return
        info.authorizer = decision.context
    subprotocol: str | None = None
    connect_route = gateway.routes.get("$connect")
    if connect_route is not None:
        invocation = await gateway.runtime.invoke(
            connect_route,
            gateway.events.connect(info),
            timeout=_integration_timeout(gateway, connect_route),
        )
        status, body, headers = _proxy_result(invocation)
        if not 200 <= status < 300:
            await _refuse(websocket, status, body)
            return
        subprotocol = _header(headers, "Sec-WebSocket-Protocol")
    await websocket.accept(subprotocol=subprotocol)
    # Later events need none of the handshake's headers and query: free them for the
    # connection's lifetime.
    info.headers.clear()
    info.query.clear()
    websocket.scope["headers"] = []
    settings = gateway.settings
    live = LiveConnection(
        websocket,
        info,
        send_buffer_limit=settings.send_buffer_limit,
        idle_timeout=settings.idle_timeout,
        max_duration=settings.max_connection_duration,
    )
    gateway.connections.add(live)
    try:
        code, reason = await _receive_frames(gateway, live)
    finally:
        gateway.connections.remove(live)
        live.mark_gone()
    try:
        await _run_disconnect(gateway, live, code, reason)
    finally:
        live.finish()


async def refuse_unknown_path(gateway: Gateway, websocket: WebSocket) -> None:
    """A handshake on any other path: 403, as API Gateway answers an unknown stage."""
    await _refuse(
        websocket,
        403,
        {"message": f"Forbidden: the WebSocket API is at /{gateway.settings.stage}"},
    )


class _FrameDispatcher:
    """Runs a connection's frames, at most ``limit`` at once, the next ones waiting in order.

    The socket is read all along (keepalive pongs included, so a busy client is never taken
    for a dead one); a frame that finds ``backlog`` frames already waiting is answered with
    API Gateway's throttling frame, ``Too Many Requests``, and dropped.
    """

    def __init__(self, gateway: Gateway, live: LiveConnection) -> None:
        self._gateway = gateway
        self._live = live
        self._limit = gateway.settings.max_inflight_per_connection
        self._backlog = gateway.settings.frame_backlog_per_connection
        self._waiting: deque[str] = deque()
        self._running: set[asyncio.Task[None]] = set()

    def submit(self, body: str) -> None:
        if len(self._running) < self._limit:
            self._start(body)
        elif len(self._waiting) < self._backlog:
            self._waiting.append(body)
        else:
            self._live.send(_aws_error("Too Many Requests", self._live))

    def _start(self, body: str) -> None:
        task = asyncio.create_task(_route_frame(self._gateway, self._live, body))
        self._running.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        if self._waiting and not self._live.gone:
            self._start(self._waiting.popleft())


async def _receive_frames(gateway: Gateway, live: LiveConnection) -> tuple[int, str]:
    """Route frames until the socket closes; the close code and reason."""
    dispatcher = _FrameDispatcher(gateway, live)

    while True:
        try:
            message = await live.websocket.receive()
        except Exception as exc:  # noqa: BLE001 - the transport failed under us
            logger.debug("receive on %s failed: %s", live.connection_id, exc)
            return ABNORMAL_CLOSURE, ""
        if message["type"] == "websocket.disconnect":
            return int(message.get("code") or 1005), str(message.get("reason") or "")
        live.touch()
        text = message.get("text")
        if text is None:
            live.close(UnsupportedData("Binary frames are not supported"))
            continue
        dispatcher.submit(text)


async def _route_frame(gateway: Gateway, live: LiveConnection, body: str) -> None:
    assert gateway.runtime is not None
    if tracing.enabled():
        tracing.mark(_client_message_id(body), tracing.RECEIVED)
    route_key = select_route(body, gateway.routes)
    if route_key is None:
        live.send(_aws_error("Forbidden", live))
        return
    route = gateway.routes[route_key]
    event = gateway.events.message(live.info, route_key=route_key, body=body)
    invocation = await gateway.runtime.invoke(
        route, event, timeout=_integration_timeout(gateway, route)
    )
    if invocation.timed_out:
        live.send(_aws_error("Endpoint request timed out", live, invocation.request_id))
    elif invocation.error is not None:
        live.send(_aws_error("Internal server error", live, invocation.request_id))
    elif route.two_way:
        _, response_body, _ = _proxy_result(invocation)
        if response_body:
            live.send(response_body)


async def _run_disconnect(gateway: Gateway, live: LiveConnection, code: int, reason: str) -> None:
    """Best effort, as on AWS: failures are logged, nothing can reach the closed socket."""
    route = gateway.routes.get("$disconnect")
    if route is None or gateway.runtime is None:
        return
    if live.closing is not None:  # closed by the gateway: report its code, not the echo
        code, reason = live.closing.close_code, live.closing.message
    event = gateway.events.disconnect(live.info, status_code=code, reason=reason)
    invocation = await gateway.runtime.invoke(route, event)
    if invocation.failed:
        logger.warning("$disconnect of %s failed", live.connection_id)


def _client_message_id(body: str) -> str | None:
    try:
        value = json.loads(body)
    except ValueError:
        return None
    found = value.get("clientMessageId") if isinstance(value, dict) else None
    return found if isinstance(found, str) else None


def _integration_timeout(gateway: Gateway, route: FunctionSpec) -> float:
    """API Gateway stops waiting at its integration timeout, or the function's, if shorter."""
    return min(gateway.settings.integration_timeout, float(route.timeout))


def _connection_info(websocket: WebSocket) -> ConnectionInfo:
    scope = websocket.scope
    headers = [
        (name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"]
    ]
    lowered = {name.lower(): value for name, value in headers}
    client = websocket.client
    source_ip = client.host if client else "127.0.0.1"
    server = scope.get("server") or ("127.0.0.1", 0)
    domain = lowered.get("host") or f"{server[0]}:{server[1]}"
    forwarded = [
        ("X-Forwarded-For", source_ip),
        ("X-Forwarded-Port", str(server[1])),
        ("X-Forwarded-Proto", "https" if scope.get("scheme") == "wss" else "http"),
    ]
    query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    return ConnectionInfo(
        connection_id=new_aws_style_id(),
        connected_at=now_ms(),
        source_ip=source_ip,
        user_agent=lowered.get("user-agent"),
        domain_name=domain,
        headers=headers + [pair for pair in forwarded if pair[0].lower() not in lowered],
        query=query,
    )


def _proxy_result(invocation: Invocation) -> tuple[int, str | None, dict[str, Any]]:
    """(status, body, headers) of a Lambda proxy integration's result."""
    if invocation.timed_out:
        return 504, json.dumps({"message": "Endpoint request timed out"}), {}
    if invocation.error is not None:
        return 500, json.dumps({"message": "Internal server error"}), {}
    result = invocation.result
    if not isinstance(result, dict):
        return 200, None, {}
    status = result.get("statusCode", 200)
    body = result.get("body")
    if body is not None and not isinstance(body, str):
        body = json.dumps(body)
    headers = result.get("headers") or {}
    return (int(status) if isinstance(status, int) else 502), body, headers


def _header(headers: dict[str, Any], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return str(value)
    return None


def _aws_error(message: str, live: LiveConnection, request_id: str | None = None) -> str:
    """The frame API Gateway itself sends when a route cannot answer."""
    return json.dumps(
        {
            "message": message,
            "connectionId": live.connection_id,
            "requestId": request_id or new_aws_style_id(),
        }
    )


async def _refuse(websocket: WebSocket, status: int, body: Any) -> None:
    """Refuse the handshake with an HTTP status and a JSON body saying why."""
    content = body if isinstance(body, str) else json.dumps(body)
    response = Response(content or "", status_code=status, media_type="application/json")
    await websocket.send_denial_response(response)
