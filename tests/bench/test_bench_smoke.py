"""``chatserver bench --quick`` end to end: the app, the baseline, real clients, the report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from chatserver import tracing
from chatserver.bench.plan import QUICK
from chatserver.bench.report import TARGETS
from chatserver.bench.stages import STAGES

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], str]:
    """One quick run of the harness, as a developer starts it; its folder, report and output."""
    output = tmp_path_factory.mktemp("bench")
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("CHAT_", "AWS_"))}
    finished = subprocess.run(
        [sys.executable, "-m", "chatserver", "bench", "--quick", "--output-dir", str(output)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=QUICK.timeout_seconds + 60,
        check=False,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    report = json.loads((output / "latest.json").read_text())
    return output, report, finished.stdout


def test_report_covers_both_servers_and_every_workload(
    quick_run: tuple[Path, dict[str, Any], str],
) -> None:
    """The report has latency, max rate and sustained figures for chatserver and the baseline."""
    _, report, _ = quick_run
    for name in ("chatserver", "baseline"):
        target = report["targets"][name]
        assert [row["members"] for row in target["latency"]] == list(QUICK.room_sizes)
        assert [row["members"] for row in target["max_rate"]] == list(QUICK.room_sizes)
        assert len(target["sustained"]) == len(QUICK.sustained)
        assert target["join_storm"]["members"] == QUICK.join_storm.members
        assert target["startup_s"]["median"] > 0
    assert "overload" in report["targets"]["chatserver"]
    assert "overload" not in report["targets"]["baseline"]  # it refuses nothing, stores nothing
    assert "skipped" in report["targets"]["localstack"]


def test_every_message_reached_every_member_exactly_once(
    quick_run: tuple[Path, dict[str, Any], str],
) -> None:
    """Every latency and sustained workload delivered each message once to each member."""
    _, report, _ = quick_run
    for name in ("chatserver", "baseline"):
        target = report["targets"][name]
        for row in [*target["latency"], target["join_storm"], *target["sustained"]]:
            assert row["exactly_once"], (name, row)
            assert row["delivered"] == row["expected_deliveries"] > 0
            assert row["latency_ms"]["count"] == row["delivered"]


def test_join_storm_waits_for_the_presence_storm(
    quick_run: tuple[Path, dict[str, Any], str],
) -> None:
    """chatserver announces every join; the messages start once no presence frame comes."""
    _, report, stdout = quick_run
    storm = report["targets"]["chatserver"]["join_storm"]["storm"]
    assert storm["presence_frames"] >= QUICK.join_storm.members
    assert storm["quiet_before_timeout"]
    assert storm["sending_started_after_last_join_s"] >= storm["quiet_after_last_join_s"]
    assert report["targets"]["baseline"]["join_storm"]["storm"]["presence_frames"] == 0
    assert "Join storm (" in stdout


def test_cpu_per_message_is_reported_for_every_load(
    quick_run: tuple[Path, dict[str, Any], str],
) -> None:
    """Latency, join storm and sustained loads say how much CPU one message cost, split into
    the gateway and the emulator, and the summary prints it."""
    _, report, stdout = quick_run
    target = report["targets"]["chatserver"]
    for row in [*target["latency"], target["join_storm"], *target["sustained"]]:
        cpu = row["cpu_ms_per_message"]
        assert cpu["messages"] == row["messages_sent"] > 0
        assert cpu["server_children"] > 0  # the embedded emulator worked for every message
        assert cpu["server"] == pytest.approx(cpu["server_main"] + cpu["server_children"], abs=0.02)
    assert "CPU per message (ms" in stdout


def test_overload_loses_nothing_it_accepted(quick_run: tuple[Path, dict[str, Any], str]) -> None:
    """The overload offers twice the quick search's rate and every accepted message arrives."""
    _, report, stdout = quick_run
    target = report["targets"]["chatserver"]
    overload = target["overload"]
    chosen = QUICK.overload.choose(target["max_rate"])
    assert (overload["rate_msgs_per_s"], overload["members"]) == (chosen.rate, chosen.members)
    assert chosen.members == QUICK.overload.search_members  # the search ran: not the fallback
    assert overload["nothing_accepted_lost"], overload
    assert overload["accepted"] + overload["refused"] == overload["messages_sent"] > 0
    assert "Overload (" in stdout


def test_stage_breakdown_has_every_stage(quick_run: tuple[Path, dict[str, Any], str]) -> None:
    """chatserver's breakdown has samples for every stage, from the client send to delivery."""
    _, report, _ = quick_run
    for row in report["targets"]["chatserver"]["latency"]:
        breakdown = row["stages"]
        assert [stage["stage"] for stage in breakdown["stages"]] == [key for key, *_ in STAGES]
        assert all(stage["samples"] > 0 for stage in breakdown["stages"])
        assert breakdown["traced_messages"] == row["messages_sent"]
        assert breakdown["slowest"] in {key for key, *_ in STAGES}
    covered = {mark for _, start, end, _ in STAGES for mark in (start, end)}
    assert set(tracing.STAGES) <= covered


def test_memory_of_idle_connections_is_measured(
    quick_run: tuple[Path, dict[str, Any], str],
) -> None:
    """The idle connections were all open at the server when its memory was read."""
    _, report, _ = quick_run
    memory = report["targets"]["chatserver"]["memory_mb"]
    assert memory["idle_connections"]["connections"] == QUICK.idle_connections
    assert memory["idle_connections"]["server_reports_connections"] == QUICK.idle_connections
    assert memory["idle"]["children"] > 0  # the embedded emulator is counted
    assert memory["peak_under_load"] >= memory["idle"]["main"]


def test_targets_and_ratios_are_reported(quick_run: tuple[Path, dict[str, Any], str]) -> None:
    """Every target appears in the report and the summary, and ratios exist per room size."""
    _, report, stdout = quick_run
    assert [goal["target"] for goal in report["goals"]] == [key for key, _ in TARGETS]
    assert [row["members"] for row in report["ratios"]["latency"]] == list(QUICK.room_sizes)
    for _, description in TARGETS:
        assert description in stdout


def test_chart_and_dated_report_are_written(quick_run: tuple[Path, dict[str, Any], str]) -> None:
    """latest.png is a PNG image, and a dated JSON copy sits next to latest.json."""
    output, _, _ = quick_run
    assert (output / "latest.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(list(output.glob("*-quick.json"))) == 1
