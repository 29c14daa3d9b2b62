"""The PNG: latency percentiles by room size, the highest no-loss rate and sustained throughput
against the baseline, and where chatserver's time goes; the machine in the title.

matplotlib is in the ``dev`` extra; without it the report is written and the chart is skipped
with a message saying how to install it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chatserver.bench.machine import one_line

CHATSERVER = "#1f77b4"
BASELINE = "#ff7f0e"
LOCALSTACK = "#2ca02c"


class ChartUnavailable(Exception):
    """matplotlib is not installed."""


def draw(report: dict[str, Any], path: Path) -> Path:
    """Write the chart of ``report`` to ``path``."""
    try:
        import matplotlib as mpl  # noqa: PLC0415 - optional, imported when a chart is drawn

        mpl.use("Agg")
        import matplotlib.pyplot as plt  # noqa: PLC0415
    except ImportError:
        raise ChartUnavailable(
            "matplotlib is not installed: pip install matplotlib (it is in chatserver's dev "
            "extra); the JSON report was written"
        ) from None
    targets = report["targets"]
    figure, axes = plt.subplots(2, 2, figsize=(14, 10))
    _latency(axes[0][0], targets)
    _max_rate(axes[0][1], targets)
    _sustained(axes[1][0], targets)
    _stages(axes[1][1], targets.get("chatserver", {}))
    figure.suptitle(
        f"chatserver bench ({report['plan']['name']}): {one_line(report['machine'])}\n"
        f"load average at start {report['machine']['load_average_at_start']}, at end "
        f"{report.get('load_average_at_end')}",
        fontsize=10,
    )
    figure.tight_layout(rect=(0, 0, 1, 0.95))
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path


def _latency(ax: Any, targets: dict[str, Any]) -> None:
    rate = None
    sizes = sorted({row["members"] for t in targets.values() for row in t.get("latency", [])})
    positions = {size: index for index, size in enumerate(sizes)}
    styles = {"p50": "o-", "p95": "s--", "p99": "^:"}
    for name, colour in (
        ("chatserver", CHATSERVER),
        ("baseline", BASELINE),
        ("localstack", LOCALSTACK),
    ):
        rows = targets.get(name, {}).get("latency", [])
        if not rows:
            continue
        rate = rows[0]["rate_msgs_per_s"]
        for q, style in styles.items():
            points = [
                (positions[r["members"]], r["latency_ms"][q]) for r in rows if r["latency_ms"][q]
            ]
            if points:
                ax.plot(*zip(*points, strict=True), style, color=colour, label=f"{name} {q}")
    ax.set_xticks(range(len(sizes)), [str(size) for size in sizes])
    ax.set_yscale("log")
    highest = max((line.get_ydata().max() for line in ax.get_lines()), default=1.0)
    ax.set_ylim(top=float(highest) * 40)  # room for the legend above the lines
    ax.set_xlabel("members in the room")
    ax.set_ylabel("send-to-delivery latency at every member (ms, log)")
    ax.set_title(f"Latency percentiles by room size at {rate or 0:g} msg/s")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, ncol=3, loc="upper left")


def _bars(
    ax: Any,
    labels: list[str],
    series: list[tuple[str, str, list[float]]],
    notes: list[list[str]] | None = None,
) -> None:
    """Grouped bars, each labelled with its value (or with ``notes``, one list per series)."""
    width = 0.8 / max(len(series), 1)
    for index, (name, colour, values) in enumerate(series):
        offsets = [i + (index - (len(series) - 1) / 2) * width for i in range(len(labels))]
        bars = ax.bar(offsets, values, width, label=name, color=colour)
        texts = notes[index] if notes else [f"{v:,.0f}" for v in values]
        ax.bar_label(bars, labels=texts, fontsize=7)
    ax.set_xticks(range(len(labels)), labels)


def _max_rate(ax: Any, targets: dict[str, Any]) -> None:
    mine = targets.get("chatserver", {}).get("max_rate", [])
    theirs = {row["members"]: row for row in targets.get("baseline", {}).get("max_rate", [])}
    labels = [f"{row['members']} members" for row in mine]
    rows: list[tuple[str, str, list[dict[str, Any]]]] = [("chatserver", CHATSERVER, mine)]
    if theirs:
        rows.append(("baseline", BASELINE, [theirs.get(row["members"], {}) for row in mine]))
    series = [
        (name, colour, [float(row.get("max_no_loss_msgs_per_s", 0)) for row in found])
        for name, colour, found in rows
    ]
    notes = [
        [
            f"{'>=' if row.get('capped') else ''}{row.get('max_no_loss_msgs_per_s', 0):g}\n"
            f"({row.get('max_no_loss_deliveries_per_s', 0):,.0f}/s)"
            for row in found
        ]
        for _, _, found in rows
    ]
    _bars(ax, labels, series, notes)
    ax.set_yscale("symlog", linthresh=10)
    highest = max((value for _, _, values in series for value in values), default=10.0)
    ax.set_ylim(0, max(highest, 10.0) * 5)  # room for the labels
    ax.set_ylabel("msg/s into one room (log; deliveries/s in brackets)")
    ceiling = mine[0]["p99_ceiling_ms"] if mine else 0
    ax.set_title(f"Highest rate with no loss, p99 < {ceiling:g} ms (>=: every step passed)")
    ax.legend(fontsize=8, loc="upper left")


def _sustained(ax: Any, targets: dict[str, Any]) -> None:
    mine = targets.get("chatserver", {}).get("sustained", [])
    theirs = {row["name"]: row for row in targets.get("baseline", {}).get("sustained", [])}
    labels = [row["name"].replace(" into ", "\ninto ") for row in mine]
    series = [
        ("offered", "#999999", [float(row["offered_deliveries_per_s"]) for row in mine]),
        ("chatserver", CHATSERVER, [float(row["deliveries_per_s"]) for row in mine]),
    ]
    if theirs:
        values = [float(theirs.get(row["name"], {}).get("deliveries_per_s", 0)) for row in mine]
        series.append(("baseline", BASELINE, values))
    _bars(ax, labels, series)
    ax.set_ylabel("deliveries per second")
    ax.set_title("Sustained throughput (every message to every member, exactly once checked)")
    ax.legend(fontsize=8)


def _stages(ax: Any, app: dict[str, Any]) -> None:
    rows = [row for row in app.get("latency", []) if row.get("stages")]
    if not rows:
        ax.set_axis_off()
        return
    row = max(rows, key=lambda r: r["members"])
    stages = row["stages"]["stages"]
    names = [s["stage"] for s in stages][::-1]
    means = [float(s["mean_ms"] or 0.0) for s in stages][::-1]
    p95 = [float(s["p95_ms"] or 0.0) for s in stages][::-1]
    ax.barh(names, p95, color="#c6dbef", label="p95")
    bars = ax.barh(names, means, color=CHATSERVER, label="mean")
    ax.bar_label(bars, labels=[f"{m:.1f}" for m in means], fontsize=7)
    ax.set_xlabel("ms")
    ax.set_title(
        f"Where the time goes: chatserver, {row['members']}-member room at "
        f"{row['rate_msgs_per_s']:g} msg/s\n(mean and p95 per stage; slowest: "
        f"{row['stages']['slowest']})"
    )
    ax.legend(fontsize=8)
