"""The link between the gateway and its embedded emulator's process: one socket, calls both ways.

A chat message used to cross between the two processes as HTTP: five boto3 calls from the
handler to the emulator, a Lambda invoke back to the gateway, and one signed
``PostToConnection`` per member. With the chat's functions running next to the emulator's
backends, what still has to cross is one invocation from the gateway and one page of posts
back; the link carries those as length-prefixed JSON frames on one kept-open Unix socket.

Frames: 4-byte big-endian length, then a JSON object. A call is ``{"id": n, "op": name, ...}``
and its answer ``{"id": n, "ok": result}`` or ``{"id": n, "error": message}``; ids are odd on
the side that listens and even on the side that connects, so both sides may call at once.
Each side registers the operations it serves (``serve``); a failing operation answers an error
and the link stays up.

Who may use it: the socket is in a folder only this user can open (``private_socket_path``)
and the first frame must carry the per-run token the gateway handed its child; anything else
is disconnected without an answer. Nothing on the network can reach it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import itertools
import json
import logging
import os
import struct
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from chatserver.errors import BackendError

logger = logging.getLogger("chatserver.link")

_LENGTH = struct.Struct(">I")
#: Largest frame: a Lambda payload is at most 6 MB; with JSON escaping, some margin.
MAX_FRAME = 16 * 1024 * 1024
TOKEN_ENV = "CHATSERVER_LINK_TOKEN"  # noqa: S105 - the variable's name, not a secret

Operation = Callable[[dict[str, Any]], Awaitable[Any]]


class LinkClosed(BackendError):
    """The other process went away (or the link was closed) before answering."""


class LinkCallFailed(BackendError):
    """The other side's operation raised; its message says what."""


def private_socket_path() -> Path:
    """A socket path in a new folder only this user can enter (mode 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="chatserver-link-"))
    return folder / "link.sock"


class Link:
    """One end of the link: calls the other end, and serves the operations registered here."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        listening: bool,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._ids = itertools.count(1 if listening else 2, 2)
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._operations: dict[str, Operation] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._receiver: asyncio.Task[None] | None = None
        self.closed = asyncio.Event()

    def serve(self, op: str, operation: Operation) -> None:
        """Answer calls of ``op`` with ``await operation(call)``."""
        self._operations[op] = operation

    def start(self) -> None:
        self._receiver = asyncio.get_running_loop().create_task(self._receive(), name="link")

    async def call(self, op: str, timeout: float | None = None, **fields: Any) -> Any:
        """Call ``op`` on the other side; its result. LinkClosed, LinkCallFailed, TimeoutError."""
        if self.closed.is_set():
            raise LinkClosed("the emulator link is closed")
        call_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[call_id] = future
        try:
            self._send({**fields, "id": call_id, "op": op})
            return await asyncio.wait_for(future, timeout)
        finally:
            self._pending.pop(call_id, None)

    def _send(self, message: dict[str, Any]) -> None:
        self._writer.write(_frame(message))

    async def _receive(self) -> None:
        try:
            while True:
                message = await read_frame(self._reader)
                if message is None:
                    break
                if "op" in message:
                    task = asyncio.get_running_loop().create_task(self._answer(message))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
                else:
                    self._resolve(message)
        except (OSError, ValueError, asyncio.IncompleteReadError) as exc:
            logger.warning("emulator link broke: %s", exc)
        finally:
            self._shut()

    def _resolve(self, message: dict[str, Any]) -> None:
        future = self._pending.get(message.get("id", -1))
        if future is None or future.done():
            return
        if "error" in message:
            future.set_exception(LinkCallFailed(str(message["error"])))
        else:
            future.set_result(message.get("ok"))

    async def _answer(self, message: dict[str, Any]) -> None:
        operation = self._operations.get(message["op"])
        try:
            if operation is None:
                raise LookupError(f"unknown link operation {message['op']!r}")
            result = await operation(message)
        except Exception as exc:
            logger.exception("link operation %s failed", message.get("op"))
            reply: dict[str, Any] = {"id": message["id"], "error": f"{type(exc).__name__}: {exc}"}
        else:
            reply = {"id": message["id"], "ok": result}
        with contextlib.suppress(OSError, RuntimeError):
            self._send(reply)

    def _shut(self) -> None:
        self.closed.set()
        for future in self._pending.values():
            if not future.done():
                future.set_exception(LinkClosed("the emulator link closed"))
        self._pending.clear()
        with contextlib.suppress(OSError, RuntimeError):
            self._writer.close()

    async def close(self) -> None:
        """Close the socket; calls still waiting fail with LinkClosed."""
        self._shut()
        if self._receiver is not None:
            self._receiver.cancel()
            # asyncio.wait: a cancellation of the caller propagates instead of being swallowed
            await asyncio.wait({self._receiver})
            if not self._receiver.cancelled() and (error := self._receiver.exception()):
                raise error
        for task in list(self._tasks):
            task.cancel()


def _frame(message: dict[str, Any]) -> bytes:
    data = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()
    return _LENGTH.pack(len(data)) + data


async def read_frame(reader: asyncio.StreamReader) -> dict[str, Any] | None:
    """The next frame's object, or None at the end of the stream."""
    try:
        header = await reader.readexactly(_LENGTH.size)
    except asyncio.IncompleteReadError as exc:
        if exc.partial:
            raise
        return None
    (length,) = _LENGTH.unpack(header)
    if length > MAX_FRAME:
        raise ValueError(f"link frame of {length} bytes")
    message = json.loads(await reader.readexactly(length))
    if not isinstance(message, dict):
        raise ValueError("link frame is not an object")
    return message


async def connect(path: Path, token: str) -> Link:
    """The gateway's end: connect to the emulator's socket and present the run's token."""
    reader, writer = await asyncio.open_unix_connection(str(path), limit=MAX_FRAME)
    writer.write(_frame({"token": token}))
    link = Link(reader, writer, listening=False)
    link.start()
    return link


async def listen(path: Path, token: str, accepted: Callable[[Link], None]) -> asyncio.Server:
    """The emulator's end: accept the gateway that presents ``token`` (only one at a time)."""

    async def handshake(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            hello = await asyncio.wait_for(read_frame(reader), 5.0)
        except (TimeoutError, OSError, ValueError, asyncio.IncompleteReadError):
            hello = None
        offered = str((hello or {}).get("token", ""))
        if not hmac.compare_digest(offered.encode(), token.encode()):
            logger.warning("refused a link connection without the run's token")
            writer.close()
            return
        link = Link(reader, writer, listening=True)
        link.start()
        accepted(link)

    server = await asyncio.start_unix_server(handshake, str(path), limit=MAX_FRAME)
    os.chmod(path, 0o600)
    return server
