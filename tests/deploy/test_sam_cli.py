"""The SAM CLI accepts template.yaml offline: ``sam validate --lint`` passes, and ``sam build``
produces a template whose code and state machine paths lead to `chatserver package`'s zip and
the ASL file, which is what ``sam deploy`` then uploads.

The SAM CLI cannot share chatserver's environment (it needs a newer botocore than aioboto3
allows), so it is installed, pinned, into its own virtual environment, cached between runs
(about 25 s and 330 MB the first time)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from chatserver.aws.statemachine import ASL_FILE
from chatserver.deploy.lambda_package import DEFAULT_OUTPUT, build
from tests.deploy.cfn import ROOT, TEMPLATE, Template, load
from tests.deploy.venvs import cached_venv

pytestmark = pytest.mark.slow

SAM_CLI = "aws-sam-cli==1.170.0"
ASL = Path("chatserver/aws/statemachine") / ASL_FILE


@pytest.fixture(scope="module")
def sam(request: pytest.FixtureRequest) -> Path:
    folder = cached_venv(request, "sam-cli", SAM_CLI.replace("==", "-"), [SAM_CLI])
    return folder / "bin" / "sam"


def _run(sam: Path, *arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(cwd),
        "SAM_CLI_TELEMETRY": "0",
        "AWS_REGION": "us-east-1",
    }
    return subprocess.run(
        [str(sam), *arguments],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of what the template refers to, with the arm64 zip `chatserver package` makes."""
    folder = tmp_path_factory.mktemp("sam-project")
    shutil.copy(TEMPLATE, folder / "template.yaml")
    (folder / ASL).parent.mkdir(parents=True)
    shutil.copy(ROOT / ASL, folder / ASL)
    build(folder / DEFAULT_OUTPUT)
    return folder


def test_sam_validate_lint_passes(sam: Path, project: Path) -> None:
    """`sam validate --lint` finds template.yaml valid, with no AWS account."""
    result = _run(sam, "validate", "--lint", "--region", "us-east-1", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout


def test_sam_build_leads_every_function_to_the_packaged_zip(sam: Path, project: Path) -> None:
    """After `sam build`, each function's code is the zip and the state machine the ASL file."""
    result = _run(sam, "build", "--region", "us-east-1", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    build_dir = project / ".aws-sam" / "build"
    built = Template(load(build_dir / "template.yaml"))
    for name, function in built.functions().items():
        code = (build_dir / function["CodeUri"]).resolve()
        assert code == (project / DEFAULT_OUTPUT).resolve(), name
    (machine,) = built.of_type("AWS::Serverless::StateMachine").values()
    assert (build_dir / machine["Properties"]["DefinitionUri"]).resolve() == project / ASL
