"""Running the gateway under uvicorn: binding, readiness, and graceful shutdown in order.

Shutdown (Ctrl-C, SIGTERM, or ``should_exit``) goes: stop listening; close every WebSocket
with 1001 (going away) and run their ``$disconnect`` handlers, waiting up to
``shutdown_timeout``; let uvicorn finish HTTP requests in what is left of that time (at least
``HTTP_GRACE_SECONDS``), then cancel what still runs; then the app's lifespan stops the Lambda
runtime and the embedded emulator. So Ctrl-C takes about ``shutdown_timeout`` plus a second at
most, however many ``$disconnect`` handlers are still queued.
"""

from __future__ import annotations

import math
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass

import uvicorn

from chatserver.emulator.launcher import EmbeddedEmulator
from chatserver.gateway.app import asgi_app, create_app
from chatserver.gateway.state import Gateway
from chatserver.gateway.ws_protocol import protocol_class
from chatserver.handlers.catalog import FunctionSpec
from chatserver.settings import Settings

#: uvicorn's minimum time for HTTP requests in flight once the WebSockets are drained.
HTTP_GRACE_SECONDS = 1


class ChatServer(uvicorn.Server):
    """uvicorn's server, closing WebSockets with 1001 (uvicorn's own would send 1012)."""

    def __init__(self, config: uvicorn.Config, gateway: Gateway) -> None:
        super().__init__(config)
        self.gateway = gateway

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        started = time.monotonic()
        await self.gateway.drain()
        # The drain used part of the grace period: uvicorn waits only for what is left of it.
        left = self.gateway.settings.shutdown_timeout - (time.monotonic() - started)
        self.config.timeout_graceful_shutdown = max(math.ceil(left), HTTP_GRACE_SECONDS)
        await super().shutdown(sockets)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket, bound before anything starts so that port 0 has a known port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)
    sock.setblocking(False)
    return sock


@dataclass
class PreparedServer:
    """A server ready to run: the bound socket, the settings with the real port, the gateway."""

    server: ChatServer
    sock: socket.socket
    settings: Settings

    @property
    def gateway(self) -> Gateway:
        return self.server.gateway

    async def serve(self) -> None:
        await self.server.serve(sockets=[self.sock])

    async def wait_ready(self) -> None:
        """Wait until the backend is provisioned (BackendError if it failed)."""
        await self.gateway.wait_ready()


def prepare(
    settings: Settings,
    functions: Sequence[FunctionSpec] | None = None,
    emulator: EmbeddedEmulator | None = None,
) -> PreparedServer:
    """Bind the port and build the app; nothing runs until ``serve()`` (``emulator``: the
    embedded emulator, when the caller already spawned it)."""
    sock = bind(settings.host, settings.port)
    settings = settings.model_copy(update={"port": sock.getsockname()[1]})
    try:
        app = create_app(settings, functions, emulator)
    except BaseException:
        sock.close()
        raise
    config = uvicorn.Config(
        asgi_app(app),
        ws=protocol_class(
            frame_limit=settings.frame_size_limit, message_limit=settings.message_size_limit
        ),
        ws_max_size=settings.message_size_limit,
        ws_ping_interval=settings.ping_interval,
        ws_ping_timeout=settings.ping_timeout,
        ws_per_message_deflate=False,
        http="httptools",
        lifespan="on",
        log_level=settings.log_level,
        access_log=False,
        timeout_graceful_shutdown=max(math.ceil(settings.shutdown_timeout), HTTP_GRACE_SECONDS),
        server_header=False,
    )
    return PreparedServer(ChatServer(config, app.state.gateway), sock, settings)
