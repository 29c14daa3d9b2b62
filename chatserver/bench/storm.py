"""The join storm's presence traffic: when it went quiet, and what each member saw last.

Each join is announced to every member online (``{"type": "presence", ...}``), so N joins make
up to N(N+1)/2 presence deliveries. The storm is quiet once no presence frame reaches any
member for the plan's ``settle_seconds``; its length is measured from the last join to the last
presence frame any member received, over the whole workload (one arriving while the messages
already flow still belongs to the storm). Frames are parsed only when they mention presence, so
the scan stays cheap next to the message frames.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from typing import Any

from chatserver.bench.loadgen import Member, Room


def presence_frame(raw: str) -> dict[str, Any] | None:
    """The frame, when ``raw`` is a presence frame; None for anything else."""
    if "presence" not in raw:
        return None
    try:
        frame = json.loads(raw)
    except ValueError:
        return None
    return frame if isinstance(frame, dict) and frame.get("type") == "presence" else None


class PresenceWatch:
    """The arrival of the latest presence frame at any member, read incrementally."""

    def __init__(self, members: Sequence[Member], since: float) -> None:
        self._members = list(members)
        self._read = [0] * len(self._members)
        self.frames = 0
        self.last_at = since

    def poll(self) -> float:
        """Scan the frames that came since the last poll; the latest presence arrival."""
        for index, member in enumerate(self._members):
            frames = member.frames
            for arrived, raw in frames[self._read[index] :]:
                if presence_frame(raw) is not None:
                    self.frames += 1
                    self.last_at = max(self.last_at, arrived)
            self._read[index] = len(frames)
        return self.last_at


async def wait_quiet(rooms: Sequence[Room], *, since: float, quiet: float, timeout: float) -> bool:
    """Until no presence frame has reached any member for ``quiet`` seconds (counted from
    ``since`` at the earliest); False when ``timeout`` seconds passed first."""
    watch = PresenceWatch([member for room in rooms for member in room.members], since)
    deadline = time.monotonic() + timeout
    while True:
        if time.time() - watch.poll() >= quiet:
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(quiet / 5)


def summarize_storm(
    members: Sequence[tuple[str, Sequence[tuple[float, str]]]],
    *,
    last_join: float,
    sending_started: float,
) -> dict[str, Any]:
    """The storm in figures, from each member's (name, frames with arrival times)."""
    names = {name for name, _ in members}
    total = after_sending = seeing_everyone = 0
    last_at: float | None = None
    for _, frames in members:
        last_online: list[str] | None = None
        for arrived, raw in frames:
            frame = presence_frame(raw)
            if frame is None:
                continue
            total += 1
            after_sending += arrived >= sending_started
            last_at = arrived if last_at is None else max(last_at, arrived)
            last_online = frame.get("online")
        if last_online is not None and names <= set(last_online):
            seeing_everyone += 1
    return {
        "presence_frames": total,
        "quiet_after_last_join_s": round(max(0.0, (last_at or last_join) - last_join), 3),
        "presence_frames_after_sending_started": after_sending,
        "members_whose_last_presence_lists_everyone": seeing_everyone,
    }
