"""docker-compose.yml, Dockerfile and .dockerignore, checked offline (no Docker engine here)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from chatserver.emulator.localstack_host import LOCALSTACK_VERSION

ROOT = Path(__file__).parents[2]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def _instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions with continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    lines = [line.strip() for line in joined.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]


def _final_stage() -> list[tuple[str, str]]:
    instructions = _instructions()
    last_from = max(i for i, (op, _) in enumerate(instructions) if op == "FROM")
    return instructions[last_from:]


def test_compose_has_exactly_the_two_services() -> None:
    """The compose file runs localstack and chatserver, nothing else."""
    assert set(COMPOSE["services"]) == {"localstack", "chatserver"}


def test_localstack_image_is_pinned_to_the_last_free_release() -> None:
    """The image defaults to localstack/localstack:4.14.0, never latest."""
    image = COMPOSE["services"]["localstack"]["image"]
    assert image == "${LOCALSTACK_IMAGE:-localstack/localstack:4.14.0}"
    assert LOCALSTACK_VERSION == "4.14.0"
    assert "latest" not in image


def test_localstack_runs_only_the_needed_services() -> None:
    """SERVICES lists DynamoDB, EventBridge, Step Functions, plus sts and iam."""
    environment = COMPOSE["services"]["localstack"]["environment"]
    assert set(environment["SERVICES"].split(",")) == {
        "dynamodb", "events", "stepfunctions", "sts", "iam"
    }  # fmt: skip


def test_localstack_auth_token_is_passed_through() -> None:
    """LOCALSTACK_AUTH_TOKEN from the user's environment reaches LocalStack (empty if unset)."""
    environment = COMPOSE["services"]["localstack"]["environment"]
    assert environment["LOCALSTACK_AUTH_TOKEN"] == "${LOCALSTACK_AUTH_TOKEN:-}"


def test_localstack_health_waits_for_the_init_hooks() -> None:
    """The health check reads /_localstack/init/ready and needs "completed": true."""
    check = COMPOSE["services"]["localstack"]["healthcheck"]
    command = " ".join(check["test"])
    assert "/_localstack/init/ready" in command
    assert re.search(r'"completed": \?true', command)
    assert check["retries"] * float(check["interval"].rstrip("s")) >= 60


def test_localstack_mounts_the_init_hooks() -> None:
    """localstack/init is mounted read-only where LocalStack looks for hooks, and exists."""
    volumes = COMPOSE["services"]["localstack"]["volumes"]
    assert "./localstack/init:/etc/localstack/init:ro" in volumes
    assert sorted(p.name for p in (ROOT / "localstack/init/ready.d").iterdir()) == [
        "00-fix-activity-task-race.py",
        "10-warm-dynamodb.py",
    ]


def test_chatserver_starts_after_localstack_is_healthy() -> None:
    """chatserver is built from the repo and waits for LocalStack's health check."""
    service = COMPOSE["services"]["chatserver"]
    assert service["build"] == "."
    assert service["depends_on"] == {"localstack": {"condition": "service_healthy"}}


def test_chatserver_points_at_localstack_and_publishes_the_port() -> None:
    """CHAT_AWS_ENDPOINT_URL names the localstack service; port 8080 is published."""
    service = COMPOSE["services"]["chatserver"]
    environment = service["environment"]
    assert environment["CHAT_AWS_ENDPOINT_URL"] == "http://localstack:4566"
    assert environment["CHAT_HOST"] == "0.0.0.0"
    assert environment["CHAT_BROADCAST_BRIDGE"] == "activity"
    assert service["ports"] == ["8080:8080"]


def test_dockerfile_uses_a_slim_python_311_base() -> None:
    """Both stages start from python:3.11-slim."""
    bases = [arg.split()[0] for op, arg in _instructions() if op == "FROM"]
    assert bases == ["python:3.11-slim", "python:3.11-slim"]


def test_dockerfile_installs_only_the_package() -> None:
    """The image installs the wheel of chatserver, without the dev extra."""
    runs = " ".join(arg for op, arg in _instructions() if op == "RUN")
    assert "pip wheel" in runs
    assert "--no-deps" in runs
    assert "pip install /wheels/*.whl" in runs
    assert "[dev]" not in DOCKERFILE


def test_dockerfile_runs_as_a_non_root_user() -> None:
    """The final stage creates a user and switches to it before the command."""
    final = _final_stage()
    users = [arg for op, arg in final if op == "USER"]
    assert users == ["chat"]
    assert [op for op, _ in final].index("USER") < [op for op, _ in final].index("CMD")


def test_dockerfile_listens_on_every_interface_at_8080() -> None:
    """CHAT_HOST=0.0.0.0, port 8080 exposed, and the command is chatserver serve."""
    final = _final_stage()
    environment = " ".join(arg for op, arg in final if op == "ENV")
    assert "CHAT_HOST=0.0.0.0" in environment
    assert ("EXPOSE", "8080") in final
    assert json.loads(next(arg for op, arg in final if op == "CMD")) == ["chatserver", "serve"]


def test_dockerfile_health_check_needs_no_curl() -> None:
    """The HEALTHCHECK is a Python one-liner on /healthz."""
    check = next(arg for op, arg in _final_stage() if op == "HEALTHCHECK")
    command = json.loads(check.split("CMD", 1)[1])
    assert command[:2] == ["python", "-c"]
    assert "/healthz" in command[2]
    assert "curl" not in check


def test_dockerignore_sends_only_what_the_build_copies() -> None:
    """The build context is the package, the frontend, pyproject.toml and README.md."""
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    rules = [line for line in lines if line and not line.startswith("#")]
    assert rules[0] == "*"
    allowed = {rule[1:].rstrip("/") for rule in rules if rule.startswith("!")}
    assert allowed == {"pyproject.toml", "README.md", "chatserver", "web"}
    copied = {
        source.rstrip("/").removeprefix("./")
        for op, arg in _instructions()
        if op == "COPY" and not arg.startswith("--from")
        for source in arg.split()[:-1]
    }
    assert copied == allowed
