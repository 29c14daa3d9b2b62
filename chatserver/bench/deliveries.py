"""What a load delivered: send-to-delivery latency at every member, loss, duplicates, rates.

A message sent into a room of N members is expected N times, once at each member (the sender
gets its own copy, as in chatserver's protocol). A delivery is late when it came after the drain
window (the load generator then keeps the clients connected until the server is idle); lost
when it never came; a duplicate is a member receiving the same clientMessageId again; an
unexpected delivery is one of our messages at a member of another room. Late deliveries count
in the latency figures with their real latency. A sender may also receive API Gateway's
``{"message": "Too Many Requests"}`` frame for a message the gateway refused (chatserver throttles
a connection whose frames back up): such messages are counted as ``throttled`` (and their
deliveries as lost).

Under overload (``acceptance``) a refusal is not a loss: the throttling frame names no
message, so refusals are matched per sender with that sender's messages that reached nobody.
Every other message counts as accepted, and each must reach every member of its room.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from chatserver.bench.loadgen import THROTTLED, LoadRun, Room
from chatserver.bench.stats import summarize


@dataclass
class Deliveries:
    """Arrival times by clientMessageId (one per member that got it) and the counts."""

    run: LoadRun
    room_sizes: list[int]
    arrivals: dict[str, list[float]] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    expected: int = 0
    duplicates: int = 0
    unexpected: int = 0
    closed_members: int = 0
    #: API Gateway's "Too Many Requests" frames: messages the gateway refused (throttled)
    throttled: int = 0
    #: the same, by sender: (room index, member name) -> frames
    throttled_by: Counter[tuple[int, str]] = field(default_factory=Counter)
    #: other error frames received during the load
    error_frames: int = 0

    @property
    def delivered(self) -> int:
        return len(self.latencies_ms)

    @property
    def lost(self) -> int:
        return self.expected - self.delivered

    @property
    def exactly_once(self) -> bool:
        return self.lost == 0 and self.duplicates == 0 and self.unexpected == 0

    def summary(self) -> dict[str, Any]:
        sends = self.run.sends
        first_send = min((send.sent_at for send in sends), default=0.0)
        last_arrival = max((max(times) for times in self.arrivals.values()), default=first_send)
        window = max(last_arrival - first_send, 1e-9)
        complete = sum(
            1
            for send in sends
            if len(self.arrivals.get(send.client_message_id, ())) == self.room_sizes[send.room]
        )
        lag_ms = [max(0.0, (send.sent_at - send.due) * 1000) for send in sends]
        late = sum(
            1 for times in self.arrivals.values() for at in times if at > self.run.drained_at
        )
        return {
            "messages_sent": len(sends),
            "send_errors": self.run.send_errors,
            "offered_msgs_per_s": round(self.run.rate_per_room * len(self.room_sizes), 1),
            "achieved_send_msgs_per_s": round(len(sends) / max(self.run.send_seconds, 1e-9), 1),
            "expected_deliveries": self.expected,
            "delivered": self.delivered,
            "lost": self.lost,
            "late": late,
            "late_wait_s": round(self.run.late_wait_seconds, 2),
            "duplicates": self.duplicates,
            "unexpected": self.unexpected,
            "members_closed_by_server": self.closed_members,
            "throttled": self.throttled,
            "error_frames": self.error_frames,
            "exactly_once": self.exactly_once,
            "latency_ms": summarize(self.latencies_ms),
            "messages_per_s": round(complete / window, 1),
            "deliveries_per_s": round(self.delivered / window, 1),
            "window_s": round(window, 2),
            "drain_s": round(self.run.drain_seconds, 2),
            "send_lag_ms": summarize(lag_ms),
        }


def count(run: LoadRun, rooms: Sequence[Room]) -> Deliveries:
    """Decode the frames every member kept and match them with the sends of ``run``."""
    sends = {send.client_message_id: send for send in run.sends}
    result = Deliveries(run, [len(room.members) for room in rooms])
    for room_index, room in enumerate(rooms):
        for member in room.members:
            if member.connection.close_code is not None:
                result.closed_members += 1
            seen: set[str] = set()
            for arrived, raw in member.frames:
                if run.marker not in raw:
                    _count_error(result, raw, (room_index, member.name))
                    continue
                frame = json.loads(raw)
                client_message_id = frame.get("clientMessageId")
                if frame.get("type") != "message" or not isinstance(client_message_id, str):
                    continue
                if client_message_id in seen:
                    result.duplicates += 1
                    continue
                seen.add(client_message_id)
                send = sends.get(client_message_id)
                if send is None or send.room != room_index:
                    result.unexpected += 1
                    continue
                result.arrivals.setdefault(client_message_id, []).append(arrived)
                result.latencies_ms.append((arrived - send.sent_at) * 1000)
    result.expected = sum(len(rooms[send.room].members) for send in run.sends)
    return result


def _count_error(result: Deliveries, raw: str, member: tuple[int, str]) -> None:
    """Tell the gateway's throttling frames and error frames from presence and the like."""
    if THROTTLED in raw:
        result.throttled += 1
        result.throttled_by[member] += 1
    elif '"error"' in raw or '"message": "' in raw:
        result.error_frames += 1


def acceptance(found: Deliveries) -> dict[str, Any]:
    """What the server accepted and whether all of it arrived: the overload's verdict.

    A message that reached nobody is a refusal when its sender got a throttling frame for it
    (matched by count per sender), and a loss otherwise; a message that reached some members
    was accepted, and every member it missed is a lost delivery. Throttling frames beyond the
    sender's unreached messages are ``refusals_unmatched``: a message refused yet delivered.
    """
    unreached: Counter[tuple[int, str]] = Counter()
    partial_messages = partial_deliveries = 0
    for send in found.run.sends:
        reached = len(found.arrivals.get(send.client_message_id, ()))
        size = found.room_sizes[send.room]
        if reached == 0:
            unreached[(send.room, send.sender)] += 1
        elif reached < size:
            partial_messages += 1
            partial_deliveries += size - reached
    refused = found.throttled_by
    senders = set(unreached) | set(refused)
    lost_whole = {key: max(0, unreached[key] - refused[key]) for key in senders}
    unmatched = sum(max(0, refused[key] - unreached[key]) for key in senders)
    lost_deliveries = partial_deliveries + sum(
        count * found.room_sizes[room] for (room, _), count in lost_whole.items()
    )
    return {
        "refused": sum(refused.values()),
        "accepted": len(found.run.sends) - sum(refused.values()),
        "accepted_messages_lost": partial_messages + sum(lost_whole.values()),
        "accepted_deliveries_lost": lost_deliveries,
        "refusals_unmatched": unmatched,
        "nothing_accepted_lost": lost_deliveries == 0
        and unmatched == 0
        and found.duplicates == 0
        and found.unexpected == 0,
    }
