"""The README stays true to the code."""

from __future__ import annotations

from pathlib import Path

from chatserver.settings import ENV_PREFIX, Settings

README = (Path(__file__).parents[2] / "README.md").read_text()


def test_every_setting_is_in_the_configuration_table() -> None:
    """Each setting's CHAT_ variable appears in the README's configuration table."""
    missing = [
        ENV_PREFIX + name.upper()
        for name in Settings.model_fields
        if f"`{ENV_PREFIX}{name.upper()}`" not in README
    ]
    assert missing == []


def test_the_readme_names_the_two_setup_commands() -> None:
    """The set-up section gives `make serve` and `make test`, the commands CI runs."""
    assert "make serve" in README
    assert "make test" in README
    ci = (Path(__file__).parents[2] / ".ci" / "run").read_text()
    assert "make test" in ci
