"""What ``chatserver bench`` does once its arguments are parsed: measure (or render a saved
report), write the JSON, print the summary, draw the chart."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from chatserver.bench import chart, report, runner
from chatserver.bench.plan import FULL, QUICK
from chatserver.bench.servers import ServerFailed
from chatserver.errors import ConfigurationError


def run(args: argparse.Namespace) -> int:
    if args.render is not None:
        return _render(args.render, args.output_dir)
    plan = QUICK if args.quick else FULL
    if args.timeout is not None:
        if args.timeout <= 0:
            raise ConfigurationError("--timeout must be a positive number of seconds")
        plan = replace(plan, timeout_seconds=args.timeout)
    try:
        found = runner.run(plan, baseline=not args.no_baseline, localstack=args.all_backends)
    except ServerFailed as exc:
        print(f"chatserver bench: {exc}", file=sys.stderr)
        return 1
    except TimeoutError as exc:
        print(
            f"chatserver bench: {exc or 'timed out'}; every process it started was stopped",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        print(
            "chatserver bench: interrupted; every process it started was stopped", file=sys.stderr
        )
        return 130
    report.complete(found)
    dated, latest = report.write(found, args.output_dir)
    print(report.summary(found))
    print(f"\nwrote {dated} and {latest}")
    return _chart(found, args.output_dir)


def _render(path: Path, output_dir: Path) -> int:
    try:
        found = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"--render: cannot read a report from {path}: {exc}") from None
    if not isinstance(found, dict) or "targets" not in found or "machine" not in found:
        raise ConfigurationError(f"--render: {path} is not a chatserver bench report")
    print(report.summary(report.complete(found)))
    return _chart(found, output_dir)


def _chart(found: dict[str, Any], output_dir: Path) -> int:
    try:
        png = chart.draw(found, output_dir / "latest.png")
    except chart.ChartUnavailable as exc:
        print(f"chatserver bench: {exc}", file=sys.stderr)
        return 0
    print(f"wrote {png}")
    return 0
