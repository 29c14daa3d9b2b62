"""The servers under test, each a real process on a free loopback port: ``chatserver serve``
(what users run) and the baseline. Started, polled until healthy, stopped (SIGINT, then kill)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from threading import Thread
from types import TracebackType
from typing import IO, Any

from chatserver.bench import memory

HEALTH_POLL_INTERVAL = 0.02
STOP_TIMEOUT = 20.0


class ServerFailed(Exception):
    """A server did not become healthy; the message holds the end of its output."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    """Status and body of a GET (errors' statuses too); status 0 if nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback http
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:
        return 0, b""


@dataclass(frozen=True)
class ServerSpec:
    """How to start one kind of server and talk to it."""

    kind: str  # "chatserver" or "baseline"
    label: str  # what the report calls it, e.g. "chatserver (embedded)"
    command: tuple[str, ...]
    environment: Mapping[str, str]
    ws_path: str  # "/local" for chatserver, "/" for the baseline
    traced: bool  # serves /_chatserver/trace


def chatserver_spec(port: int, extra_env: Mapping[str, str], label: str) -> ServerSpec:
    """``chatserver serve`` with tracing on and warnings-only logs; limits stay the defaults."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHAT_", "AWS_"))}
    env.update(
        {
            "CHAT_TRACE": "true",
            "CHAT_LOG_LEVEL": "warning",
            "CHAT_HOST": "127.0.0.1",
            "CHAT_PORT": str(port),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra_env)
    return ServerSpec(
        kind="chatserver",
        label=label,
        command=(sys.executable, "-m", "chatserver", "serve"),
        environment=env,
        ws_path="/local",
        traced=True,
    )


def baseline_spec(port: int) -> ServerSpec:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return ServerSpec(
        kind="baseline",
        label="baseline (websockets)",
        command=(sys.executable, "-m", "chatserver.bench.baseline", "--port", str(port)),
        environment=env,
        ws_path="/",
        traced=False,
    )


class ServerProcess:
    """One started server: its pid, URLs, output tail; a context manager that stops it."""

    def __init__(self, spec: ServerSpec, port: int) -> None:
        self.spec = spec
        self.port = port
        self.http_url = f"http://127.0.0.1:{port}"
        self.ws_url = f"ws://127.0.0.1:{port}{spec.ws_path}"
        self._process: subprocess.Popen[bytes] | None = None
        self._output: deque[str] = deque(maxlen=60)
        self._pump_thread: Thread | None = None
        self.seconds_to_healthy: float | None = None
        #: processes of an external backend (LocalStack) that work for this server
        self.backend_pids: Callable[[], list[int]] | None = None

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def start(self, timeout: float = 60.0) -> float:
        """Spawn it and poll ``/healthz`` every 20 ms; seconds from spawn to the first 200."""
        started = time.monotonic()
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            self.spec.command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=dict(self.spec.environment),
            start_new_session=True,  # a Ctrl-C of the bench reaches it through stop() only
        )
        assert self._process.stdout is not None
        self._pump_thread = Thread(target=self._pump, args=(self._process.stdout,), daemon=True)
        self._pump_thread.start()
        deadline = started + timeout
        while True:
            status, _ = http_get(f"{self.http_url}/healthz", timeout=1.0)
            if status == 200:
                self.seconds_to_healthy = time.monotonic() - started
                return self.seconds_to_healthy
            if self._process.poll() is not None or time.monotonic() > deadline:
                code = self._process.returncode
                self.stop()
                raise ServerFailed(
                    f"{self.spec.label} did not become healthy in {timeout:g} s "
                    f"(exit code {code}); its output:\n" + self.output()
                )
            time.sleep(HEALTH_POLL_INTERVAL)

    def _pump(self, stream: IO[bytes]) -> None:
        with stream:
            for line in stream:
                self._output.append(line.decode(errors="replace").rstrip())

    def output(self) -> str:
        return "\n".join(self._output) or "(no output)"

    def health(self) -> dict[str, Any]:
        status, body = http_get(f"{self.http_url}/healthz")
        try:
            found = json.loads(body) if body else {}
        except ValueError:
            found = {}
        return {"status": status, **(found if isinstance(found, dict) else {})}

    def pids(self) -> list[int]:
        """The server and its descendants (chatserver's embedded emulator)."""
        return memory.tree(self.pid)

    def busy_pids(self) -> list[int]:
        """The server's processes and its external backend's: whose CPU means work is going on."""
        extra = self.backend_pids() if self.backend_pids is not None else []
        return [*self.pids(), *extra]

    def stop(self) -> None:
        """SIGINT (graceful, as Ctrl-C), then SIGKILL of what is left of its tree."""
        process = self._process
        if process is None:
            return
        children = memory.descendants(process.pid) if process.poll() is None else []
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGINT)
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
        for child in children:  # the emulator exits when its stdin closes; make sure
            with contextlib.suppress(ProcessLookupError, ChildProcessError):
                deadline = time.monotonic() + 5
                while _alive(child) and time.monotonic() < deadline:
                    time.sleep(0.05)
                if _alive(child):
                    os.kill(child, signal.SIGKILL)
        if self._pump_thread is not None:
            self._pump_thread.join(5)  # it closes the pipe once the output ends
        self._process = None

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def start(spec_for_port: Callable[[int], ServerSpec], timeout: float = 60.0) -> ServerProcess:
    """Start a server on a fresh free port: ``spec_for_port(port)`` builds its spec."""
    port = free_port()
    server = ServerProcess(spec_for_port(port), port)
    server.start(timeout)
    return server
