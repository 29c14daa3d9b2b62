"""The machine a run measured: what the report and the chart print next to the figures."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chatserver import __version__
from chatserver.bench import memory

REPOSITORY = Path(__file__).resolve().parents[2]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def git_commit() -> str | None:
    """The checkout's commit (with ``-dirty`` if it has changes), or None outside a checkout."""
    if not (REPOSITORY / ".git").exists():
        return None
    try:
        commit = _git("rev-parse", "--short=12", "HEAD")
        dirty = _git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{commit}-dirty" if dirty else commit


def _git(*args: str) -> str:
    return subprocess.run(  # noqa: S603 - fixed git commands, no outside input
        ["git", *args],  # noqa: S607 - git from the PATH
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=True,
        timeout=10,
    ).stdout.strip()


def describe() -> dict[str, Any]:
    return {
        "cpu_model": cpu_model(),
        "cores": os.cpu_count(),
        "memory_gb": memory_gb(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "chatserver": __version__,
        "git_commit": git_commit(),
        "date": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "load_average_at_start": memory.load_average(),
    }


def one_line(machine: dict[str, Any]) -> str:
    return (
        f"{machine['cores']} cores {machine['cpu_model']}, {machine['memory_gb']} GB, "
        f"Python {machine['python']}, {machine['date']}, commit {machine['git_commit']}"
    )
