"""The garbage collector of a long-running server process, set for short pauses.

CPython's full (generation 2) collection walks every tracked object. After start-up the
embedded emulator holds hundreds of thousands of them (moto's models and service
specifications, boto3's, the Step Functions engine), all of which live as long as the process:
measured under a chat load, full collections paused the emulator for 50 to 120 ms, which was
most of the p99 latency of a message. ``settle`` collects once, then freezes what exists (never
scanned again), so later full collections walk only what the process built since, and spaces
collections out. The price is memory: garbage waits longer, and after 1,000 connections joined
the emulator held 193 MB instead of 167 with CPython's thresholds (freezing alone costs
nothing). A full collection every second, or once the process goes idle, was measured too: the
first brought the memory back (159 MB) and the p99 of a 50-member room from 163 to 311-337 ms,
the second did not bring it back (the pages stay with the process).
"""

from __future__ import annotations

import gc

#: Allocations between young collections (CPython's default: 700), and young collections
#: between middle ones (default: 10).
YOUNG_THRESHOLD = 20_000
MIDDLE_THRESHOLD = 10
#: Middle collections between full ones (default: 10). Measured on a 50-member room at 20 msg/s
#: (docs/performance.md, the heap): 100 gave 41.8 ms of CPU per message and p99 147-177 ms, 10
#: gave 45.7 ms and p99 200-390 ms, with the same resident memory.
OLD_THRESHOLD = 100


def settle() -> None:
    """Call once start-up is done: what exists now is kept for the process's life."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, MIDDLE_THRESHOLD, OLD_THRESHOLD)
