"""The report: the issue's targets checked against the figures, ratios to the baseline, the
JSON files and a readable summary table."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from chatserver.bench.machine import one_line

#: (key, description) of each target; checked on chatserver with the embedded emulator.
TARGETS = (
    ("p50_50_members_20_per_s", "p50 < 30 ms send-to-delivery, 50-member room, 20 msg/s"),
    ("p99_50_members_20_per_s", "p99 < 100 ms send-to-delivery, 50-member room, 20 msg/s"),
    ("sustained_50_members_50_per_s", "50 msg/s into a 50-member room: p99 < 250 ms, no loss"),
    ("sustained_10_members_100_per_s", ">= 100 msg/s into 10-member rooms, no loss"),
    ("idle_1000_connections_rss", "1,000 idle connections: whole app < 250 MB resident"),
    ("healthy_within_2_s", "healthy within 2 s of start (median of the runs)"),
)


def _find(items: list[dict[str, Any]], **fields: Any) -> dict[str, Any] | None:
    for item in items:
        if all(item.get(key) == value for key, value in fields.items()):
            return item
    return None


def goals(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with the measured figure and whether it was met (None: not measured)."""
    app = report["targets"].get("chatserver", {})
    found: list[dict[str, Any]] = []

    def add(key: str, measured: Any, met: bool | None) -> None:
        description = dict(TARGETS)[key]
        found.append({"target": key, "description": description, "measured": measured, "met": met})

    steady = _find(app.get("latency", []), members=50, rate_msgs_per_s=20.0)
    if steady is None:
        add("p50_50_members_20_per_s", "not measured", None)
        add("p99_50_members_20_per_s", "not measured", None)
    else:
        p50, p99 = steady["latency_ms"]["p50"], steady["latency_ms"]["p99"]
        add("p50_50_members_20_per_s", f"{p50} ms", p50 is not None and p50 < 30)
        add(
            "p99_50_members_20_per_s",
            f"{p99} ms",
            p99 is not None and p99 < 100 and steady["lost"] == 0,
        )
    fifty = _find(app.get("sustained", []), members=50, offered_total_msgs_per_s=50.0)
    if fifty is None:
        add("sustained_50_members_50_per_s", "not measured", None)
    else:
        p99 = fifty["latency_ms"]["p99"]
        add(
            "sustained_50_members_50_per_s",
            f"p99 {p99} ms, {fifty['deliveries_per_s']} deliveries/s, {_losses(fifty)}",
            p99 is not None and p99 < 250 and _kept_up(fifty),
        )
    ten = next(
        (
            s
            for s in app.get("sustained", [])
            if s["members"] == 10 and s["offered_total_msgs_per_s"] >= 100
        ),
        None,
    )
    if ten is None:
        add("sustained_10_members_100_per_s", "not measured", None)
    else:
        add(
            "sustained_10_members_100_per_s",
            f"{ten['messages_per_s']} msg/s delivered to every member "
            f"({ten['offered_total_msgs_per_s']:g} offered), p99 {ten['latency_ms']['p99']} ms, "
            f"{_losses(ten)}",
            _kept_up(ten),
        )
    idle = app.get("memory_mb", {}).get("idle_connections")
    if idle is None or idle["connections"] < 1000:
        add("idle_1000_connections_rss", "not measured", None)
    else:
        total = idle["rss_mb"]["total"]
        add("idle_1000_connections_rss", f"{total} MB", total < 250)
    startup = app.get("startup_s")
    if startup is None:
        add("healthy_within_2_s", "not measured", None)
    else:
        add("healthy_within_2_s", f"median {startup['median']} s", startup["median"] < 2.0)
    return found


def _kept_up(row: dict[str, Any]) -> bool:
    """Sustained: every message to every member once, none after the drain window, and the
    delivered message rate within 5 % of the offered one."""
    return bool(
        row["exactly_once"]
        and row["late"] == 0
        and row["messages_per_s"] >= 0.95 * row["offered_total_msgs_per_s"]
    )


def _losses(row: dict[str, Any]) -> str:
    return (
        f"lost {row['lost']} (throttled messages {row.get('throttled', 0)}), late {row['late']}, "
        f"duplicates {row['duplicates']}"
    )


def _ratio(mine: float | None, theirs: float | None) -> float | None:
    if mine is None or not theirs:
        return None
    ratio = mine / theirs
    return round(ratio, 1) if ratio >= 10 else round(ratio, 3)


def _paired(
    app: dict[str, Any], base: dict[str, Any], section: str, key: str
) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """chatserver's rows of ``section`` with the baseline's row of the same ``key``."""
    for mine in app.get(section, []):
        theirs = _find(base.get(section, []), **{key: mine[key]})
        if theirs is not None:
            yield mine, theirs


def ratios(report: dict[str, Any]) -> dict[str, Any]:
    """chatserver / baseline, for every figure both measured."""
    app = report["targets"].get("chatserver", {})
    base = report["targets"].get("baseline", {})
    if not base or "latency" not in base:
        return {}
    latency = [
        {
            "members": mine["members"],
            **{
                q: _ratio(mine["latency_ms"][q], theirs["latency_ms"][q])
                for q in ("p50", "p95", "p99", "max")
            },
        }
        for mine, theirs in _paired(app, base, "latency", "members")
    ]
    max_rate = [
        {
            "members": mine["members"],
            "max_no_loss_msgs_per_s": _ratio(
                mine["max_no_loss_msgs_per_s"], theirs["max_no_loss_msgs_per_s"]
            ),
            "baseline_capped": theirs["capped"],
        }
        for mine, theirs in _paired(app, base, "max_rate", "members")
    ]
    sustained = [
        {
            "name": mine["name"],
            "deliveries_per_s": _ratio(mine["deliveries_per_s"], theirs["deliveries_per_s"]),
            "p50": _ratio(mine["latency_ms"]["p50"], theirs["latency_ms"]["p50"]),
            "p99": _ratio(mine["latency_ms"]["p99"], theirs["latency_ms"]["p99"]),
        }
        for mine, theirs in _paired(app, base, "sustained", "name")
    ]
    return {
        "meaning": "chatserver's figure divided by the baseline's (latency: times slower; "
        "rates: fraction of the baseline's; a baseline that passed every step is capped, so "
        "the rate ratio is an upper bound)",
        "latency": latency,
        "max_rate": max_rate,
        "sustained": sustained,
    }


def complete(report: dict[str, Any]) -> dict[str, Any]:
    """Add ratios and goals to a runner's report."""
    report["ratios"] = ratios(report)
    report["goals"] = goals(report)
    return report


def write(report: dict[str, Any], directory: Path) -> tuple[Path, Path]:
    """``<timestamp>.json`` and ``latest.json`` in ``directory``; their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.fromisoformat(report["machine"]["date"].replace("Z", "+00:00"))
    name = stamp.strftime("%Y%m%dT%H%M%SZ") + f"-{report['plan']['name']}.json"
    text = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    dated, latest = directory / name, directory / "latest.json"
    dated.write_text(text)
    latest.write_text(text)
    return dated, latest


def _cores(cpu: dict[str, float]) -> str:
    """Total, split into main process and children when there are children, and backend."""
    text = f"{cpu['server']}"
    if cpu.get("server_children"):
        text += f" (main {cpu['server_main']}, children {cpu['server_children']})"
    if "backend" in cpu:
        text += f", backend {cpu['backend']}"
    return text


def _ms(value: Any) -> str:
    return "-" if value is None else f"{value:g}"


def summary(report: dict[str, Any]) -> str:
    """The figures as plain-text tables, and the targets."""
    return "\n".join(
        [
            f"chatserver bench ({report['plan']['name']}): {one_line(report['machine'])}",
            f"load average at start {report['machine']['load_average_at_start']}, at end "
            f"{report.get('load_average_at_end')}; run took {report.get('duration_s')} s",
            *_latency_lines(report),
            *_rate_lines(report),
            *_stage_lines(report),
            *_memory_lines(report),
            *_ratio_lines(report),
            "",
            "Targets (chatserver on the embedded emulator):",
            *(
                f"  [{_VERDICT[goal['met']]:^7}] {goal['description']}: {goal['measured']}"
                for goal in report.get("goals", [])
            ),
        ]
    )


_VERDICT = {True: "met", False: "NOT met", None: "n/a"}


def _latency_lines(report: dict[str, Any]) -> list[str]:
    lines = [
        "",
        f"Send-to-delivery latency at every member (ms), {report['plan']['steady_rate']:g} msg/s:",
        f"  {'target':<32} {'members':>7} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7} "
        f"{'lost':>5} {'dup':>4}",
    ]
    for name, target in report["targets"].items():
        if "skipped" in target:
            lines.append(f"  {name}: skipped: {target['skipped']}")
        for row in target.get("latency", []):
            figures = row["latency_ms"]
            lines.append(
                f"  {target['label']:<32} {row['members']:>7} {_ms(figures['p50']):>7} "
                f"{_ms(figures['p95']):>7} {_ms(figures['p99']):>7} {_ms(figures['max']):>7} "
                f"{row['lost']:>5} {row['duplicates']:>4}"
            )
    return lines


def _rate_lines(report: dict[str, Any]) -> list[str]:
    compared = [t for t in report["targets"].values() if "skipped" not in t]
    lines = ["", "Highest rate with no loss (msg/s into one room; deliveries/s):"]
    for target in compared:
        for row in target.get("max_rate", []):
            sign = ">=" if row["capped"] else ""
            lines.append(
                f"  {target['label']:<32} {row['members']:>3} members: "
                f"{sign}{row['max_no_loss_msgs_per_s']:g} msg/s "
                f"({sign}{row['max_no_loss_deliveries_per_s']:g} deliveries/s); "
                f"stopped by: {row['stopped_by']}"
            )
    lines += ["", "Sustained throughput (exactly-once checked):"]
    for target in compared:
        for row in target.get("sustained", []):
            lines.append(
                f"  {target['label']:<32} {row['name']}: {row['messages_per_s']:g} msg/s, "
                f"{row['deliveries_per_s']:g} deliveries/s, p50 {_ms(row['latency_ms']['p50'])} "
                f"p99 {_ms(row['latency_ms']['p99'])} ms, lost {row['lost']}, duplicates "
                f"{row['duplicates']}, late {row['late']}; CPU cores: server "
                f"{_cores(row['cpu_cores'])}, load generator {row['cpu_cores']['load_generator']}"
            )
    return lines


def _stage_lines(report: dict[str, Any]) -> list[str]:
    lines = ["", "Where the time goes (mean ms per stage, share of the sum):"]
    for target in report["targets"].values():
        for row in target.get("latency", []) + target.get("sustained", []):
            stages = row.get("stages")
            if not stages:
                continue
            what = row.get("name") or f"{row['members']} members, {row['rate_msgs_per_s']:g} msg/s"
            parts = ", ".join(
                f"{s['stage']} {_ms(s['mean_ms'])} ({s['share']:.0%})" for s in stages["stages"]
            )
            lines.append(f"  {target['label']}, {what}: {parts}; slowest: {stages['slowest']}")
    return lines


def _memory_lines(report: dict[str, Any]) -> list[str]:
    lines = ["", "Start and resident memory (the server and its child processes, MB):"]
    for target in report["targets"].values():
        if "startup_s" not in target:
            continue
        memory = target.get("memory_mb", {})
        idle = memory.get("idle", {})
        line = (
            f"  {target['label']:<32} healthy in {target['startup_s']['median']} s (median; "
            f"min {target['startup_s']['min']}); idle {idle.get('total')} (main "
            f"{idle.get('main')}, children {idle.get('children')})"
        )
        connections = memory.get("idle_connections")
        if connections:
            line += (
                f"; {connections['connections']} idle connections {connections['rss_mb']['total']}"
                f" (main {connections['rss_mb']['main']}, children "
                f"{connections['rss_mb']['children']}); peak under load "
                f"{memory.get('peak_under_load')}"
            )
        for name, value in (memory.get("idle_backend") or {}).items():
            line += f"; {name.replace('_', ' ')} {value}"
        lines.append(line)
    return lines


def _ratio_lines(report: dict[str, Any]) -> list[str]:
    ratios_ = report.get("ratios") or {}
    if not ratios_:
        return []
    lines = ["", "chatserver / baseline:"]
    for row in ratios_.get("latency", []):
        lines.append(
            f"  latency, {row['members']} members: p50 x{row['p50']}, p95 x{row['p95']}, "
            f"p99 x{row['p99']}, max x{row['max']}"
        )
    for row in ratios_.get("max_rate", []):
        bound = " (the baseline passed every step: at most)" if row["baseline_capped"] else ""
        lines.append(
            f"  max no-loss rate, {row['members']} members: x{row['max_no_loss_msgs_per_s']}{bound}"
        )
    for row in ratios_.get("sustained", []):
        lines.append(f"  sustained, {row['name']}: deliveries/s x{row['deliveries_per_s']}")
    return lines
