"""One measurement each, against one running server: idle connections, latency at a steady
rate, the highest rate with no loss, the join storm, sustained throughput, overload. Every
workload opens its own rooms and closes them before it returns, even on error."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from chatserver.bench import loadgen, memory, stages, storm
from chatserver.bench.deliveries import Deliveries, acceptance, count
from chatserver.bench.loadgen import Room, Tally
from chatserver.bench.plan import JoinStorm, Overload, Plan, Sustained
from chatserver.bench.servers import ServerProcess


class Names:
    """Unique room names and clientMessageId markers for one run."""

    def __init__(self) -> None:
        self.run = secrets.token_hex(3)
        self._next = 0

    def _bump(self) -> int:
        self._next += 1
        return self._next

    def room(self) -> str:
        return f"b{self.run}-{self._bump()}"

    def marker(self) -> str:
        return f"{self.run}.{self._bump()}."


@dataclass
class Bench:
    """What every workload needs: the server, the plan, the shared tally and names."""

    server: ServerProcess
    plan: Plan
    tally: Tally
    names: Names
    #: seconds waited after each workload for the server to be quiet again
    quiet_waits: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class CpuUse:
    """CPU seconds used over ``wall`` seconds: by the server's main process (chatserver's
    gateway), by its children (the embedded emulator, and any process it starts), by an
    external backend (LocalStack; None when there is none), and by this process (the load
    generator)."""

    wall: float
    server_main: float
    server_children: float
    load_generator: float
    backend: float | None = None

    def cores(self) -> dict[str, float]:
        """The share of a core each used: how busy the machine was during the load."""
        wall = max(self.wall, 1e-9)
        cores = {
            "server": round((self.server_main + self.server_children) / wall, 2),
            "server_main": round(self.server_main / wall, 2),
            "server_children": round(self.server_children / wall, 2),
            "load_generator": round(self.load_generator / wall, 2),
        }
        if self.backend is not None:
            cores["backend"] = round(self.backend / wall, 2)
        return cores

    def ms_per_message(self, messages: int) -> dict[str, Any]:
        """Milliseconds of CPU per message sent (cores x wall seconds / messages): the cost of
        one message, comparable across rates, and the issue's measure of the design."""
        per = 1000.0 / messages if messages else None

        def ms(seconds: float) -> float | None:
            return None if per is None else round(seconds * per, 2)

        found: dict[str, Any] = {
            "messages": messages,
            "wall_s": round(self.wall, 2),
            "server_main": ms(self.server_main),
            "server_children": ms(self.server_children),
            "server": ms(self.server_main + self.server_children),
        }
        if self.backend is not None:
            found["backend"] = ms(self.backend)
        return found


class CpuMeter:
    """Measures ``CpuUse`` from now on, per process from /proc: a process the server starts
    meanwhile counts with all its CPU, so the figure covers whatever the server runs."""

    def __init__(self, server: ServerProcess) -> None:
        self._server = server
        self._wall = time.monotonic()
        self._start = memory.cpu_by_pid(server.busy_pids())
        self._own_cpu = time.process_time()

    def read(self) -> CpuUse:
        tree = self._server.pids()
        backend = [pid for pid in self._server.busy_pids() if pid not in tree]
        now = memory.cpu_by_pid([*tree, *backend])

        def used(pids: Sequence[int]) -> float:
            return sum(max(0.0, now[pid] - self._start.get(pid, 0.0)) for pid in pids if pid in now)

        return CpuUse(
            wall=time.monotonic() - self._wall,
            server_main=used(tree[:1]),
            server_children=used(tree[1:]),
            load_generator=time.process_time() - self._own_cpu,
            backend=used(backend) if backend else None,
        )


@contextlib.asynccontextmanager
async def rooms_open(
    bench: Bench, sizes: Sequence[int], senders: int, *, settled: bool = True
) -> AsyncIterator[tuple[list[Room], dict[str, Any]]]:
    """Rooms of ``sizes`` members, connected at the plan's pace and settled (presence
    announcements delivered and forgotten), or with ``settled=False`` yielded as soon as all
    are connected (the join storm watches the announcements itself); closed afterwards and the
    server left quiet."""
    wanted = [(bench.names.room(), size, min(senders, size)) for size in sizes]
    rooms, stats = await loadgen.open_rooms(
        bench.server.ws_url, wanted, bench.tally, rate=bench.plan.connect_rate
    )
    try:
        connecting: dict[str, Any] = {
            "connect_s": round(stats.seconds, 2),
            "connect_retries": stats.retries,
        }
        if settled:
            waited = await loadgen.settle(rooms, quiet=bench.plan.settle_seconds, timeout=120.0)
            loadgen.forget_frames(rooms)
            connecting["settle_s"] = round(waited, 2)
        yield rooms, connecting
    except BaseException:  # an error, the time bound or Ctrl-C: close, wait for nothing else
        with contextlib.suppress(Exception, TimeoutError):
            await asyncio.wait_for(loadgen.close_rooms(rooms), loadgen.CLOSE_TIMEOUT * 2)
        raise
    await loadgen.close_rooms(rooms)
    await wait_until_quiet(bench)


#: the server is idle once its processes use less than this share of a core...
IDLE_CORES = 0.15
#: ...over a window this long
IDLE_WINDOW = 0.5
QUIET_TIMEOUT = 120.0


async def server_idle(
    server: ServerProcess, rooms: Sequence[Room] = (), timeout: float = QUIET_TIMEOUT
) -> float:
    """Until the server's processes and its backend's (LocalStack) stop working and no frame
    reaches ``rooms`` for a while (a backlog of executions done); seconds waited."""
    started = time.monotonic()
    pids = server.busy_pids()
    while time.monotonic() - started < timeout:
        before = memory.cpu_seconds(pids)
        frames = sum(len(member.frames) for room in rooms for member in room.members)
        await asyncio.sleep(IDLE_WINDOW)
        busy = (memory.cpu_seconds(pids) - before) / IDLE_WINDOW
        arrived = sum(len(member.frames) for room in rooms for member in room.members) - frames
        if busy < IDLE_CORES and arrived == 0:
            break
    return time.monotonic() - started


async def wait_until_quiet(bench: Bench) -> None:
    """Until chatserver holds no connection and its pipeline is idle; the wait is recorded."""
    started = time.monotonic()
    server = bench.server
    if server.spec.kind == "chatserver":
        while time.monotonic() - started < QUIET_TIMEOUT:
            health = await asyncio.to_thread(server.health)
            if health.get("connections") == 0:
                break
            await asyncio.sleep(0.2)
    await server_idle(server)
    bench.quiet_waits.append(round(time.monotonic() - started, 2))


@dataclass(frozen=True)
class LoadOptions:
    """How one load differs from the plan's default: its drain window, whether throttling
    frames count toward the drain's end, whether the frames are kept for the caller."""

    drain: float | None = None
    count_refusals: bool = False
    keep_frames: bool = False


async def _load(
    bench: Bench,
    rooms: Sequence[Room],
    rate: float,
    seconds: float,
    options: LoadOptions = LoadOptions(),
) -> tuple[Deliveries, dict[str, Any]]:
    """An open-loop load; if its drain window ends short, the clients stay connected until the
    server is idle, so deliveries that come late are told apart from those never made.

    The CPU figures: cores used until the drain window ended, and ms per message until the
    work for the messages was done (with a backlog, until the server was idle again: the
    backlog's CPU belongs to these messages)."""
    meter = CpuMeter(bench.server)
    run = await loadgen.offered_load(
        rooms,
        bench.tally,
        marker=bench.names.marker(),
        rate_per_room=rate,
        seconds=seconds,
        drain=bench.plan.drain_seconds if options.drain is None else options.drain,
        count_refusals=options.count_refusals,
    )
    during = done = meter.read()
    if not run.complete:
        run.late_wait_seconds = await server_idle(bench.server, rooms)
        done = meter.read()
        await loadgen.settle(rooms, quiet=bench.plan.settle_seconds)
    found = count(run, rooms)
    if not options.keep_frames:
        loadgen.forget_frames(rooms)
    cpu = {"cpu_cores": during.cores(), "cpu_ms_per_message": done.ms_per_message(len(run.sends))}
    return found, cpu


async def _warm_up(bench: Bench, rooms: Sequence[Room], rate: float) -> None:
    """A short load first: the first executions pay for cold caches and connections."""
    await _load(bench, rooms, rate, bench.plan.warmup_seconds)
    await loadgen.settle(rooms, quiet=bench.plan.settle_seconds)
    loadgen.forget_frames(rooms)
    if bench.server.spec.traced:
        await asyncio.to_thread(stages.drain_marks, bench.server.http_url)


async def _measured(
    bench: Bench,
    rooms: Sequence[Room],
    rate: float,
    seconds: float,
    options: LoadOptions = LoadOptions(),
) -> tuple[Deliveries, dict[str, Any]]:
    """A load, its deliveries and, on chatserver, its stage breakdown."""
    found, cpu = await _load(bench, rooms, rate, seconds, options)
    result = {**found.summary(), **cpu}
    if bench.server.spec.traced:
        marks = await asyncio.to_thread(stages.drain_marks, bench.server.http_url)
        result["stages"] = stages.breakdown(found, marks)
    return found, result


async def idle_connections(bench: Bench) -> dict[str, Any]:
    """Resident memory with the plan's idle connections open, in rooms of ``idle_room_size``."""
    plan = bench.plan
    sizes = [plan.idle_room_size] * (plan.idle_connections // plan.idle_room_size)
    if plan.idle_connections % plan.idle_room_size:
        sizes.append(plan.idle_connections % plan.idle_room_size)
    async with rooms_open(bench, sizes, senders=0) as (rooms, connecting):
        await asyncio.sleep(2 * plan.settle_seconds)
        rss = memory.tree_rss_mb(bench.server.pid)
        connections = sum(len(room.members) for room in rooms)
        health = await asyncio.to_thread(bench.server.health)
        closing_started = time.monotonic()
    return {
        "connections": connections,
        "rooms": len(rooms),
        "server_reports_connections": health.get("connections"),
        **connecting,
        "close_and_quiet_s": round(time.monotonic() - closing_started, 2),
        "rss_mb": rss,
    }


async def room_size(bench: Bench, members: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Latency at the steady rate, then the highest rate with no loss, in one room."""
    plan = bench.plan
    async with rooms_open(bench, [members], plan.senders_per_room) as (rooms, connecting):
        await _warm_up(bench, rooms, plan.steady_rate)
        _, steady = await _measured(bench, rooms, plan.steady_rate, plan.steady_seconds)
        latency = {
            "members": members,
            "senders": rooms[0].senders,
            "rate_msgs_per_s": plan.steady_rate,
            "seconds": plan.steady_seconds,
            **connecting,
            **steady,
        }
        maximum = await _max_rate(bench, rooms)
    return latency, {"members": members, "senders": rooms[0].senders, **maximum}


async def _max_rate(bench: Bench, rooms: Sequence[Room]) -> dict[str, Any]:
    """Step the rate up until a step loses a delivery or its p99 exceeds the ceiling."""
    plan = bench.plan
    steps: list[dict[str, Any]] = []
    best: dict[str, Any] | None = None
    stopped_by = None
    for rate in plan.step_rates:
        found, cpu = await _load(bench, rooms, rate, plan.step_seconds)
        summary = found.summary()
        p99 = summary["latency_ms"]["p99"]
        step = {
            "rate_msgs_per_s": rate,
            "deliveries_per_s": summary["deliveries_per_s"],
            "lost": summary["lost"],
            "duplicates": summary["duplicates"],
            "latency_ms": summary["latency_ms"],
            "send_lag_ms_p99": summary["send_lag_ms"]["p99"],
            **cpu,
        }
        steps.append(step)
        if not found.exactly_once:
            stopped_by = f"{rate:g} msg/s lost {found.lost} and duplicated {found.duplicates}"
        elif p99 is None or p99 > plan.p99_ceiling_ms:
            stopped_by = f"{rate:g} msg/s had p99 {p99} ms > {plan.p99_ceiling_ms:g} ms"
        if stopped_by:
            break
        best = step
        if bench.server.spec.traced:
            await asyncio.to_thread(stages.drain_marks, bench.server.http_url)
    members = len(rooms[0].members)
    return {
        "max_no_loss_msgs_per_s": best["rate_msgs_per_s"] if best else 0,
        "max_no_loss_deliveries_per_s": best["rate_msgs_per_s"] * members if best else 0,
        "p99_at_max_ms": best["latency_ms"]["p99"] if best else None,
        "capped": stopped_by is None,
        "stopped_by": stopped_by
        or f"every step passed; the highest step is {plan.step_rates[-1]:g}",
        "step_seconds": plan.step_seconds,
        "p99_ceiling_ms": plan.p99_ceiling_ms,
        "steps": steps,
    }


async def sustained(bench: Bench, spec: Sustained) -> dict[str, Any]:
    """``spec``'s load for its duration, with exactly-once checked and peak RSS sampled."""
    sizes = [spec.members] * spec.rooms
    async with rooms_open(bench, sizes, bench.plan.senders_per_room) as (rooms, connecting):
        await _warm_up(bench, rooms, spec.rate_per_room)
        with memory.PeakRss(bench.server.pid) as peak:
            _, measured = await _measured(bench, rooms, spec.rate_per_room, spec.seconds)
    return {
        "name": spec.name,
        "rooms": spec.rooms,
        "members": spec.members,
        "senders_per_room": rooms[0].senders,
        "rate_per_room_msgs_per_s": spec.rate_per_room,
        "offered_total_msgs_per_s": spec.msgs_per_s,
        "offered_deliveries_per_s": spec.deliveries_per_s,
        "seconds": spec.seconds,
        **connecting,
        **measured,
        "peak_rss_mb": round(peak.peak_mb, 1),
    }


async def join_storm(bench: Bench, spec: JoinStorm) -> dict[str, Any]:
    """``spec.members`` join one room at once; when the presence storm is quiet (or after
    ``spec.quiet_timeout``), every member in turn sends: the storm's length, and the latency,
    loss and CPU of the messages that follow it."""
    settle = bench.plan.settle_seconds
    meter = CpuMeter(bench.server)
    async with rooms_open(bench, [spec.members], spec.members, settled=False) as (
        rooms,
        connecting,
    ):
        members = rooms[0].members
        last_join = max(member.joined_at for member in members)
        quiet = await storm.wait_quiet(
            rooms, since=last_join, quiet=settle, timeout=spec.quiet_timeout
        )
        storm_cpu = meter.read()
        sending_started = time.time()
        _, measured = await _measured(
            bench, rooms, spec.rate, spec.seconds, LoadOptions(keep_frames=True)
        )
        presence = storm.summarize_storm(
            [(member.name, member.frames) for member in members],
            last_join=last_join,
            sending_started=sending_started,
        )
        loadgen.forget_frames(rooms)
    return {
        "members": spec.members,
        "senders": rooms[0].senders,
        "rate_msgs_per_s": spec.rate,
        "seconds": spec.seconds,
        **connecting,
        "storm": {
            **presence,
            "quiet_before_timeout": quiet,
            "quiet_timeout_s": spec.quiet_timeout,
            "settle_s": settle,
            "sending_started_after_last_join_s": round(sending_started - last_join, 3),
            "cpu_s": {
                "server_main": round(storm_cpu.server_main, 3),
                "server_children": round(storm_cpu.server_children, 3),
                "server": round(storm_cpu.server_main + storm_cpu.server_children, 3),
            },
        },
        **measured,
    }


async def overload(
    bench: Bench, spec: Overload, searched: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    """``spec.factor`` times the highest no-loss rate found: what the server accepted must all
    arrive, late if it must; what it refused, it must refuse with the throttling frame."""
    chosen = spec.choose(searched)
    senders = bench.plan.senders_per_room
    options = LoadOptions(drain=spec.drain_seconds, count_refusals=True)
    async with rooms_open(bench, [chosen.members], senders) as (rooms, connecting):
        found, measured = await _measured(bench, rooms, chosen.rate, spec.seconds, options)
    return {
        "members": chosen.members,
        "senders": rooms[0].senders,
        "rate_msgs_per_s": chosen.rate,
        "rate_basis": chosen.basis,
        "seconds": spec.seconds,
        "drain_window_s": spec.drain_seconds,
        **connecting,
        **acceptance(found),
        **measured,
    }
