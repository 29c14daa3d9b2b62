"""Token-bucket throttling, as API Gateway throttles new connections and @connections calls.

A bucket holds at most ``burst`` tokens and refills at ``rate`` tokens per second; a request
that finds no token is refused with 429 (LimitExceededException / Too Many Requests).
"""

from __future__ import annotations

import time


class TokenBucket:
    def __init__(self, rate: float, burst: int) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._tokens = float(burst)
        self._updated = time.monotonic()

    def try_acquire(self) -> bool:
        """Take one token if there is one."""
        now = time.monotonic()
        self._tokens = min(self._burst, self._tokens + (now - self._updated) * self._rate)
        self._updated = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False
