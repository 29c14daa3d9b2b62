"""The ASGI app uvicorn serves: the gateway's hot paths first, FastAPI for the rest.

WebSocket connections (one long-lived task each), and the HTTP @connections and Lambda Invoke
calls of outside callers, are dispatched straight to their handlers: FastAPI's routing,
dependency injection and middleware would add CPU to every call and a chain of coroutine frames
to every open connection's memory, and neither needs them. Everything else (health, the web
frontend, the app's lifespan) goes to the FastAPI app.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI
from starlette.websockets import WebSocket

from chatserver.gateway import invoke_api, management_api
from chatserver.gateway.state import Gateway
from chatserver.gateway.websocket_api import refuse_unknown_path, serve_connection

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class GatewayApp:
    """Routes a gateway's requests; ``state`` and ``gateway`` are the FastAPI app's."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.gateway: Gateway = app.state.gateway
        self._websocket_path = f"/{self.gateway.settings.stage}"

    @property
    def state(self) -> Any:
        return self.app.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "websocket":
            websocket = WebSocket(scope, receive, send)
            if scope["path"] == self._websocket_path:
                await serve_connection(self.gateway, websocket)
            else:
                await refuse_unknown_path(self.gateway, websocket)
            return
        if kind == "http":
            path = scope["path"]
            if "/@connections/" in path and await management_api.serve(
                self.gateway, scope, receive, send
            ):
                return
            if path.startswith(invoke_api.PATH_PREFIX) and await invoke_api.serve(
                self.gateway, scope, receive, send
            ):
                return
        await self.app(scope, receive, send)
