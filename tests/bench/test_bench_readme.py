"""The README's Benchmarks section stays true to the harness and to the committed results."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from chatserver.bench.report import TARGETS
from chatserver.cli import main

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"


def _section() -> str:
    readme = (ROOT / "README.md").read_text()
    found = re.search(r"^## Benchmarks\n(.*?)(?=^## )", readme, re.S | re.M)
    assert found, "README.md has no '## Benchmarks' section"
    return found.group(1)


def test_readme_names_every_option_of_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    """Every option `chatserver bench --help` lists is explained in the README."""
    with pytest.raises(SystemExit):
        main(["bench", "--help"])
    options = set(re.findall(r"(--[a-z][a-z-]+)", capsys.readouterr().out)) - {"--help"}
    section = _section()
    assert options
    for option in sorted(options):
        assert f"`{option}" in section or f"bench {option}" in section, option


def test_readme_shows_the_committed_chart_and_targets() -> None:
    """The chart the README shows is committed with its JSON, and every target is listed."""
    section = _section()
    assert "benchmarks/results/latest.png" in section
    assert (RESULTS / "latest.png").read_bytes()[:4] == b"\x89PNG"
    report = json.loads((RESULTS / "latest.json").read_text())
    assert report["plan"]["name"] == "full"
    assert report["machine"]["git_commit"] in section
    for _, description in TARGETS:
        assert description.split(",")[0].split(":")[0] in section
