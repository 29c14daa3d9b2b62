"""What a benchmark run does: room sizes, rates, durations and bounds (full or ``--quick``)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Sustained:
    """A steady load kept up for a while: ``rooms`` rooms of ``members``, each at a rate."""

    name: str
    rooms: int
    members: int
    rate_per_room: float
    seconds: float

    @property
    def msgs_per_s(self) -> float:
        return self.rooms * self.rate_per_room

    @property
    def deliveries_per_s(self) -> float:
        return self.msgs_per_s * self.members


@dataclass(frozen=True)
class JoinStorm:
    """Issue 12's new-user scenario: ``members`` join one room as fast as the connect pacing
    allows, then every member in turn sends, ``rate`` messages per second for ``seconds``.

    The joins make a presence storm (each join is announced to every member online); the
    messages start once it is quiet, or after ``quiet_timeout`` seconds whatever happens, so
    that the storm's length and the messages' latency are measured apart."""

    members: int
    rate: float
    seconds: float
    quiet_timeout: float


@dataclass(frozen=True)
class OverloadRate:
    """The rate an overload run offers, into how many members, and where it came from."""

    members: int
    rate: float
    basis: str


@dataclass(frozen=True)
class Overload:
    """``factor`` times the highest no-loss rate the search found for ``search_members``, for
    ``seconds``: what the server accepts must all arrive (``drain_seconds`` allowed for it), and
    what it refuses must be refused with the throttling frame.

    Without that search (a plan whose rooms have another size), ``fallback_rate`` into
    ``fallback_members``. ``max_rate`` bounds the offered rate: a search that passed every step
    found no limit, and twice its top step would only load the load generator."""

    search_members: int
    factor: float
    fallback_members: int
    fallback_rate: float
    seconds: float
    drain_seconds: float
    max_rate: float

    def choose(self, searched: Sequence[dict[str, Any]]) -> OverloadRate:
        """The rate to offer, from the ``max_rate`` rows of the run so far."""
        row = next((r for r in searched if r.get("members") == self.search_members), None)
        if row is None:
            return OverloadRate(
                self.fallback_members,
                self.fallback_rate,
                f"fixed: no search ran for a {self.search_members}-member room",
            )
        found = float(row["max_no_loss_msgs_per_s"])
        if found > 0:
            sign = ">=" if row.get("capped") else ""
            basis = f"{self.factor:g} x {sign}{found:g} msg/s, the highest no-loss rate"
        else:  # even the first step lost: the sustainable rate is below it
            found = float(row["steps"][0]["rate_msgs_per_s"]) if row.get("steps") else 1.0
            basis = f"{self.factor:g} x {found:g} msg/s, the first step (none had no loss)"
        rate = self.factor * found
        if rate > self.max_rate:
            rate, basis = self.max_rate, f"{basis}, bounded to {self.max_rate:g} msg/s"
        return OverloadRate(self.search_members, rate, basis)


@dataclass(frozen=True)
class Plan:
    name: str
    room_sizes: tuple[int, ...]
    #: the first min(senders, size) members of a room send; every member receives
    senders_per_room: int
    steady_rate: float
    steady_seconds: float
    warmup_seconds: float
    step_rates: tuple[float, ...]
    step_seconds: float
    #: a step whose p99 is over this (or that lost a delivery) ends the search for the max rate
    p99_ceiling_ms: float
    #: seconds to wait after the last send for the deliveries still on their way
    drain_seconds: float
    sustained: tuple[Sustained, ...]
    idle_connections: int
    idle_room_size: int
    start_runs: int
    #: new connections per second (chatserver's default limit is 500/s, burst 500)
    connect_rate: float
    timeout_seconds: float
    #: a quiet spell this long (no frame at any client) means presence traffic has settled
    settle_seconds: float
    localstack_room_sizes: tuple[int, ...] = field(default=())
    join_storm: JoinStorm | None = None
    #: run on chatserver only (the baseline refuses nothing and stores nothing)
    overload: Overload | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


FULL = Plan(
    name="full",
    room_sizes=(2, 10, 50),
    senders_per_room=5,
    steady_rate=20.0,
    steady_seconds=10.0,
    warmup_seconds=1.0,
    step_rates=(5, 10, 20, 30, 50, 75, 100, 150, 200, 300, 500),
    step_seconds=5.0,
    p99_ceiling_ms=500.0,
    drain_seconds=5.0,
    sustained=(
        Sustained("50 msg/s into one 50-member room", 1, 50, 50.0, 20.0),
        Sustained("100 msg/s into four 10-member rooms", 4, 10, 25.0, 20.0),
    ),
    idle_connections=1000,
    idle_room_size=10,
    start_runs=3,
    connect_rate=300.0,
    timeout_seconds=1800.0,
    settle_seconds=0.5,
    localstack_room_sizes=(2, 10, 50),
    join_storm=JoinStorm(members=50, rate=20.0, seconds=10.0, quiet_timeout=30.0),
    overload=Overload(
        search_members=50,
        factor=2.0,
        fallback_members=10,
        fallback_rate=100.0,
        seconds=10.0,
        drain_seconds=30.0,
        max_rate=300.0,
    ),
)

QUICK = Plan(
    name="quick",
    room_sizes=(2, 3),
    senders_per_room=2,
    steady_rate=5.0,
    steady_seconds=1.0,
    warmup_seconds=0.3,
    step_rates=(5.0, 10.0),
    step_seconds=0.5,
    p99_ceiling_ms=2000.0,
    drain_seconds=5.0,
    sustained=(Sustained("10 msg/s into two 3-member rooms", 2, 3, 5.0, 1.0),),
    idle_connections=12,
    idle_room_size=4,
    start_runs=1,
    connect_rate=300.0,
    timeout_seconds=240.0,
    settle_seconds=0.2,
    localstack_room_sizes=(2,),
    join_storm=JoinStorm(members=5, rate=5.0, seconds=1.0, quiet_timeout=10.0),
    overload=Overload(
        search_members=3,
        factor=2.0,
        fallback_members=3,
        fallback_rate=20.0,
        seconds=1.0,
        drain_seconds=10.0,
        max_rate=40.0,
    ),
)


class Deadline:
    """The run's global time bound."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(0.0, self._end - time.monotonic())

    def check(self, doing: str) -> None:
        if self.remaining() <= 0:
            raise TimeoutError(f"the benchmark's time bound ({self.seconds:.0f} s) ran out {doing}")
