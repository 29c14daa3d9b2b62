"""Faults for tests: clients that misbehave the way real networks and browsers do."""

from __future__ import annotations

import base64
import contextlib
import os
import signal
import socket
from collections.abc import Iterable, Iterator
from urllib.parse import urlencode, urlsplit


def silent_client(ws_url: str, name: str, room: str | None = None) -> socket.socket:
    """A client that completes the handshake and then never reads nor answers a ping again.

    The gateway sees it as alive until its keepalive ping times out, and its TCP window fills
    if it is sent enough: a frozen tab or a dead mobile network. Close the socket when done.
    """
    parts = urlsplit(ws_url)
    query = urlencode({k: v for k, v in (("name", name), ("room", room)) if v is not None})
    sock = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET {parts.path or '/'}?{query} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    sock.sendall(request.encode())
    response = b""
    while b"\r\n\r\n" not in response:
        chunk = sock.recv(1)
        if not chunk:
            break
        response += chunk
    if not response.startswith(b"HTTP/1.1 101"):
        sock.close()
        raise ConnectionError(f"handshake refused: {response.decode(errors='replace')}")
    return sock


@contextlib.contextmanager
def paused(pids: Iterable[int]) -> Iterator[None]:
    """Freeze processes (SIGSTOP) for the duration of the block, then resume them (SIGCONT).

    A frozen emulator accepts connections but answers nothing, as an overloaded or hung one
    does: calls time out instead of being refused.
    """
    frozen = []
    try:
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
            frozen.append(pid)
        yield
    finally:
        for pid in frozen:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
