"""``chatserver serve`` as a user runs it: a real process, its output, Ctrl-C."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from chatserver.aws.endpoint import AsyncClients
from chatserver.aws.names import ResourceNames
from chatserver.aws.provision import provision
from chatserver.testing import ChatClient, ChatStack, of_type
from chatserver.testing.backends import TestBackend

READY = re.compile(r"ready in (?P<seconds>[\d.]+) s")


class Served:
    """A ``chatserver serve`` child process and what it printed."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("CHAT_", "AWS_"))}
        environment.update(env or {})
        environment["PYTHONUNBUFFERED"] = "1"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "chatserver", "serve", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=environment,
        )
        self.lines: list[str] = []

    def read_until(self, pattern: str, timeout: float = 30.0) -> re.Match[str]:
        """Read output lines until one matches ``pattern``."""
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line and self.process.poll() is not None:
                break
            self.lines.append(line.rstrip())
            found = re.search(pattern, line)
            if found:
                return found
        raise AssertionError(f"no line matched {pattern!r}; output:\n" + "\n".join(self.lines))

    def output(self) -> str:
        assert self.process.stdout is not None
        rest = self.process.stdout.read()
        return "\n".join(self.lines) + "\n" + rest

    def children(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture
def served() -> Iterator[list[Served]]:
    started: list[Served] = []
    yield started
    for process in started:
        process.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_prints_its_urls_and_stops_cleanly_on_ctrl_c(
    served: list[Served], chat_backend: TestBackend
) -> None:
    """serve prints the URLs once ready, carries a message, and Ctrl-C closes sockets with 1001."""
    port = _free_port()
    app = Served("--port", str(port), env=chat_backend.environment(suffix="serve"))
    served.append(app)
    ready = app.read_until(r"ready in [\d.]+ s")
    print(f"chatserver serve was ready in {READY.search(ready.string)['seconds']} s")  # type: ignore[index]
    app.read_until("Press Ctrl-C")
    text = "\n".join(app.lines)
    for url in (
        f"http://127.0.0.1:{port}/",
        f"ws://127.0.0.1:{port}/local",
        f"http://127.0.0.1:{port}/local/@connections/",
        f"http://127.0.0.1:{port}/healthz",
    ):
        assert url in text
    assert httpx.get(f"http://127.0.0.1:{port}/healthz").json()["status"] == "ok"

    async def chat_then_interrupt() -> tuple[int | None, str | None]:
        client = await ChatClient.connect(f"ws://127.0.0.1:{port}/local", "alice")
        await client.expect(of_type("presence", user="alice"))
        await client.say("through the whole pipeline")
        app.process.send_signal(signal.SIGINT)
        return await client.wait_closed(timeout=15)

    code, reason = asyncio.run(chat_then_interrupt())
    assert code == 1001
    assert reason == "Server shutting down"
    assert app.process.wait(20) == 0
    assert "chatserver stopped" in app.output()


@pytest.mark.backend(
    "embedded", reason="only the embedded emulator is a child of serve; LocalStack runs apart"
)
def test_ctrl_c_stops_the_embedded_emulator(served: list[Served]) -> None:
    """The embedded emulator runs as serve's child and is gone once serve stopped on Ctrl-C."""
    app = Served("--port", str(_free_port()))
    served.append(app)
    app.read_until("Press Ctrl-C")
    emulators = app.children()
    assert emulators, "the embedded emulator process is not running"
    app.process.send_signal(signal.SIGINT)
    assert app.process.wait(20) == 0
    for pid in emulators:
        assert (
            not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()
        )


def test_invalid_setting_is_reported_by_name(served: list[Served]) -> None:
    """A bad CHAT_ variable stops serve at once with a message naming it (exit 2)."""
    app = Served(env={"CHAT_IDLE_TIMEOUT": "soon"})
    served.append(app)
    assert app.process.wait(30) == 2
    assert "CHAT_IDLE_TIMEOUT" in app.output()


def test_port_in_use_is_reported(served: list[Served]) -> None:
    """A port already taken is reported with the setting to change (exit 2)."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        app = Served("--port", str(taken.getsockname()[1]))
        served.append(app)
        assert app.process.wait(30) == 2
    output = app.output()
    assert "CHAT_PORT" in output
    assert "in use" in output


def test_unreachable_endpoint_answers_503_then_fails_clearly(served: list[Served]) -> None:
    """While an external endpoint is silent: 503 on /healthz and on handshakes; then exit 1."""
    port = _free_port()
    app = Served(
        "--port",
        str(port),
        env={
            "CHAT_AWS_ENDPOINT_URL": f"http://127.0.0.1:{_free_port()}",
            "CHAT_BACKEND_STARTUP_TIMEOUT": "4",
        },
    )
    served.append(app)
    deadline = time.monotonic() + 10
    while True:
        try:
            health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            break
        except httpx.ConnectError:
            assert time.monotonic() < deadline
            time.sleep(0.1)
    assert health.status_code == 503
    assert health.json()["status"] == "starting"

    async def handshake() -> int:
        try:
            await ChatClient.connect(f"ws://127.0.0.1:{port}/local", "alice")
        except InvalidStatus as refused:
            return refused.response.status_code
        return 101

    assert asyncio.run(handshake()) == 503
    assert app.process.wait(30) == 1
    output = app.output()
    assert "CHAT_AWS_ENDPOINT_URL" in output
    assert "did not answer" in output


@pytest.mark.asyncio
async def test_provisioning_twice_finds_what_the_first_made(chat_stack: ChatStack) -> None:
    """A second provisioning against the same emulator succeeds and keeps the same resources."""
    names = ResourceNames(
        prefix=chat_stack.names.prefix + "-twice",
        region=chat_stack.endpoint.region,
        account_id=chat_stack.names.account_id,
    )
    bridge = chat_stack.settings.bridge
    async with AsyncClients(chat_stack.endpoint) as clients:
        first = await provision(clients, names, broadcast_bridge=bridge)
        second = await provision(clients, names, broadcast_bridge=bridge)
    assert first == second
    tables = chat_stack.client("dynamodb").list_tables()["TableNames"]
    assert {names.connections_table, names.messages_table} <= set(tables)


def test_dockerfile_health_check_passes_against_a_ready_gateway(chat_stack: ChatStack) -> None:
    """The Dockerfile's HEALTHCHECK command exits 0 against a gateway whose /healthz is 200."""
    dockerfile = (Path(__file__).parents[2] / "Dockerfile").read_text()
    joined = re.sub(r"\\\n\s*", " ", dockerfile)
    check = next(line for line in joined.splitlines() if line.startswith("HEALTHCHECK"))
    command = json.loads(check.split(" CMD ", 1)[1])
    port = chat_stack.http_url.rsplit(":", 1)[1]
    command[2] = command[2].replace("127.0.0.1:8080", f"127.0.0.1:{port}")
    result = subprocess.run(
        [sys.executable, *command[1:]], capture_output=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr
