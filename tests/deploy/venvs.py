"""Virtual environments the deploy tests install once and keep in pytest's cache."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def cached_venv(request: pytest.FixtureRequest, cache: str, key: str, packages: list[str]) -> Path:
    """A venv holding only ``packages`` under ``<pytest cache>/<cache>/<key>``, built on first use.

    A ``ready`` marker is written last, so a run interrupted mid-install starts over.
    """
    folder = Path(request.config.cache.mkdir(cache)) / key
    if not (folder / "ready").is_file():
        shutil.rmtree(folder, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "--python",
                str(folder / "bin" / "python"),
                "install",
                "--quiet",
                "--disable-pip-version-check",
                *packages,
            ],
            check=True,
            capture_output=True,
        )
        (folder / "ready").write_text(" ".join(packages))
    return folder
