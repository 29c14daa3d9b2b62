"""Where the time goes: chatserver's trace marks (``CHAT_TRACE``, ``GET /_chatserver/trace``)
joined by clientMessageId with the client's send time and each member's arrival time.

Stages, in pipeline order (each from one timestamp to the next):

=========================  ===============================================================
client send -> received    the gateway read the frame and started routing it (network,
                           uvicorn, WebSocket parse, and the wait for one of the
                           connection's CHAT_MAX_INFLIGHT_PER_CONNECTION handler slots)
received -> handler        the local Lambda runtime dispatched sendMessage
handler -> stored          DynamoDB: the message written
stored -> published        EventBridge PutEvents returned
published -> broadcast     EventBridge rule, Step Functions start, room query, task dispatch
broadcast -> posted        PostToConnection to every member returned (the fan-out)
posted -> delivered        each member's client read the frame (per member; may be negative:
                           the first members get it before the last post returns)
=========================  ===============================================================

A room larger than one page of the state machine is broadcast by several tasks: the earliest
``broadcast`` and the latest ``posted`` mark count. Each stage's mean is also given as a share
of the sum of the means (the mean end-to-end latency), and the stage with the largest share is
named the slowest.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from chatserver import tracing
from chatserver.bench.deliveries import Deliveries
from chatserver.bench.servers import http_get
from chatserver.bench.stats import summarize

#: (key, from, to, what) for every stage; "sent" and "delivered" are the client's times.
STAGES: tuple[tuple[str, str, str, str], ...] = (
    (
        "gateway_read",
        "sent",
        tracing.RECEIVED,
        "client send -> gateway routes the frame (incl. waiting for a handler slot)",
    ),
    ("dispatch", tracing.RECEIVED, tracing.HANDLER, "local Lambda runtime dispatch"),
    ("dynamodb", tracing.HANDLER, tracing.STORED, "DynamoDB write"),
    ("eventbridge", tracing.STORED, tracing.PUBLISHED, "EventBridge PutEvents"),
    (
        "fanout_start",
        tracing.PUBLISHED,
        tracing.BROADCAST,
        "EventBridge rule + Step Functions start + room query + task dispatch",
    ),
    ("post_to_connection", tracing.BROADCAST, tracing.POSTED, "PostToConnection fan-out"),
    ("gateway_write", tracing.POSTED, "delivered", "gateway write to each member's client"),
)


class TraceUnavailable(Exception):
    """The server does not serve its trace (CHAT_TRACE off, or not chatserver)."""


def drain_marks(http_url: str) -> list[dict[str, Any]]:
    """Every mark collected since the last call (and forget them on the server)."""
    status, body = http_get(f"{http_url}/_chatserver/trace", timeout=30.0)
    if status != 200:
        raise TraceUnavailable(f"GET /_chatserver/trace answered {status}: {body[:200]!r}")
    marks = json.loads(body)["marks"]
    assert isinstance(marks, list)
    return marks


def _times_by_message(marks: Iterable[dict[str, Any]]) -> dict[str, dict[str, float]]:
    found: dict[str, dict[str, float]] = {}
    for mark in marks:
        stages = found.setdefault(str(mark["id"]), {})
        stage, at = str(mark["stage"]), float(mark["at"])
        if stage == tracing.POSTED:
            stages[stage] = max(at, stages.get(stage, at))
        elif stage not in stages:
            stages[stage] = at
    return found


def _cpu_by_message(marks: Iterable[dict[str, Any]]) -> dict[str, dict[str, tuple[float, str]]]:
    """Each message's first mark of each stage: the thread's CPU seconds then, and the thread
    (marks of servers that do not report CPU are left out)."""
    found: dict[str, dict[str, tuple[float, str]]] = {}
    for mark in marks:
        if "cpu" not in mark:
            continue
        stages = found.setdefault(str(mark["id"]), {})
        stages.setdefault(str(mark["stage"]), (float(mark["cpu"]), str(mark.get("thread"))))
    return found


def _stage_cpu(marks: dict[str, tuple[float, str]], start: str, end: str) -> float | None:
    """CPU ms between two marks of one thread; None when the stage spans threads."""
    first, last = marks.get(start), marks.get(end)
    if first is None or last is None or first[1] != last[1]:
        return None
    return (last[0] - first[0]) * 1000


def breakdown(deliveries: Deliveries, marks: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-stage p50/p95/mean (ms) over the messages of one load, and the slowest stage."""
    by_message = _times_by_message(marks)
    cpu_by_message = _cpu_by_message(marks)
    samples: dict[str, list[float]] = {key: [] for key, *_ in STAGES}
    cpu_samples: dict[str, list[float]] = {key: [] for key, *_ in STAGES}
    traced = 0
    for send in deliveries.run.sends:
        times = by_message.get(send.client_message_id)
        if times is None:
            continue
        traced += 1
        times = {**times, "sent": send.sent_at}
        cpu_marks = cpu_by_message.get(send.client_message_id, {})
        for key, start, end, _ in STAGES:
            cpu = _stage_cpu(cpu_marks, start, end)
            if cpu is not None:
                cpu_samples[key].append(cpu)
            if start not in times:
                continue
            if end == "delivered":
                for arrived in deliveries.arrivals.get(send.client_message_id, ()):
                    samples[key].append((arrived - times[start]) * 1000)
            elif end in times:
                samples[key].append((times[end] - times[start]) * 1000)
    summaries = [summarize(samples[key]) for key, *_ in STAGES]
    means = [float(figures["mean"] or 0.0) for figures in summaries]
    total_mean = sum(means)
    stages: list[dict[str, Any]] = [
        {
            "stage": key,
            "from": start,
            "to": end,
            "what": what,
            "p50_ms": figures["p50"],
            "p95_ms": figures["p95"],
            "mean_ms": figures["mean"],
            "share": round(mean / total_mean, 3) if total_mean > 0 else 0.0,
            "samples": figures["count"],
            # CPU of the thread that ran the stage (None: the stage spans threads/processes)
            "cpu_mean_ms": summarize(cpu_samples[key])["mean"],
        }
        for (key, start, end, what), figures, mean in zip(STAGES, summaries, means, strict=True)
    ]
    slowest = STAGES[means.index(max(means))][0]
    return {
        "messages": len(deliveries.run.sends),
        "traced_messages": traced,
        "stages": stages,
        "sum_of_means_ms": round(total_mean, 1),
        "slowest": slowest,
    }
