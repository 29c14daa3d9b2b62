"""The no-Docker LocalStack runner, started for real (a second instance beside the session's)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
NEEDS_INSTALL = "needs the LocalStack install that the localstack backend prepares"


def _script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / "localstack" / "run-local.sh"), *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def _processes_of(state: Path) -> list[int]:
    """Processes running in ``state`` (LocalStack) or naming it (the DynamoDB Local JVM)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                in_state = str(state) in os.readlink(entry / "cwd")
                if in_state or str(state).encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.mark.backend("localstack", reason=NEEDS_INSTALL)
def test_start_runs_the_hooks_and_stop_ends_localstack_and_its_jvm(tmp_path: Path) -> None:
    """start serves on a free port with the init hook run; stop leaves no process behind."""
    state = tmp_path / "state"
    try:
        started = _script("--state-dir", str(state), "start")
        assert started.returncode == 0, started.stderr
        url = started.stdout.strip()
        assert url.startswith("http://127.0.0.1:")
        assert _script("--state-dir", str(state), "url").stdout.strip() == url
        with urllib.request.urlopen(f"{url}/_localstack/init/ready", timeout=5) as response:
            init = json.load(response)
        assert init["completed"] is True
        assert init["scripts"] == [
            {"stage": "READY", "name": "00-fix-activity-task-race.py", "state": "SUCCESSFUL"},
            {"stage": "READY", "name": "10-warm-dynamodb.py", "state": "SUCCESSFUL"},
        ]
        assert len(_processes_of(state)) >= 2  # LocalStack and the JVM
    finally:
        stopped = _script("--state-dir", str(state), "stop")
    assert stopped.returncode == 0
    assert _processes_of(state) == []
    assert _script("--state-dir", str(state), "status").returncode == 3


@pytest.mark.backend("localstack", reason=NEEDS_INSTALL)
def test_stop_ends_the_jvm_even_after_localstack_was_killed(tmp_path: Path) -> None:
    """The DynamoDB Local JVM runs in a session of its own: stop ends it even if LocalStack died."""
    state = tmp_path / "state"
    try:
        assert _script("--state-dir", str(state), "start").returncode == 0
        localstack_pid = int((state / "localstack.pid").read_text())
        os.kill(localstack_pid, signal.SIGKILL)
        jvms = [pid for pid in _processes_of(state) if pid != localstack_pid]
        assert jvms, "no DynamoDB Local JVM was running"
    finally:
        stopped = _script("--state-dir", str(state), "stop")
    assert stopped.returncode == 0
    assert _processes_of(state) == []
