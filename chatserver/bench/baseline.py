"""The baseline: a minimal chat broadcast server on the ``websockets`` library, no AWS at all.

    python -m chatserver.bench.baseline [--host 127.0.0.1] [--port 0]

It speaks the subset of chatserver's protocol the benchmark uses: connect to
``/?name=NAME&room=ROOM``; ``{"action": "sendMessage", "text": ..., "clientMessageId": ...}`` is
broadcast at once to every connection of the room (the sender included) as a ``message`` frame
with chatserver's fields (``messageId`` a counter). ``GET /healthz`` answers 200. Nothing is
stored, there is no presence: this is the ceiling of a WebSocket fan-out in Python on the
machine, which chatserver's figures are divided by. Prints ``READY ws://HOST:PORT`` once
listening; SIGINT or SIGTERM stops it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
from collections.abc import Sequence
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

READY = "READY "


class BroadcastServer:
    """Rooms of open connections and the message counter: the server's only state."""

    def __init__(self) -> None:
        self.rooms: dict[str, set[ServerConnection]] = {}
        self.sent = 0

    def health(self, connection: ServerConnection, request: Request) -> Response | None:
        """``/healthz`` is plain HTTP; every other path is a WebSocket handshake."""
        if urlsplit(request.path).path == "/healthz":
            return connection.respond(HTTPStatus.OK, "ok\n")
        return None

    async def handle(self, connection: ServerConnection) -> None:
        assert connection.request is not None
        query = parse_qs(urlsplit(connection.request.path).query)
        name = query.get("name", [""])[0]
        room = query.get("room", ["general"])[0]
        if not name:
            await connection.close(1008, "name is required")
            return
        members = self.rooms.setdefault(room, set())
        members.add(connection)
        try:
            async for raw in connection:
                frame = self._message(raw, name, room)
                if frame is not None:
                    broadcast(members, frame)
        except ConnectionClosed:
            pass
        finally:
            members.discard(connection)
            if not members:
                self.rooms.pop(room, None)

    def _message(self, raw: str | bytes, name: str, room: str) -> str | None:
        """The ``message`` frame for a ``sendMessage`` request; None for anything else."""
        try:
            body: Any = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(body, dict) or body.get("action") != "sendMessage":
            return None
        text = body.get("text")
        if not isinstance(text, str) or not text:
            return None
        self.sent += 1
        sent_at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return json.dumps(
            {
                "type": "message",
                "room": room,
                "messageId": f"{self.sent:012d}",
                "clientMessageId": body.get("clientMessageId"),
                "sender": name,
                "text": text,
                "sentAt": sent_at,
            },
            ensure_ascii=False,
        )


async def run(host: str, port: int) -> None:
    """Serve until SIGINT or SIGTERM."""
    state = BroadcastServer()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    async with serve(state.handle, host, port, process_request=state.health) as server:
        bound = next(iter(server.sockets)).getsockname()
        print(f"{READY}ws://{bound[0]}:{bound[1]}", flush=True)
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="minimal websockets broadcast chat (baseline)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(args.host, args.port))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
