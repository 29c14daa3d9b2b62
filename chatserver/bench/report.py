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
    (
        "cpu_per_message_2_members",
        "CPU per message, 2-member room at 20 msg/s: <= 5 ms, all processes together",
    ),
    (
        "cpu_per_message_50_members",
        "CPU per message, 50-member room at 20 msg/s: <= 12 ms, all processes together",
    ),
    (
        "join_storm_quiet",
        "join storm: 50 members join within 1 s, presence quiet within 2 s of the last join",
    ),
    (
        "join_storm_p50",
        "join storm, then 20 msg/s from every member in turn: p50 <= 30 ms at every member",
    ),
    (
        "join_storm_p99",
        "join storm, then 20 msg/s from every member in turn: p99 <= 100 ms, 0 lost, 0 duplicates",
    ),
    (
        "sustained_50_members_50_per_s",
        "50 msg/s into one 50-member room for 20 s: p99 <= 250 ms, 0 lost",
    ),
    (
        "sustained_10_members_100_per_s",
        "100 msg/s across four 10-member rooms for 20 s: p99 <= 250 ms, 0 lost",
    ),
    (
        "overload_nothing_accepted_lost",
        "overload at twice the highest no-loss rate: nothing accepted lost or duplicated, "
        "every refusal the throttling frame",
    ),
    ("idle_1000_connections_rss", "1,000 idle connections: whole app < 250 MB resident"),
    ("healthy_within_1_5_s", "healthy within 1.5 s of start (median of the runs)"),
)

#: the issue's bounds, used by the goals below
CPU_MS_2_MEMBERS = 5.0
CPU_MS_50_MEMBERS = 12.0
STORM_JOINS_S = 1.0
STORM_QUIET_S = 2.0
STORM_P50_MS = 30.0
STORM_P99_MS = 100.0
SUSTAINED_P99_MS = 250.0
STARTUP_S = 1.5

#: a goal's verdict: what was measured (a sentence) and whether it was met (None: not measured)
Verdict = tuple[str, bool | None]
NOT_MEASURED: Verdict = ("not measured", None)


def _find(items: list[dict[str, Any]], **fields: Any) -> dict[str, Any] | None:
    for item in items:
        if all(item.get(key) == value for key, value in fields.items()):
            return item
    return None


def goals(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with the measured figure and whether it was met (None: not measured)."""
    app = report["targets"].get("chatserver", {})
    verdicts = {
        **_latency_goals(_find(app.get("latency", []), members=50, rate_msgs_per_s=20.0)),
        "cpu_per_message_2_members": _cpu_goal(
            _find(app.get("latency", []), members=2, rate_msgs_per_s=20.0), CPU_MS_2_MEMBERS
        ),
        "cpu_per_message_50_members": _cpu_goal(
            _find(app.get("latency", []), members=50, rate_msgs_per_s=20.0), CPU_MS_50_MEMBERS
        ),
        **_storm_goals(_storm_row(app)),
        "sustained_50_members_50_per_s": _sustained_goal(
            _find(app.get("sustained", []), members=50, offered_total_msgs_per_s=50.0)
        ),
        "sustained_10_members_100_per_s": _sustained_goal(
            next(
                (
                    s
                    for s in app.get("sustained", [])
                    if s["members"] == 10 and s["offered_total_msgs_per_s"] >= 100
                ),
                None,
            ),
            rate=True,
        ),
        "overload_nothing_accepted_lost": _overload_goal(app.get("overload")),
        "idle_1000_connections_rss": _memory_goal(app.get("memory_mb", {}).get("idle_connections")),
        "healthy_within_1_5_s": _startup_goal(app.get("startup_s")),
    }
    return [
        {"target": key, "description": description, "measured": measured, "met": met}
        for key, description in TARGETS
        for measured, met in [verdicts[key]]
    ]


def _latency_goals(steady: dict[str, Any] | None) -> dict[str, Verdict]:
    """The 50-member room at the steady rate: p50 and p99 (with no loss)."""
    if steady is None:
        return {"p50_50_members_20_per_s": NOT_MEASURED, "p99_50_members_20_per_s": NOT_MEASURED}
    p50, p99 = steady["latency_ms"]["p50"], steady["latency_ms"]["p99"]
    return {
        "p50_50_members_20_per_s": (f"{p50} ms", p50 is not None and p50 < 30),
        "p99_50_members_20_per_s": (
            f"{p99} ms",
            p99 is not None and p99 < 100 and steady["lost"] == 0,
        ),
    }


def cpu_total_ms(row: dict[str, Any]) -> float | None:
    """CPU per message of every process that worked for the app: the server's tree and, when
    present, its external backend; None when not measured (a report from before)."""
    cpu = row.get("cpu_ms_per_message") or {}
    if cpu.get("server") is None:
        return None
    return round(float(cpu["server"]) + float(cpu.get("backend") or 0.0), 2)


def _cpu_goal(row: dict[str, Any] | None, bound_ms: float) -> Verdict:
    total = None if row is None else cpu_total_ms(row)
    if row is None or total is None:
        return NOT_MEASURED
    cpu = row["cpu_ms_per_message"]
    return (
        f"{total} ms (gateway {cpu['server_main']} + emulator {cpu['server_children']}"
        f"{' + backend ' + str(cpu['backend']) if 'backend' in cpu else ''}; "
        f"{cpu['messages']} messages)",
        total <= bound_ms,
    )


def _storm_row(app: dict[str, Any]) -> dict[str, Any] | None:
    """The join storm of the issue's size and rate (not the quick run's tiny one)."""
    row = app.get("join_storm")
    if row is None or row["members"] != 50 or row["rate_msgs_per_s"] != 20.0:
        return None
    return dict(row)


def _storm_goals(row: dict[str, Any] | None) -> dict[str, Verdict]:
    """The storm's length, then the messages' p50, and p99 with neither loss nor duplicate."""
    if row is None:
        return dict.fromkeys(("join_storm_quiet", "join_storm_p50", "join_storm_p99"), NOT_MEASURED)
    storm = row["storm"]
    quiet = storm["quiet_after_last_join_s"]
    p50, p99 = row["latency_ms"]["p50"], row["latency_ms"]["p99"]
    return {
        "join_storm_quiet": (
            f"joined in {row['connect_s']} s; presence quiet {quiet} s after the last join "
            f"({storm['presence_frames']} presence frames; "
            f"{'' if storm['quiet_before_timeout'] else 'not quiet before the messages, '}"
            f"{storm['presence_frames_after_sending_started']} after the messages started)",
            row["connect_s"] <= STORM_JOINS_S
            and storm["quiet_before_timeout"]
            and quiet <= STORM_QUIET_S,
        ),
        "join_storm_p50": (f"{p50} ms", p50 is not None and p50 <= STORM_P50_MS),
        "join_storm_p99": (
            f"p99 {p99} ms, delivered {row['delivered']} of {row['expected_deliveries']}, "
            f"{_losses(row)}",
            p99 is not None
            and p99 <= STORM_P99_MS
            and row["lost"] == 0
            and row["duplicates"] == 0
            and row["unexpected"] == 0,
        ),
    }


def _sustained_goal(row: dict[str, Any] | None, *, rate: bool = False) -> Verdict:
    """p99 within the bound and every message to every member once, in time (``_kept_up``)."""
    if row is None:
        return NOT_MEASURED
    p99 = row["latency_ms"]["p99"]
    carried = (
        f"{row['messages_per_s']} msg/s delivered to every member "
        f"({row['offered_total_msgs_per_s']:g} offered), "
        if rate
        else ""
    )
    return (
        f"{carried}p99 {p99} ms, {row['deliveries_per_s']} deliveries/s, {_losses(row)}",
        p99 is not None and p99 <= SUSTAINED_P99_MS and _kept_up(row),
    )


def _overload_goal(row: dict[str, Any] | None) -> Verdict:
    """Nothing accepted lost or duplicated, and no refusal but the throttling frame."""
    if row is None:
        return NOT_MEASURED
    return (
        f"{row['rate_msgs_per_s']:g} msg/s ({row['rate_basis']}) into {row['members']} members "
        f"for {row['seconds']:g} s: sent {row['messages_sent']}, refused {row['refused']}, "
        f"accepted {row['accepted']}: deliveries lost {row['accepted_deliveries_lost']}, "
        f"duplicates {row['duplicates']}, late {row['late']}, refusals matching no unreached "
        f"message {row['refusals_unmatched']}, other error frames {row['error_frames']}",
        bool(row["nothing_accepted_lost"]) and row["error_frames"] == 0,
    )


def _memory_goal(idle: dict[str, Any] | None) -> Verdict:
    if idle is None or idle["connections"] < 1000:
        return NOT_MEASURED
    total = idle["rss_mb"]["total"]
    return f"{total} MB", total < 250


def _startup_goal(startup: dict[str, Any] | None) -> Verdict:
    if startup is None:
        return NOT_MEASURED
    return f"median {startup['median']} s", startup["median"] <= STARTUP_S


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
            *_storm_lines(report),
            *_overload_lines(report),
            *_cpu_lines(report),
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


def _workload_rows(target: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every measured load of a target with a short name: steady latency, join storm,
    sustained, overload (in the order they ran)."""
    for row in target.get("latency", []):
        yield f"{row['members']} members, {row['rate_msgs_per_s']:g} msg/s", row
    storm = target.get("join_storm")
    if storm:
        yield f"join storm, {storm['members']} members, {storm['rate_msgs_per_s']:g} msg/s", storm
    for row in target.get("sustained", []):
        yield row["name"], row
    overload = target.get("overload")
    if overload:
        name = f"overload, {overload['members']} members, {overload['rate_msgs_per_s']:g} msg/s"
        yield name, overload


def _storm_lines(report: dict[str, Any]) -> list[str]:
    rows = [(t["label"], t["join_storm"]) for t in report["targets"].values() if "join_storm" in t]
    if not rows:
        return []
    first = rows[0][1]
    lines = [
        "",
        f"Join storm ({first['members']} members join one room, then every member in turn "
        f"sends {first['rate_msgs_per_s']:g} msg/s for {first['seconds']:g} s):",
    ]
    for label, row in rows:
        figures = row["latency_ms"]
        lines.append(
            f"  {label:<32} joined in {row['connect_s']} s (retries {row['connect_retries']}); "
            f"{_presence(row)}; messages: p50 {_ms(figures['p50'])} p95 {_ms(figures['p95'])} "
            f"p99 {_ms(figures['p99'])} max {_ms(figures['max'])} ms, delivered "
            f"{row['delivered']} of {row['expected_deliveries']}, lost {row['lost']}, "
            f"duplicates {row['duplicates']}, late {row['late']}"
        )
    return lines


def _presence(row: dict[str, Any]) -> str:
    """The storm in words; a server without presence (the baseline) has none to wait for."""
    storm = row["storm"]
    if not storm["presence_frames"]:
        return f"no presence frames (server CPU {storm['cpu_s']['server']} s)"
    return (
        f"presence quiet {storm['quiet_after_last_join_s']} s after the last join "
        f"({storm['presence_frames']} presence frames, "
        f"{storm['presence_frames_after_sending_started']} after the messages started; "
        f"{storm['members_whose_last_presence_lists_everyone']} of {row['members']} members' "
        f"last presence lists everyone; server CPU {storm['cpu_s']['server']} s)"
    )


def _overload_lines(report: dict[str, Any]) -> list[str]:
    rows = [(t["label"], t["overload"]) for t in report["targets"].values() if "overload" in t]
    if not rows:
        return []
    lines = ["", "Overload (what the server accepts must all arrive; refusals are counted):"]
    for label, row in rows:
        figures = row["latency_ms"]
        lines.append(
            f"  {label:<32} {row['rate_msgs_per_s']:g} msg/s ({row['rate_basis']}) into "
            f"{row['members']} members for {row['seconds']:g} s: sent {row['messages_sent']}, "
            f"refused {row['refused']} (Too Many Requests), accepted {row['accepted']}; "
            f"accepted deliveries lost {row['accepted_deliveries_lost']}, duplicates "
            f"{row['duplicates']}, late {row['late']} (drain window {row['drain_window_s']:g} s), "
            f"other error frames {row['error_frames']}; p50 {_ms(figures['p50'])} p99 "
            f"{_ms(figures['p99'])} ms"
        )
    return lines


def _cpu_lines(report: dict[str, Any]) -> list[str]:
    lines = [
        "",
        "CPU per message (ms of CPU per message sent: server main process + its children = "
        "total; an external backend apart):",
    ]
    for target in report["targets"].values():
        for what, row in _workload_rows(target):
            cpu = row.get("cpu_ms_per_message")
            if not cpu or cpu.get("server") is None:
                continue
            backend = f"; backend {cpu['backend']}" if "backend" in cpu else ""
            lines.append(
                f"  {target['label']:<32} {what}: {cpu['server_main']} + "
                f"{cpu['server_children']} = {cpu['server']}{backend}"
            )
    return lines if len(lines) > 2 else []


def _stage_lines(report: dict[str, Any]) -> list[str]:
    lines = [
        "",
        "Where the time goes (mean ms per stage, share of the sum; [CPU ms of the stage's "
        "thread, where one thread ran it]):",
    ]
    for target in report["targets"].values():
        for what, row in _workload_rows(target):
            stages = row.get("stages")
            if not stages:
                continue
            parts = ", ".join(
                f"{s['stage']} {_ms(s['mean_ms'])} ({s['share']:.0%})" + _cpu_part(s)
                for s in stages["stages"]
            )
            lines.append(f"  {target['label']}, {what}: {parts}; slowest: {stages['slowest']}")
    return lines


def _cpu_part(stage: dict[str, Any]) -> str:
    cpu = stage.get("cpu_mean_ms")
    return f" [{cpu} CPU]" if cpu is not None else ""


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
