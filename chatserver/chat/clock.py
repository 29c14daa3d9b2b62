"""Timestamps in the formats AWS and the chat protocol use."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def now_ms() -> int:
    """Milliseconds since the epoch, as API Gateway's ``connectedAt`` and ``requestTimeEpoch``."""
    return time.time_ns() // 1_000_000


def iso_ms(epoch_ms: int) -> str:
    """ISO-8601 UTC with milliseconds, e.g. ``2026-11-24T22:14:03.123Z`` (the protocol's sentAt)."""
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"


def clf(epoch_ms: int) -> str:
    """Common Log Format, as API Gateway's ``requestTime``: ``24/Nov/2026:22:14:03 +0000``."""
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")
