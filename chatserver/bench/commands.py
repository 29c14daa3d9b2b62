"""The ``chatserver bench`` subcommand (registered like the deploy commands).

Only the arguments live here: the harness (``main``: runner, load generator, chart) is imported
when the command runs, so that ``chatserver serve`` does not load it on every start (75 ms).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

COMMANDS = ("bench",)
DEFAULT_OUTPUT = Path("benchmarks/results")


def register(commands: Any) -> None:
    """Add the subcommand to ``commands`` (what ``add_subparsers`` returned)."""
    bench = commands.add_parser(
        "bench",
        help="measure latency, throughput, stages, start time and memory against a baseline",
    )
    bench.add_argument(
        "--quick", action="store_true", help="seconds, tiny rooms: a smoke run (about 30 s)"
    )
    bench.add_argument(
        "--all-backends",
        action="store_true",
        help="also run the latency workloads on LocalStack 4.14.0 (started without Docker)",
    )
    bench.add_argument(
        "--no-baseline", action="store_true", help="skip the websockets baseline server"
    )
    bench.add_argument(
        "--output-dir",
        type=Path,
        default=DEFAULT_OUTPUT,
        help=f"where the JSON and PNG go (default {DEFAULT_OUTPUT})",
    )
    bench.add_argument(
        "--timeout", type=float, help="global bound in seconds (default 1800, quick 240)"
    )
    bench.add_argument(
        "--render",
        type=Path,
        metavar="REPORT.json",
        help="measure nothing: print a saved report's summary and draw its chart into --output-dir",
    )


def run(args: argparse.Namespace) -> int:
    from chatserver.bench import main  # noqa: PLC0415 - the harness loads only when used

    return main.run(args)
