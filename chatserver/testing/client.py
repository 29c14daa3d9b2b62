"""A chat client for tests: connect as a user to a room, send actions, wait for frames.

Every frame the client receives is kept, in order. ``expect`` returns the first frame matching
a predicate that no earlier ``expect`` returned, waiting for it up to a timeout, so a test can
wait for a message without caring what else (presence, history) arrived around it.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

Frame = dict[str, Any]
Predicate = Callable[[Frame], bool]

DEFAULT_TIMEOUT = 10.0


def of_type(kind: str, **fields: Any) -> Predicate:
    """A predicate: frames of ``type == kind`` whose ``fields`` have these values."""

    def matches(frame: Frame) -> bool:
        return frame.get("type") == kind and all(frame.get(k) == v for k, v in fields.items())

    matches.__name__ = f"of_type({kind!r}, {fields!r})"
    return matches


class ChatClient:
    """One WebSocket connection to the chat, with everything it received."""

    def __init__(self, connection: ClientConnection, *, name: str | None, room: str | None):
        self.connection = connection
        self.name = name
        self.room = room
        self.frames: list[Frame] = []
        self._taken: set[int] = set()
        self._arrived = asyncio.Condition()
        self._reader = asyncio.create_task(self._read(), name=f"chat-client-{name}")
        self.close_code: int | None = None
        self.close_reason: str | None = None

    @classmethod
    async def connect(
        cls,
        ws_url: str,
        name: str | None,
        room: str | None = None,
        *,
        params: Mapping[str, str] | None = None,
        **connect_options: Any,
    ) -> ChatClient:
        """Connect as ``name`` to ``room``; the handshake error if the gateway refuses."""
        query = {k: v for k, v in (("name", name), ("room", room)) if v is not None}
        query.update(params or {})
        url = f"{ws_url}?{urlencode(query)}" if query else ws_url
        connect_options.setdefault("open_timeout", DEFAULT_TIMEOUT)
        connect_options.setdefault("max_size", None)
        connection = await connect(url, **connect_options)
        return cls(connection, name=name, room=room)

    async def _read(self) -> None:
        try:
            async for raw in self.connection:
                try:
                    frame = json.loads(raw)
                except (TypeError, ValueError):
                    frame = {"type": "__raw__", "data": raw}
                async with self._arrived:
                    self.frames.append(frame if isinstance(frame, dict) else {"value": frame})
                    self._arrived.notify_all()
        except ConnectionClosed:
            pass
        finally:
            self.close_code = self.connection.close_code
            self.close_reason = self.connection.close_reason
            async with self._arrived:
                self._arrived.notify_all()

    @property
    def closed(self) -> bool:
        """Whether the connection is closed (``close_code`` then says how)."""
        return self._reader.done()

    # -- sending -----------------------------------------------------------------------------

    async def send(self, frame: Mapping[str, Any] | str) -> None:
        """Send a frame: a mapping as JSON, a string as it is."""
        await self.connection.send(frame if isinstance(frame, str) else json.dumps(frame))

    async def send_message(self, text: str, client_message_id: str | None = None) -> str:
        """Send a chat message; its clientMessageId (a fresh one unless given)."""
        client_message_id = client_message_id or uuid.uuid4().hex
        await self.send(
            {"action": "sendMessage", "text": text, "clientMessageId": client_message_id}
        )
        return client_message_id

    async def say(self, text: str, timeout: float = DEFAULT_TIMEOUT) -> Frame:
        """Send a message and wait for its broadcast copy; the stored message frame."""
        client_message_id = await self.send_message(text)
        return await self.expect(of_type("message", clientMessageId=client_message_id), timeout)

    async def request(
        self, frame: Mapping[str, Any], answer: str | Predicate, timeout: float = DEFAULT_TIMEOUT
    ) -> Frame:
        """Send ``frame`` and wait for its answer (a frame type, or a predicate) or an error."""
        wanted = of_type(answer) if isinstance(answer, str) else answer
        await self.send(frame)
        return await self.expect(lambda f: wanted(f) or f.get("type") == "error", timeout)

    async def whoami(self, timeout: float = DEFAULT_TIMEOUT) -> Frame:
        """The identity frame of this connection."""
        return await self.request({"action": "whoami"}, "identity", timeout)

    async def presence(self, timeout: float = DEFAULT_TIMEOUT) -> Frame:
        """The answer to getPresence (a presence frame without user and status)."""
        return await self.request(
            {"action": "getPresence"},
            lambda f: f.get("type") == "presence" and "status" not in f,
            timeout,
        )

    async def history(
        self, limit: int | None = None, before: str | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> Frame:
        """The answer to getHistory."""
        frame: dict[str, Any] = {"action": "getHistory"}
        if limit is not None:
            frame["limit"] = limit
        if before is not None:
            frame["before"] = before
        return await self.request(frame, "history", timeout)

    # -- receiving ---------------------------------------------------------------------------

    async def expect(self, predicate: Predicate, timeout: float = DEFAULT_TIMEOUT) -> Frame:
        """The first frame not yet returned that matches; TimeoutError after ``timeout``."""
        async with asyncio.timeout(timeout):
            async with self._arrived:
                while True:
                    for index, frame in enumerate(self.frames):
                        if index not in self._taken and predicate(frame):
                            self._taken.add(index)
                            return frame
                    if self._reader.done():
                        raise ConnectionError(
                            f"connection closed ({self.close_code} {self.close_reason}) "
                            f"before a frame matched {getattr(predicate, '__name__', predicate)}"
                        )
                    await self._arrived.wait()

    async def collect(
        self, predicate: Predicate, count: int, timeout: float = DEFAULT_TIMEOUT
    ) -> list[Frame]:
        """``count`` matching frames, in arrival order."""
        async with asyncio.timeout(timeout):
            return [await self.expect(predicate, timeout) for _ in range(count)]

    async def settle(self, seconds: float = 0.3) -> list[Frame]:
        """Wait ``seconds`` and return every frame received so far."""
        await asyncio.sleep(seconds)
        return list(self.frames)

    def matching(self, predicate: Predicate) -> list[Frame]:
        """Every frame received so far that matches, taken or not."""
        return [frame for frame in self.frames if predicate(frame)]

    async def wait_closed(self, timeout: float = DEFAULT_TIMEOUT) -> tuple[int | None, str | None]:
        """Wait until the server closes the connection; its close code and reason."""
        async with asyncio.timeout(timeout):
            await asyncio.shield(self._reader)
        return self.close_code, self.close_reason

    def drop(self) -> None:
        """Cut the TCP connection without a close frame, as a lost network does."""
        transport = self.connection.transport
        if transport is not None:
            transport.abort()

    async def close(self, code: int = 1000, reason: str = "") -> None:
        await self.connection.close(code, reason)
        # asyncio.wait: a cancellation of the caller propagates (suppressing CancelledError
        # around the reader would swallow it), and the reader is left running after a timeout.
        done, _ = await asyncio.wait({self._reader}, timeout=DEFAULT_TIMEOUT)
        if done and not self._reader.cancelled() and (error := self._reader.exception()):
            raise error
