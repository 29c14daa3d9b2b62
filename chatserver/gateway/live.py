"""Open WebSocket connections: their outgoing queue, their timers, and the registry of them.

Backpressure: everything sent to a client (route responses, @connections posts) goes through
its own queue, drained by a writer task that exists while there is something to write, so a
post returns as soon as the frame is queued
and a slow client never slows its room. When the bytes waiting for one client pass
``send_buffer_limit``, that client is dropped with close code 1013 (try again later) and
further posts to it answer 410: it reconnects and fetches what it missed from history, so no
message is lost, and memory stays bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque

from starlette.websockets import WebSocket, WebSocketState

from chatserver.chat.clock import now_ms
from chatserver.errors import ConnectionClosing, GoingAway, SlowConsumer
from chatserver.gateway.events import ConnectionInfo

logger = logging.getLogger("chatserver.gateway")

#: How long a close handshake may take before the socket is cut.
CLOSE_TIMEOUT = 2.0


class LiveConnection:
    """One accepted WebSocket connection."""

    def __init__(
        self,
        websocket: WebSocket,
        info: ConnectionInfo,
        *,
        send_buffer_limit: int,
        idle_timeout: float,
        max_duration: float,
    ) -> None:
        self.websocket = websocket
        self.info = info
        self.last_active_at = info.connected_at
        self._limit = send_buffer_limit
        self._queue: deque[str | bytes] = deque()
        self._queued_bytes = 0
        self._idle_timeout = idle_timeout
        self.closing: ConnectionClosing | None = None
        self.gone = False
        self.closed = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._loop = asyncio.get_running_loop()
        self._idle_timer = self._loop.call_later(idle_timeout, self._check_idle)
        self._duration_timer = self._loop.call_later(
            max_duration, self._expire, "Maximum connection duration reached"
        )

    @property
    def connection_id(self) -> str:
        return self.info.connection_id

    def touch(self) -> None:
        """A frame arrived: the connection is active (GetConnection's lastActiveAt)."""
        self.last_active_at = now_ms()

    def _check_idle(self) -> None:
        # One timer per connection, re-armed for what is left rather than reset on every frame.
        left = self._idle_timeout - (now_ms() - self.last_active_at) / 1000
        if left <= 0:
            self._expire("Idle timeout")
        else:
            self._idle_timer = self._loop.call_later(left, self._check_idle)

    def send(self, data: str | bytes) -> bool:
        """Queue ``data`` for the client; False if the connection is closing or was dropped."""
        if self.closing is not None or self.gone:
            return False
        size = len(data)
        if self._queued_bytes + size > self._limit:
            logger.warning(
                "dropping %s: %d bytes waiting to be sent", self.connection_id, self._queued_bytes
            )
            self.close(SlowConsumer("Send buffer full"))
            return False
        self._queue.append(data)
        self._queued_bytes += size
        if self._writer is None or self._writer.done():
            self._writer = self._loop.create_task(self._write_queued())
        return True

    async def _write_queued(self) -> None:
        """Write until the queue is empty, then end (a writer exists only while there is work)."""
        try:
            while self._queue:
                data = self._queue.popleft()
                self._queued_bytes -= len(data)
                if isinstance(data, str):
                    await self.websocket.send_text(data)
                else:
                    await self.websocket.send_bytes(data)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the client went away mid-write
            logger.debug("writer of %s stopped: %s", self.connection_id, exc)

    def _expire(self, reason: str) -> None:
        self.close(GoingAway(reason))

    def close(self, reason: ConnectionClosing) -> None:
        """Close with ``reason``'s code, once; the receive loop then runs $disconnect."""
        if self.closing is not None:
            return
        self.closing = reason
        self._queue.clear()
        self._queued_bytes = 0
        asyncio.get_running_loop().create_task(
            self._close(reason), name=f"close-{self.connection_id}"
        )

    async def _close(self, reason: ConnectionClosing) -> None:
        if self._writer is not None:
            self._writer.cancel()
        if self.websocket.application_state != WebSocketState.CONNECTED:
            return
        try:
            await asyncio.wait_for(
                self.websocket.close(code=reason.close_code, reason=reason.message),
                CLOSE_TIMEOUT,
            )
        except TimeoutError:
            abort = self.websocket.scope.get("extensions", {}).get("chatserver.abort")
            if abort is not None:
                abort["abort"]()
        except Exception as exc:  # noqa: BLE001 - closing an already broken socket
            logger.debug("closing %s: %s", self.connection_id, exc)

    def mark_gone(self) -> None:
        """The socket closed: nothing more can be sent to it."""
        self.gone = True
        self._queue.clear()
        self._queued_bytes = 0

    def finish(self) -> None:
        """The socket is gone: stop the timers and the writer."""
        self._idle_timer.cancel()
        self._duration_timer.cancel()
        if self._writer is not None:
            self._writer.cancel()
        self.closed.set()


class ConnectionRegistry:
    """The open connections by id: the only shared mutable state of the gateway."""

    def __init__(self) -> None:
        self._by_id: dict[str, LiveConnection] = {}

    def __len__(self) -> int:
        return len(self._by_id)

    def add(self, connection: LiveConnection) -> None:
        self._by_id[connection.connection_id] = connection

    def remove(self, connection: LiveConnection) -> None:
        if self._by_id.get(connection.connection_id) is connection:
            del self._by_id[connection.connection_id]

    def get(self, connection_id: str) -> LiveConnection | None:
        found = self._by_id.get(connection_id)
        if found is None or found.closing is not None or found.gone:
            return None
        return found

    async def close_all(self, reason: ConnectionClosing, timeout: float) -> None:
        """Close every connection and wait (at most ``timeout``) until each is finished."""
        connections = list(self._by_id.values())
        for connection in connections:
            connection.close(reason)
        waits = [connection.closed.wait() for connection in connections]
        if waits:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*waits), timeout)
