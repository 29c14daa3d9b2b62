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


def _conformance_tests() -> list[tuple[str, object]]:
    import importlib
    import inspect

    found = []
    for path in sorted((Path(__file__).parents[1] / "conformance").glob("test_*.py")):
        module = importlib.import_module(f"tests.conformance.{path.stem}")
        found += [
            (name, item)
            for name, item in inspect.getmembers(module, inspect.isfunction)
            if name.startswith("test_") and item.__module__ == module.__name__
        ]
    return found


def test_every_conformance_test_names_its_aws_page() -> None:
    """Each conformance test carries @pytest.mark.aws_doc with an AWS documentation page."""
    unmarked = [
        name
        for name, test in _conformance_tests()
        if not any(
            mark.name == "aws_doc" and str(mark.args[0]).endswith(".html")
            for mark in getattr(test, "pytestmark", [])
        )
    ]
    assert unmarked == []


def test_every_conformance_test_is_in_the_readme_table() -> None:
    """The README's conformance table names every conformance test."""
    assert [name for name, _ in _conformance_tests() if f"`{name}`" not in README] == []


def test_the_readme_example_is_the_one_ci_runs() -> None:
    """The README's test example is, character for character, tests/examples' file."""
    example = (Path(__file__).parents[1] / "examples" / "test_readme_example.py").read_text()
    assert f"```python\n{example}```" in README
