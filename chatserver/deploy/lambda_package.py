"""``chatserver package``: the zip every Lambda function of ``template.yaml`` runs.

The zip holds the runtime part of chatserver (the handler modules and what they import, found by
``runtime_modules``) and its third-party dependencies, installed by pip for the Lambda runtime's
Python version and architecture (pydantic-core is compiled, so the platform matters). The
Lambda Python runtime already has boto3 and botocore, so they stay out. Dependencies are pinned
to the versions installed here, the ones the test suite ran with.

The zip is reproducible (sorted entries, fixed timestamps and modes), so ``sam deploy`` uploads
it again only when its content changed.
"""

from __future__ import annotations

import platform
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Literal

from chatserver.deploy.runtime_modules import import_closure, package_root, source_file
from chatserver.errors import DeployError
from chatserver.handlers.catalog import FUNCTIONS

Architecture = Literal["arm64", "x86_64"]

#: Where ``chatserver package`` writes by default: the ``CodeUri`` of the template's functions.
DEFAULT_OUTPUT = Path("dist/lambda.zip")

#: Third-party distributions the handlers import (pydantic for validation, PyJWT for the
#: authorizer), by distribution name and import name. Each is a dependency of chatserver.
RUNTIME_DISTRIBUTIONS = {"pydantic": "pydantic", "pyjwt": "jwt"}

#: What the Lambda Python runtime provides: boto3 and its dependencies. Never packaged.
PROVIDED_BY_RUNTIME = {
    "boto3": "boto3",
    "botocore": "botocore",
    "s3transfer": "s3transfer",
    "jmespath": "jmespath",
    "python-dateutil": "dateutil",
    "six": "six",
    "urllib3": "urllib3",
}

_MACHINES: dict[Architecture, str] = {"arm64": "aarch64", "x86_64": "x86_64"}
#: manylinux tags a Lambda runtime on Amazon Linux 2023 (glibc 2.34) can load.
_MANYLINUX = ("manylinux2014", "manylinux_2_28", "manylinux_2_34")
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_FILE_MODE = 0o100644 << 16  # a regular file, readable by the runtime's user


@dataclass(frozen=True)
class LambdaTarget:
    """The runtime a package is built for: a Python version and an architecture."""

    python_version: str = "3.12"
    architecture: Architecture = "arm64"

    @property
    def runtime(self) -> str:
        """Lambda's runtime identifier, as the template's ``Runtime``."""
        return f"python{self.python_version}"

    def pip_arguments(self) -> list[str]:
        """pip options that pick wheels for this target whatever machine builds."""
        machine = _MACHINES[self.architecture]
        platforms = [arg for tag in _MANYLINUX for arg in ("--platform", f"{tag}_{machine}")]
        return [
            *platforms,
            "--python-version",
            self.python_version,
            "--implementation",
            "cp",
            "--only-binary=:all:",
        ]

    @classmethod
    def local(cls) -> LambdaTarget:
        """The running interpreter's version and machine (tests install the zip here)."""
        machine = platform.machine().lower()
        architecture: Architecture = "arm64" if machine in ("aarch64", "arm64") else "x86_64"
        return cls(f"{sys.version_info.major}.{sys.version_info.minor}", architecture)


#: What the template deploys: Python 3.12 on Graviton (arm64).
DEFAULT_TARGET = LambdaTarget()


@dataclass(frozen=True)
class BuiltPackage:
    """What ``build`` made."""

    path: Path
    target: LambdaTarget
    requirements: tuple[str, ...]
    modules: tuple[str, ...]
    files: int
    size: int


def requirements() -> tuple[str, ...]:
    """The runtime dependencies, pinned to the versions installed in this environment."""
    return tuple(f"{name}=={metadata.version(name)}" for name in RUNTIME_DISTRIBUTIONS)


def runtime_modules() -> tuple[str, ...]:
    """chatserver's modules the catalog's handlers need, sorted."""
    return tuple(sorted(import_closure(spec.module for spec in FUNCTIONS).modules))


def build(output: Path = DEFAULT_OUTPUT, target: LambdaTarget = DEFAULT_TARGET) -> BuiltPackage:
    """Build the zip at ``output`` (replacing it) for ``target``."""
    pins = requirements()
    modules = runtime_modules()
    with tempfile.TemporaryDirectory(prefix="chatserver-lambda-") as staging_name:
        staging = Path(staging_name)
        _install_dependencies(staging, pins, target)
        _refuse_runtime_provided(staging)
        _copy_modules(staging, modules)
        files = _write_zip(staging, output)
    return BuiltPackage(output, target, pins, modules, files, output.stat().st_size)


def _install_dependencies(staging: Path, pins: Iterable[str], target: LambdaTarget) -> None:
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",
        "--target",
        str(staging),
        *target.pip_arguments(),
        *pins,
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        details = "\n".join(result.stderr.strip().splitlines()[-15:])
        raise DeployError(
            f"pip could not install {', '.join(pins)} for {target.runtime} "
            f"{target.architecture} (is PyPI reachable?):\n{details}"
        )
    # Console scripts are of no use in a Lambda function.
    shutil.rmtree(staging / "bin", ignore_errors=True)


def _refuse_runtime_provided(staging: Path) -> None:
    found = [name for name, module in PROVIDED_BY_RUNTIME.items() if (staging / module).exists()]
    if found:
        raise DeployError(
            f"a dependency pulled in {', '.join(found)}, which the Lambda runtime provides; "
            "packaging them would shadow the runtime's copy"
        )


def _copy_modules(staging: Path, modules: Iterable[str]) -> None:
    root = package_root()
    for module in modules:
        source = source_file(module)
        if source is None:  # pragma: no cover - import_closure only returns real modules
            raise DeployError(f"{module} has no source file")
        destination = staging / source.relative_to(root.parent)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)


def _packaged_files(staging: Path) -> list[Path]:
    return sorted(
        path
        for path in staging.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    )


def _write_zip(staging: Path, output: Path) -> int:
    output.parent.mkdir(parents=True, exist_ok=True)
    files = _packaged_files(staging)
    partial = output.with_name(output.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            entry = zipfile.ZipInfo(path.relative_to(staging).as_posix(), _FIXED_TIME)
            entry.external_attr = _FILE_MODE
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, path.read_bytes())
    partial.replace(output)
    return len(files)
