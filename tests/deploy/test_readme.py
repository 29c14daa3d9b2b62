"""The README's "Deploy to AWS" commands are the ones the template and the CLI work with."""

from __future__ import annotations

import re
import shlex

from chatserver.cli import _parser
from chatserver.deploy.lambda_package import DEFAULT_OUTPUT
from tests.deploy.cfn import ROOT, Template

README = (ROOT / "README.md").read_text()


def _deploy_commands() -> list[list[str]]:
    section = README.split("## Deploy to AWS", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block is not None
    return [shlex.split(line.split("#")[0]) for line in block.group(1).strip().splitlines()]


def test_readme_packages_then_builds_then_deploys_then_uploads_the_frontend() -> None:
    """The README runs chatserver package, sam build, sam deploy --guided, deploy-frontend."""
    commands = _deploy_commands()
    assert [command[:2] for command in commands] == [
        [".venv/bin/chatserver", "package"],
        ["sam", "build"],
        ["sam", "deploy"],
        [".venv/bin/chatserver", "deploy-frontend"],
    ]
    assert "--guided" in commands[2]


def test_readme_commands_parse_and_package_writes_the_template_code() -> None:
    """The chatserver commands parse, and package's default output is every CodeUri."""
    for command in _deploy_commands():
        if command[0].endswith("chatserver"):
            _parser().parse_args(command[1:])
    code = {function["CodeUri"] for function in Template().functions().values()}
    assert code == {DEFAULT_OUTPUT.as_posix()}
    assert f"{DEFAULT_OUTPUT.as_posix()}" in README
