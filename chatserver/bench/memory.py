"""Resident memory and CPU time of a process and its descendants, read from /proc (Linux).

The app under test is ``chatserver serve`` plus the embedded emulator, its child process (in a
session of its own, so found through the kernel's children lists, not the process group).
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path
from types import TracebackType

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid``, through /proc/<pid>/task/*/children."""
    found: list[int] = []
    pending = [pid]
    while pending:
        parent = pending.pop()
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{parent}/task").iterdir():
                with contextlib.suppress(OSError):
                    for child in (task / "children").read_text().split():
                        found.append(int(child))
                        pending.append(int(child))
    return found


def tree(pid: int) -> list[int]:
    """``pid`` and its descendants."""
    return [pid, *descendants(pid)]


def rss_bytes(pid: int) -> int:
    """VmRSS of one process; 0 once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return 0
    return 0


def tree_rss_mb(pid: int) -> dict[str, float]:
    """RSS in MB of ``pid`` itself, of its descendants together, and of both."""
    main = rss_bytes(pid) / 1e6
    children = sum(rss_bytes(child) for child in descendants(pid)) / 1e6
    return {
        "main": round(main, 1),
        "children": round(children, 1),
        "total": round(main + children, 1),
    }


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU time of these processes (utime + stime, all threads)."""
    return sum(cpu_by_pid(pids).values())


def cpu_by_pid(pids: list[int]) -> dict[int, float]:
    """Each live process's user plus system CPU seconds; those already gone are left out."""
    found: dict[int, float] = {}
    for pid in pids:
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            found[pid] = (int(fields[11]) + int(fields[12])) / _TICKS
    return found


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages."""
    return [round(value, 2) for value in os.getloadavg()]


class PeakRss:
    """Samples the total RSS of a process tree in a thread until closed; keeps the peak (MB)."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        self._pid = pid
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="peak-rss", daemon=True)
        self.peak_mb = 0.0
        self.samples = 0

    def _sample(self) -> None:
        while not self._stop.is_set():
            total = sum(rss_bytes(pid) for pid in tree(self._pid)) / 1e6
            self.peak_mb = max(self.peak_mb, total)
            self.samples += 1
            self._stop.wait(self._interval)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(5)
