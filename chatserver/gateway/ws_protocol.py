"""uvicorn's WebSocket protocol, with API Gateway's two size limits and a way to cut a socket.

ASGI hands the app whole messages, so a limit on single frames has to live in the protocol.
``websockets``' sans-I/O parser enforces both limits itself when given
``max_size=(message limit, frame limit)``: a larger frame or message fails the connection with
close code 1009 before its payload is read, as API Gateway does.

A peer that disappears without a close frame (its pongs stop, or its TCP connection drops) is
reported to the app with code 1006, so ``$disconnect`` says what happened.

The protocol also publishes ``scope["extensions"]["chatserver.abort"]["abort"]``: the gateway
calls it to drop a client that does not even read its close frame (a full TCP window).
"""

from __future__ import annotations

import logging
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.server import ServerProtocol


def protocol_class(*, frame_limit: int, message_limit: int) -> type[WebSocketsSansIOProtocol]:
    """A protocol class for ``uvicorn.Config(ws=...)`` enforcing these limits (bytes)."""

    class LimitedWebSocketProtocol(WebSocketsSansIOProtocol):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.conn = ServerProtocol(
                extensions=self.conn.available_extensions,
                max_size=(message_limit, frame_limit),
                logger=logging.getLogger("uvicorn.error"),
            )

        def handle_connect(self, event: Any) -> None:
            super().handle_connect(event)
            scope = getattr(self, "scope", None)
            if scope is not None:
                scope["extensions"]["chatserver.abort"] = {"abort": self._abort}

        def _abort(self) -> None:
            if self.transport is not None and not self.transport.is_closing():
                self.transport.abort()

        async def send(self, message: Any) -> None:
            await super().send(message)
            kind = message["type"]
            if kind == "websocket.http.response.body" and not message.get("more_body", False):
                # A refused handshake is complete: without this uvicorn logs a spurious
                # "ASGI callable returned without completing handshake" error.
                self.handshake_complete = True
            elif kind == "websocket.accept":
                # The handshake's request and response (headers and all) are not needed any
                # more; an open connection should not carry them for hours.
                self.request = None  # type: ignore[assignment]
                self.response = None  # type: ignore[assignment]

        def keepalive_timeout(self) -> None:
            # The peer vanished without a close frame: report 1006 to the app (uvicorn would
            # report 1005, "closed without a status code", once the transport is gone).
            if self.handshake_complete and not self.close_sent:
                self.queue.put_nowait(
                    {"type": "websocket.disconnect", "code": 1006, "reason": "Ping timeout"}
                )
            super().keepalive_timeout()

        def connection_lost(self, exc: Exception | None) -> None:
            if self.handshake_complete and not self.close_sent and self.conn.close_rcvd is None:
                self.queue.put_nowait(
                    {"type": "websocket.disconnect", "code": 1006, "reason": "Connection lost"}
                )
            super().connection_lost(exc)

    return LimitedWebSocketProtocol
