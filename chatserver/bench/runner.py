"""A whole benchmark run: chatserver on the embedded emulator, the baseline, and (when asked)
chatserver on LocalStack, one after another on this machine; every process it starts is
stopped before it returns, on error, timeout or Ctrl-C too."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from chatserver.bench import machine, memory, workloads
from chatserver.bench.loadgen import Tally
from chatserver.bench.plan import Deadline, Plan
from chatserver.bench.servers import (
    ServerProcess,
    ServerSpec,
    baseline_spec,
    chatserver_spec,
    free_port,
)
from chatserver.emulator import localstack_host

Log = Callable[[str], None]


_STARTED = time.monotonic()


def stderr_log(message: str) -> None:
    """Progress on stderr, with the seconds since the command started."""
    print(f"bench {time.monotonic() - _STARTED:6.1f}s: {message}", file=sys.stderr, flush=True)


def run(
    plan: Plan, *, baseline: bool = True, localstack: bool = False, log: Log = stderr_log
) -> dict[str, Any]:
    """Measure every target; the report's dict (without goals and ratios, see ``report``)."""
    deadline = Deadline(plan.timeout_seconds)
    started = time.monotonic()
    report: dict[str, Any] = {
        "schema": 1,
        "plan": plan.as_dict(),
        "machine": machine.describe(),
        "settings": {
            "server": "chatserver serve, CHAT_TRACE=true, CHAT_LOG_LEVEL=warning, every limit "
            "at its default (new connections 500/s burst 500; @connections 10,000/s burst 5,000)",
            "connect_pacing_per_s": plan.connect_rate,
            "clients": "websockets asyncio clients in the bench process, no compression, "
            "no client pings",
            "senders": f"the first min({plan.senders_per_room}, members) members of a room "
            "send, round-robin; every member (senders too) receives every message",
            "latency": "time.time() at the receiving client minus time.time() just before the send",
        },
        "targets": {},
    }
    embedded = lambda port: chatserver_spec(port, {}, "chatserver (embedded emulator)")  # noqa: E731
    report["targets"]["chatserver"] = measure(embedded, plan, deadline, log)
    if baseline:
        report["targets"]["baseline"] = measure(baseline_spec, plan, deadline, log)
    if localstack:
        report["targets"]["localstack"] = measure_localstack(plan, deadline, log)
    else:
        report["targets"]["localstack"] = {
            "skipped": "not asked for (chatserver bench --all-backends)"
        }
    report["load_average_at_end"] = memory.load_average()
    report["duration_s"] = round(time.monotonic() - started, 1)
    return report


def measure(
    spec_for_port: Callable[[int], ServerSpec],
    plan: Plan,
    deadline: Deadline,
    log: Log,
    *,
    full: bool = True,
    extra_memory: Callable[[], dict[str, float]] | None = None,
    backend_pids: Callable[[], list[int]] | None = None,
) -> dict[str, Any]:
    """Start-up runs, then every workload against one long-running instance."""
    started = time.monotonic()
    label = spec_for_port(0).label
    times: list[float] = []
    for index in range(max(plan.start_runs, 1) - 1):
        deadline.check(f"starting {label}")
        port = free_port()
        with ServerProcess(spec_for_port(port), port) as server:
            times.append(server.start())
        log(f"{label}: start-up run {index + 1}: healthy in {times[-1]:.2f} s")
    deadline.check(f"starting {label}")
    port = free_port()
    with ServerProcess(spec_for_port(port), port) as server:
        server.backend_pids = backend_pids
        times.append(server.start())
        log(f"{label}: healthy in {times[-1]:.2f} s (pid {server.pid}); measuring")
        time.sleep(2 * plan.settle_seconds)  # let the start-up work finish before the idle RSS
        result: dict[str, Any] = {
            "label": label,
            "kind": server.spec.kind,
            "startup_s": {
                "runs": [round(t, 3) for t in times],
                "min": round(min(times), 3),
                "median": round(statistics.median(times), 3),
            },
            "memory_mb": {"idle": memory.tree_rss_mb(server.pid)},
        }
        if extra_memory is not None:
            result["memory_mb"]["idle_backend"] = extra_memory()
        asyncio.run(_workloads(server, plan, result, deadline, log, full=full))

        log(f"{label}: stopping")
    result["seconds"] = round(time.monotonic() - started, 1)
    return result


async def _workloads(
    server: ServerProcess,
    plan: Plan,
    result: dict[str, Any],
    deadline: Deadline,
    log: Log,
    *,
    full: bool,
) -> None:
    bench = workloads.Bench(server, plan, Tally(), workloads.Names())
    label = server.spec.label
    async with asyncio.timeout(deadline.remaining()):
        if full:
            log(f"{label}: {plan.idle_connections} idle connections")
            idle = await workloads.idle_connections(bench)
            result["memory_mb"]["idle_connections"] = idle
            log(f"{label}: {idle['connections']} idle connections: {idle['rss_mb']['total']} MB")
        result["latency"] = []
        result["max_rate"] = []
        sizes = plan.room_sizes if full else plan.localstack_room_sizes
        for members in sizes:
            log(f"{label}: {members}-member room at {plan.steady_rate:g} msg/s")
            latency, maximum = await workloads.room_size(bench, members)
            result["latency"].append(latency)
            log(
                f"{label}: {members} members: latency {latency['latency_ms']}, "
                f"lost {latency['lost']}"
            )
            result["max_rate"].append(maximum)
            log(
                f"{label}: {members} members: max no-loss rate "
                f"{maximum['max_no_loss_msgs_per_s']} msg/s ({maximum['stopped_by']})"
            )
        if full and plan.join_storm is not None:
            result["join_storm"] = await _join_storm(bench, plan, log)
        result["sustained"] = []
        if full:
            for spec in plan.sustained:
                log(f"{label}: sustained {spec.name} for {spec.seconds:g} s")
                sustained = await workloads.sustained(bench, spec)
                result["sustained"].append(sustained)
                log(
                    f"{label}: {spec.name}: {sustained['deliveries_per_s']} deliveries/s, "
                    f"p99 {sustained['latency_ms']['p99']} ms, lost {sustained['lost']}"
                )
            result["memory_mb"]["peak_under_load"] = max(
                (s["peak_rss_mb"] for s in result["sustained"]), default=None
            )
        if full and plan.overload is not None and server.spec.kind == "chatserver":
            result["overload"] = await _overload(bench, plan, result["max_rate"], log)
    result["quiet_waits_s"] = bench.quiet_waits


async def _join_storm(bench: workloads.Bench, plan: Plan, log: Log) -> dict[str, Any]:
    assert plan.join_storm is not None
    spec, label = plan.join_storm, bench.server.spec.label
    log(
        f"{label}: join storm: {spec.members} members, then {spec.rate:g} msg/s "
        f"for {spec.seconds:g} s"
    )
    found = await workloads.join_storm(bench, spec)
    log(
        f"{label}: join storm: joined in {found['connect_s']} s, presence quiet "
        f"{found['storm']['quiet_after_last_join_s']} s after the last; messages p50 "
        f"{found['latency_ms']['p50']} p99 {found['latency_ms']['p99']} ms, lost {found['lost']}"
    )
    return found


async def _overload(
    bench: workloads.Bench, plan: Plan, searched: list[dict[str, Any]], log: Log
) -> dict[str, Any]:
    assert plan.overload is not None
    label = bench.server.spec.label
    chosen = plan.overload.choose(searched)
    log(f"{label}: overload: {chosen.rate:g} msg/s into {chosen.members} members ({chosen.basis})")
    found = await workloads.overload(bench, plan.overload, searched)
    log(
        f"{label}: overload: {found['refused']} refused, accepted deliveries lost "
        f"{found['accepted_deliveries_lost']}, duplicates {found['duplicates']}, "
        f"late {found['late']}"
    )
    return found


def measure_localstack(plan: Plan, deadline: Deadline, log: Log) -> dict[str, Any]:
    """The latency workloads on real LocalStack (started without Docker), or why not."""
    started = time.monotonic()
    cache = localstack_host.Cache(localstack_host.default_cache_dir())
    if not cache.ready:
        try:
            localstack_host.find_python313()
        except localstack_host.HostError as exc:
            return {"skipped": f"LocalStack's prerequisites are missing: {exc}"}
    state_dir = Path(tempfile.mkdtemp(prefix="chatserver-bench-localstack-"))
    instance = localstack_host.Instance(state_dir)
    try:
        log("LocalStack: starting (installs on first use)")
        try:
            url = instance.start(
                cache,
                init_dir=localstack_host.default_init_dir(),
                log=localstack_host.Log(quiet=True),
            )
        except localstack_host.HostError as exc:
            return {"skipped": f"LocalStack did not start: {exc}"}
        localstack_ready = time.monotonic() - started
        log(f"LocalStack: ready at {url} in {localstack_ready:.1f} s")
        prefix = f"bench{uuid.uuid4().hex[:8]}"
        env = {"CHAT_AWS_ENDPOINT_URL": url, "CHAT_RESOURCE_PREFIX": prefix}
        spec = lambda port: chatserver_spec(port, env, "chatserver (LocalStack 4.14.0)")  # noqa: E731
        localstack_plan = _single_start(plan)
        result = measure(
            spec,
            localstack_plan,
            deadline,
            log,
            full=False,
            extra_memory=lambda: _localstack_rss(instance),
            backend_pids=lambda: _localstack_pids(instance),
        )
        result["localstack_start_s"] = round(localstack_ready, 1)
    finally:
        instance.stop()
        shutil.rmtree(state_dir, ignore_errors=True)
    result["seconds"] = round(time.monotonic() - started, 1)
    return result


def _single_start(plan: Plan) -> Plan:
    return replace(plan, start_runs=1)


def _localstack_pids(instance: localstack_host.Instance) -> list[int]:
    """LocalStack's processes and its DynamoDB Local JVM (in a session of its own)."""
    pid = instance.pid
    pids = set(memory.tree(pid)) if pid else set()
    with contextlib.suppress(OSError, ValueError):
        pids.update(int(line) for line in instance.children_file.read_text().split())
    return sorted(pids)


def _localstack_rss(instance: localstack_host.Instance) -> dict[str, float]:
    total = sum(memory.rss_bytes(pid) for pid in _localstack_pids(instance)) / 1e6
    return {"localstack_and_dynamodb_local": round(total, 1)}
