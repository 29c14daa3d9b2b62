"""Stage timestamps of a message on its way through the pipeline, for "where does the time go".

Code on the message path calls ``mark(trace_id, stage)`` (the trace id is the message's
``clientMessageId``). A mark is a DEBUG record on the ``chatserver.trace`` logger, so it costs a
level check when tracing is off, shows up in a Lambda function's logs on AWS when DEBUG is on,
and is collected in memory by the gateway when ``CHAT_TRACE`` is set (``TraceCollector``,
served at ``GET /_chatserver/trace``). Timestamps are ``time.time()``, comparable across the
processes of one machine. Each mark also carries the CPU time its thread had used
(``time.thread_time()``) and which thread that was, so that a stage whose two marks come from
one thread (the handler's DynamoDB writes, its PutEvents, the broadcast's posts) reports the
CPU it cost, moto's work included when moto answers in that thread.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from typing import Any

logger = logging.getLogger("chatserver.trace")

#: The stages, in pipeline order.
RECEIVED = "received"  # the gateway read the frame
HANDLER = "handler"  # sendMessage started
STORED = "stored"  # the message is in DynamoDB
PUBLISHED = "published"  # PutEvents returned
BROADCAST = "broadcast"  # the broadcast task started (after EventBridge and Step Functions)
POSTED = "posted"  # every PostToConnection of the page returned
STAGES = (RECEIVED, HANDLER, STORED, PUBLISHED, BROADCAST, POSTED)


def enabled() -> bool:
    return logger.isEnabledFor(logging.DEBUG)


def mark(trace_id: str | None, stage: str) -> None:
    """Record that ``trace_id`` reached ``stage`` now (when tracing is on)."""
    if trace_id and logger.isEnabledFor(logging.DEBUG):
        thread = f"{os.getpid()}:{threading.get_ident()}"
        mark_ = (trace_id, stage, time.time(), time.thread_time(), thread)
        logger.debug("%s %s", trace_id, stage, extra={"trace": mark_})


class TraceCollector(logging.Handler):
    """Keeps the newest marks in memory for the gateway's trace endpoint."""

    def __init__(self, capacity: int = 500_000) -> None:
        super().__init__(level=logging.DEBUG)
        self._marks: deque[tuple[str, str, float, float, str]] = deque(maxlen=capacity)
        self._lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        mark_ = getattr(record, "trace", None)
        if mark_ is not None:
            with self._lock:
                self._marks.append(mark_)

    def drain(self) -> list[dict[str, Any]]:
        """Every mark collected since the last drain, oldest first."""
        with self._lock:
            marks, self._marks = list(self._marks), deque(maxlen=self._marks.maxlen)
        return [
            {"id": trace_id, "stage": stage, "at": at, "cpu": cpu, "thread": thread}
            for trace_id, stage, at, cpu, thread in marks
        ]

    def install(self) -> None:
        logger.addHandler(self)
        logger.setLevel(logging.DEBUG)
        logger.propagate = False

    def uninstall(self) -> None:
        logger.removeHandler(self)
        logger.setLevel(logging.NOTSET)
        logger.propagate = True
