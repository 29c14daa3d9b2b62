"""What goes into the Lambda artifact: chatserver's runtime modules and their dependencies,
built for the runtime's platform, nothing of the local tooling."""

from __future__ import annotations

import re
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

from chatserver.cli import main
from chatserver.deploy.lambda_package import (
    DEFAULT_OUTPUT,
    DEFAULT_TARGET,
    PROVIDED_BY_RUNTIME,
    RUNTIME_DISTRIBUTIONS,
    LambdaTarget,
    requirements,
    runtime_modules,
)
from chatserver.deploy.runtime_modules import import_closure
from chatserver.handlers.catalog import FUNCTIONS

LOCAL_TOOLING = (
    "chatserver.gateway",
    "chatserver.emulator",
    "chatserver.testing",
    "chatserver.deploy",
    "chatserver.server",
    "chatserver.cli",
    "chatserver.settings",
    "chatserver.aws.provision",
    "chatserver.aws.endpoint",
)


def test_runtime_modules_leave_out_the_local_tooling() -> None:
    """The handlers' import closure has no gateway, emulator, test kit or provisioning."""
    modules = runtime_modules()
    assert {spec.module for spec in FUNCTIONS} <= set(modules)
    assert [m for m in modules if m.startswith(LOCAL_TOOLING)] == []


def test_runtime_modules_import_only_the_runtime_and_the_packaged_libraries() -> None:
    """Outside chatserver, handlers import the standard library, boto3 and packaged libraries."""
    external = import_closure(spec.module for spec in FUNCTIONS).external
    allowed = (
        set(sys.stdlib_module_names)
        | set(PROVIDED_BY_RUNTIME.values())
        | set(RUNTIME_DISTRIBUTIONS.values())
    )
    assert sorted(external - allowed) == []


def test_runtime_distributions_are_pinned_dependencies_of_chatserver() -> None:
    """Each packaged library is a declared dependency, pinned to the installed version."""
    declared = {
        re.split(r"[<>=!~ ;\[]", requirement, maxsplit=1)[0].lower()
        for requirement in metadata.requires("chatserver") or []
    }
    assert set(RUNTIME_DISTRIBUTIONS) <= declared
    assert requirements() == tuple(
        f"{name}=={metadata.version(name)}" for name in RUNTIME_DISTRIBUTIONS
    )


def test_import_closure_follows_relative_imports_and_skips_type_checking(
    tmp_path: Path,
) -> None:
    """Relative imports are followed; imports under `if TYPE_CHECKING:` are not."""
    package = tmp_path / "chatserver"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "entry.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "from . import helper\n"
        "if TYPE_CHECKING:\n"
        "    from chatserver import heavy\n"
    )
    (package / "sub" / "helper.py").write_text("import json\n")
    (package / "heavy.py").write_text("import fastapi\n")
    closure = import_closure(["chatserver.sub.entry"], root=package)
    assert closure.modules == {
        "chatserver",
        "chatserver.sub",
        "chatserver.sub.entry",
        "chatserver.sub.helper",
    }
    assert closure.external == {"typing", "json"}


def test_pip_picks_wheels_for_the_template_runtime() -> None:
    """The default target is Python 3.12 on arm64, as manylinux wheels only."""
    arguments = DEFAULT_TARGET.pip_arguments()
    assert "manylinux2014_aarch64" in arguments
    assert arguments[arguments.index("--python-version") + 1] == "3.12"
    assert "--only-binary=:all:" in arguments
    assert DEFAULT_TARGET.runtime == "python3.12"


def test_package_command_builds_arm64_binaries_by_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`chatserver package` puts pydantic-core compiled for arm64 Python 3.12 in the zip."""
    output = tmp_path / DEFAULT_OUTPUT.name
    assert main(["package", "--output", str(output)]) == 0
    with zipfile.ZipFile(output) as archive:
        names = archive.namelist()
    assert any(
        re.fullmatch(r"pydantic_core/_pydantic_core\.cpython-312-aarch64.*\.so", n) for n in names
    )
    assert "chatserver/handlers/send_message.py" in names
    assert f"built {output}" in capsys.readouterr().out


def test_package_command_names_a_bad_python_version(capsys: pytest.CaptureFixture[str]) -> None:
    """A Python version that is no version is refused with a message naming the option."""
    assert main(["package", "--python-version", "twelve"]) == 2
    assert "--python-version" in capsys.readouterr().err


def test_local_target_is_this_interpreter() -> None:
    """The local target matches the running Python, for the artifact test."""
    local = LambdaTarget.local()
    assert local.python_version == f"{sys.version_info.major}.{sys.version_info.minor}"


def test_package_command_reports_what_pip_could_not_install(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No wheels for the target: exit 1 and a message naming the packages and the runtime."""
    output = tmp_path / "lambda.zip"
    assert main(["package", "--python-version", "3.99", "--output", str(output)]) == 1
    error = capsys.readouterr().err
    assert "pip could not install pydantic==" in error
    assert "python3.99 arm64" in error
    assert not output.exists()
