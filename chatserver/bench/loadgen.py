"""The load generator: real ``websockets`` clients in rooms, connected at a paced rate, and an
open-loop sender that sends at scheduled times and never waits for deliveries.

Every client records each text frame it receives with its arrival time (``time.time()``, the
clock the server's trace marks use) and parses nothing while the load runs: frames are decoded
afterwards (``deliveries``), so the generator spends its CPU on sockets, not on JSON. Frames
carrying the current load's marker (a prefix of its clientMessageIds) are counted as they come,
which ends the drain window as soon as every expected delivery has arrived.

Clients offer no compression (chat frames are a few hundred bytes; deflate would cost the
2-core machine CPU on both sides for nothing) and send no pings of their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

CONNECT_RETRIES = 20  # handshakes refused with 429 or 503 are retried after a pause
OPEN_TIMEOUT = 60.0
CLOSE_TIMEOUT = 5.0


#: API Gateway's throttling frame says this (``{"message": "Too Many Requests", ...}``)
THROTTLED = "Too Many Requests"


class Tally:
    """Counts frames carrying ``marker`` across all clients; set ``complete`` at ``expected``.

    With a ``refusal_weight``, each throttling frame counts as that many deliveries: a refused
    message will never come, so the drain window need not wait for it (the overload run)."""

    def __init__(self) -> None:
        self.marker = "\x00never\x00"
        self.expected = 0
        self.seen = 0
        self.refusal_weight = 0
        self.complete = asyncio.Event()

    def expect(self, marker: str, expected: int, refusal_weight: int = 0) -> None:
        self.marker, self.expected, self.seen = marker, expected, 0
        self.refusal_weight = refusal_weight
        self.complete.clear()

    def count(self, raw: str) -> None:
        if self.marker in raw:
            self._add(1)
        elif self.refusal_weight and THROTTLED in raw:
            self._add(self.refusal_weight)

    def _add(self, deliveries: int) -> None:
        self.seen += deliveries
        if self.seen >= self.expected:
            self.complete.set()


class Member:
    """One client connection in a room, and every text frame it received with its arrival."""

    def __init__(self, connection: ClientConnection, name: str, room: str, tally: Tally) -> None:
        self.connection = connection
        self.name = name
        self.room = room
        self.frames: list[tuple[float, str]] = []
        #: when the handshake completed (``time.time()``): the join storm measures from the last
        self.joined_at = time.time()
        self._tally = tally
        self._reader = asyncio.create_task(self._read(), name=f"member-{room}-{name}")

    async def _read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in self.connection:
                if isinstance(raw, str):
                    self.frames.append((time.time(), raw))
                    self._tally.count(raw)

    async def close(self) -> None:
        with contextlib.suppress(ConnectionClosed, OSError, TimeoutError):
            await self.connection.close()
        self._reader.cancel()
        # asyncio.wait, not an await of the task inside suppress(CancelledError): that would
        # also swallow a cancellation of the caller (Ctrl-C of the bench).
        await asyncio.wait({self._reader})


@dataclass
class Room:
    """A room's members; the first ``senders`` of them send, all of them receive."""

    name: str
    members: list[Member]
    senders: int

    @property
    def sending(self) -> list[Member]:
        return self.members[: self.senders]


@dataclass
class ConnectStats:
    connected: int = 0
    retries: int = 0
    seconds: float = 0.0


class Pacer:
    """At most ``rate`` starts per second, at most ``concurrency`` at once."""

    def __init__(self, rate: float, concurrency: int) -> None:
        self._interval = 1.0 / rate
        self._next = 0.0
        self._slots = asyncio.Semaphore(concurrency)
        self._lock = asyncio.Lock()

    async def __aenter__(self) -> Pacer:
        await self._slots.acquire()
        async with self._lock:
            now = time.monotonic()
            wait = self._next - now
            self._next = max(now, self._next) + self._interval
        if wait > 0:
            await asyncio.sleep(wait)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._slots.release()


async def connect_member(
    ws_url: str, name: str, room: str, *, tally: Tally, pacer: Pacer, stats: ConnectStats
) -> Member:
    """Connect as ``name`` to ``room``; retries handshakes refused with 429 or 503."""
    url = f"{ws_url}?{urlencode({'name': name, 'room': room})}"
    for attempt in range(CONNECT_RETRIES + 1):
        async with pacer:
            try:
                connection = await connect(
                    url,
                    compression=None,
                    ping_interval=None,
                    open_timeout=OPEN_TIMEOUT,
                    close_timeout=CLOSE_TIMEOUT,
                    max_size=None,
                    max_queue=None,
                )
            except InvalidStatus as exc:
                if exc.response.status_code not in (429, 503) or attempt == CONNECT_RETRIES:
                    raise
                stats.retries += 1
            else:
                stats.connected += 1
                return Member(connection, name, room, tally)
        await asyncio.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover


async def open_rooms(
    ws_url: str,
    rooms: Sequence[tuple[str, int, int]],
    tally: Tally,
    *,
    rate: float,
    concurrency: int = 32,
) -> tuple[list[Room], ConnectStats]:
    """Connect every member of ``rooms`` (name, members, senders), paced; members in order."""
    pacer = Pacer(rate, concurrency)
    stats = ConnectStats()
    started = time.monotonic()
    tasks = [
        [
            asyncio.create_task(
                connect_member(ws_url, f"u{index}", name, tally=tally, pacer=pacer, stats=stats)
            )
            for index in range(size)
        ]
        for name, size, _ in rooms
    ]
    try:
        opened = [
            Room(name, list(await asyncio.gather(*members)), senders)
            for (name, _, senders), members in zip(rooms, tasks, strict=True)
        ]
    except BaseException:
        await _close_connected(tasks)
        raise
    stats.seconds = time.monotonic() - started
    return opened, stats


async def _close_connected(tasks: list[list[asyncio.Task[Member]]]) -> None:
    for task in (task for room in tasks for task in room):
        task.cancel()
    for task in (task for room in tasks for task in room):
        with contextlib.suppress(BaseException):
            member = await task
            await member.close()


async def close_rooms(rooms: Sequence[Room], concurrency: int = 64) -> None:
    """Close every member's connection (close handshakes, bounded in time)."""
    slots = asyncio.Semaphore(concurrency)

    async def close(member: Member) -> None:
        async with slots:
            await member.close()

    await asyncio.gather(*(close(member) for room in rooms for member in room.members))


async def settle(rooms: Sequence[Room], *, quiet: float = 0.5, timeout: float = 60.0) -> float:
    """Wait until no member received a frame for ``quiet`` seconds; seconds waited."""
    started = time.monotonic()
    last = -1
    while time.monotonic() - started < timeout:
        count = sum(len(member.frames) for room in rooms for member in room.members)
        if count == last:
            break
        last = count
        await asyncio.sleep(quiet)
    return time.monotonic() - started


def forget_frames(rooms: Sequence[Room]) -> None:
    for room in rooms:
        for member in room.members:
            member.frames.clear()


def _refusal_weight(rooms: Sequence[Room]) -> int:
    """The deliveries one refused message would have made: its room's size, the same for all."""
    sizes = {len(room.members) for room in rooms}
    if len(sizes) != 1:
        raise ValueError(f"counting refusals needs rooms of one size, not {sorted(sizes)}")
    return sizes.pop()


@dataclass(frozen=True)
class Send:
    """One sent message: which room, when it was due, when it was sent (``time.time()``)."""

    client_message_id: str
    room: int
    sender: str
    due: float
    sent_at: float


@dataclass
class LoadRun:
    marker: str
    rate_per_room: float
    seconds: float
    sends: list[Send] = field(default_factory=list)
    send_seconds: float = 0.0
    drain_seconds: float = 0.0
    complete: bool = False
    send_errors: int = 0
    #: when the drain window ended (``time.time()``); arrivals after it are late
    drained_at: float = 0.0
    #: seconds waited after the window for a backlog to finish (0 when none was left)
    late_wait_seconds: float = 0.0


async def offered_load(
    rooms: Sequence[Room],
    tally: Tally,
    *,
    marker: str,
    rate_per_room: float,
    seconds: float,
    drain: float,
    count_refusals: bool = False,
) -> LoadRun:
    """Send ``rate_per_room`` messages per second into every room for ``seconds``, open loop.

    Messages go round-robin over the rooms and over each room's senders, each at its
    scheduled time (late ones at once, never skipped); then wait up to ``drain`` seconds for
    every member of each room to receive each message, or, with ``count_refusals`` (rooms of
    one size), to receive it or its sender to be refused it with the throttling frame.
    """
    total = max(1, round(rate_per_room * len(rooms) * seconds))
    interval = 1.0 / (rate_per_room * len(rooms))
    tally.expect(
        marker,
        sum(len(rooms[i % len(rooms)].members) for i in range(total)),
        _refusal_weight(rooms) if count_refusals else 0,
    )
    run = LoadRun(marker, rate_per_room, seconds)
    loop = asyncio.get_running_loop()
    wall_start = time.time() + 0.05
    mono_start = loop.time() + 0.05
    for index in range(total):
        room_index = index % len(rooms)
        room = rooms[room_index]
        sender = room.sending[(index // len(rooms)) % len(room.sending)]
        due = index * interval
        delay = mono_start + due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        client_message_id = f"{marker}{index}"
        payload = json.dumps(
            {
                "action": "sendMessage",
                "text": f"benchmark message {index} of {total}",
                "clientMessageId": client_message_id,
            }
        )
        sent_at = time.time()
        try:
            await sender.connection.send(payload)
        except ConnectionClosed:  # the server closed it (1013 for a slow reader, say)
            run.send_errors += 1
            continue
        run.sends.append(
            Send(client_message_id, room_index, sender.name, wall_start + due, sent_at)
        )
    run.send_seconds = loop.time() - mono_start
    drained = loop.time()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(tally.complete.wait(), drain)
    run.complete = tally.complete.is_set()
    run.drain_seconds = loop.time() - drained
    run.drained_at = time.time()
    return run
