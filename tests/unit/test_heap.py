"""The long-running processes settle their heap once start-up is done."""

from __future__ import annotations

import subprocess
import sys

from chatserver import heap


def _settled_state() -> tuple[int, tuple[int, int, int]]:
    probe = (
        "import gc\n"
        "from chatserver import heap\n"
        "kept = [[i] for i in range(1000)]\n"
        "heap.settle()\n"
        "print(gc.get_freeze_count(), *gc.get_threshold())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    ).stdout.split()
    return int(out[0]), (int(out[1]), int(out[2]), int(out[3]))


def test_settle_freezes_what_start_up_built_and_spaces_out_collections() -> None:
    """After settle, start-up's objects are frozen and young collections are rarer."""
    frozen, thresholds = _settled_state()
    assert frozen >= 1000
    assert thresholds == (heap.YOUNG_THRESHOLD, heap.MIDDLE_THRESHOLD, heap.OLD_THRESHOLD)
    assert heap.YOUNG_THRESHOLD > 700  # CPython's default, which paused the emulator often
