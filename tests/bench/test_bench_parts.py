"""Pieces of the harness on their own: percentiles, the baseline server, the command line."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from chatserver.bench import loadgen, memory, stages, workloads
from chatserver.bench.deliveries import count
from chatserver.bench.plan import QUICK, Overload
from chatserver.bench.servers import (
    ServerProcess,
    baseline_spec,
    chatserver_spec,
    free_port,
    http_get,
)
from chatserver.bench.stats import percentile, summarize


def test_percentile_interpolates_between_ranks() -> None:
    """Percentiles interpolate linearly between the closest ranks."""
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([5.0], 99) == 5.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 100) == 5.0


def test_summary_of_nothing_has_no_figures() -> None:
    """An empty sample gives a count of 0 and no percentiles, never a made-up number."""
    assert summarize([]) == {
        "count": 0,
        "p50": None,
        "p95": None,
        "p99": None,
        "max": None,
        "mean": None,
    }


def test_baseline_broadcasts_each_message_once_to_every_member() -> None:
    """The baseline delivers every message of an open-loop load once to each room member."""
    port = free_port()
    with ServerProcess(baseline_spec(port), port) as server:
        server.start(timeout=30)
        assert http_get(f"{server.http_url}/healthz")[0] == 200

        async def load() -> tuple[int, int, int]:
            tally = loadgen.Tally()
            rooms, _ = await loadgen.open_rooms(
                server.ws_url, [("r1", 3, 2), ("r2", 2, 1)], tally, rate=100
            )
            try:
                run = await loadgen.offered_load(
                    rooms, tally, marker="t.1.", rate_per_room=20, seconds=0.5, drain=5
                )
                found = count(run, rooms)
            finally:
                await loadgen.close_rooms(rooms)
            return found.expected, found.delivered, found.duplicates + found.unexpected

        expected, delivered, wrong = asyncio.run(load())
    assert (delivered, wrong) == (expected, 0)
    assert expected == 10 * 3 + 10 * 2


@pytest.mark.slow
def test_overload_tells_refusals_from_losses_on_a_throttling_chatserver() -> None:
    """A chatserver that runs one frame per connection and queues none refuses half of a fast
    sender's messages with the throttling frame: counted as refused, nothing accepted lost."""
    port = free_port()
    tight = {"CHAT_MAX_INFLIGHT_PER_CONNECTION": "1", "CHAT_FRAME_BACKLOG_PER_CONNECTION": "0"}
    spec = Overload(
        search_members=50,
        factor=2.0,
        fallback_members=3,
        # far faster than one frame at a time can be handled, even on a fast message path
        fallback_rate=1000.0,
        seconds=0.2,
        drain_seconds=10.0,
        max_rate=1000.0,
    )
    with ServerProcess(chatserver_spec(port, tight, "tight chatserver"), port) as server:
        server.start(timeout=60)

        async def overload() -> dict[str, Any]:
            plan = replace(QUICK, senders_per_room=1)
            bench = workloads.Bench(server, plan, loadgen.Tally(), workloads.Names())
            return await workloads.overload(bench, spec, searched=[])

        found = asyncio.run(overload())
    assert found["refused"] > 0
    assert found["accepted"] + found["refused"] == found["messages_sent"] == 200
    assert found["nothing_accepted_lost"], found
    assert found["delivered"] == 3 * found["accepted"]
    assert found["drain_s"] < spec.drain_seconds  # refusals counted, no wait for them


@pytest.mark.parametrize("value", ["0", "-5"])
def test_bench_refuses_a_timeout_that_is_not_positive(value: str) -> None:
    """--timeout must be positive: the command says so and exits with 2."""
    finished = subprocess.run(
        [sys.executable, "-m", "chatserver", "bench", "--quick", "--timeout", value],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert finished.returncode == 2
    assert "--timeout must be a positive number of seconds" in finished.stderr


def test_ctrl_c_stops_the_app_and_its_emulator(tmp_path: Path) -> None:
    """Ctrl-C during a run stops chatserver serve and its emulator, and the command exits 130."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("CHAT_", "AWS_"))}
    # As from a terminal: a test run started in the background (``make test &``) ignores
    # SIGINT, and its children would inherit that.
    foreground = (
        "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "sys.argv[0] = 'chatserver'; runpy.run_module('chatserver', run_name='__main__')"
    )
    with subprocess.Popen(
        [sys.executable, "-c", foreground, "bench", "--quick", "--output-dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    ) as bench:
        try:
            assert bench.stderr is not None
            app = None
            for line in bench.stderr:
                found = re.search(r"healthy in [\d.]+ s \(pid (\d+)\)", line)
                if found:
                    app = int(found.group(1))
                    break
            assert app is not None, "the bench never reported the app's pid"
            started = [app, *memory.descendants(app)]
            assert len(started) >= 2  # the gateway and its embedded emulator
            bench.send_signal(signal.SIGINT)
            code = bench.wait(60)
            rest = bench.stderr.read()
        finally:
            if bench.poll() is None:
                bench.kill()
    assert code == 130, rest
    assert "interrupted" in rest
    assert not [pid for pid in started if _alive(pid)]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_render_refuses_a_file_that_is_not_a_report(tmp_path: Path) -> None:
    """--render of a file that is not a bench report says so and exits with 2."""
    not_a_report = tmp_path / "other.json"
    not_a_report.write_text('{"hello": 1}')
    finished = subprocess.run(
        [sys.executable, "-m", "chatserver", "bench", "--render", str(not_a_report)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert finished.returncode == 2
    assert "is not a chatserver bench report" in finished.stderr


def test_stage_cpu_counts_only_stages_run_by_one_thread() -> None:
    """A stage's CPU is the thread-time difference of its marks, if one thread made both."""
    marks = {"handler": (1.000, "7:1"), "stored": (1.0025, "7:1"), "broadcast": (3.0, "7:2")}
    assert stages._stage_cpu(marks, "handler", "stored") == pytest.approx(2.5)
    assert stages._stage_cpu(marks, "stored", "broadcast") is None
    assert stages._stage_cpu(marks, "broadcast", "posted") is None


class _Silent:
    """Stands in for a client connection that receives nothing and closes at once: the only
    way to cancel a member's close exactly while it waits for its reader."""

    def __aiter__(self) -> _Silent:
        return self

    async def __anext__(self) -> str:
        await asyncio.Event().wait()
        raise StopAsyncIteration

    async def close(self) -> None:
        return None


def test_closing_a_member_passes_a_cancellation_on() -> None:
    """A cancelled close (Ctrl-C of the bench) raises CancelledError instead of returning."""

    async def scenario() -> None:
        member = loadgen.Member(_Silent(), "u0", "r", loadgen.Tally())  # type: ignore[arg-type]
        closing = asyncio.create_task(member.close())
        await asyncio.sleep(0)  # close() now waits for its cancelled reader
        closing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await closing

    asyncio.run(scenario())
