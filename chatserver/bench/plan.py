"""What a benchmark run does: room sizes, rates, durations and bounds (full or ``--quick``)."""

from __future__ import annotations

import time
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
