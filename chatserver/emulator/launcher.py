"""Starting and stopping the embedded emulator's process from the gateway."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import shutil
import sys
from collections import deque
from typing import TYPE_CHECKING

from chatserver.emulator import link
from chatserver.errors import BackendError

if TYPE_CHECKING:
    from chatserver.settings import Settings

logger = logging.getLogger("chatserver.emulator")

_READY = "READY "


def _emulator_environment(token: str) -> dict[str, str]:
    """The emulator's environment: ours, with glibc's malloc held to two arenas, our import
    path (the functions it runs are imported as the gateway would), and the link's token.

    moto serves each request and runs each execution on a thread of its own, and glibc gives
    busy threads arenas of their own (up to eight per core) that keep their freed memory: after
    a burst of 1,000 connections the emulator stayed about 6 MB larger than with two.
    """
    path = [entry or os.getcwd() for entry in sys.path]
    return {
        **os.environ,
        "MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX", "2"),
        "PYTHONPATH": os.pathsep.join(path),
        link.TOKEN_ENV: token,
    }


class EmbeddedEmulator:
    """A moto server in a child process, with the gateway's functions, linked to the gateway."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        startup_timeout: float = 30.0,
        log_level: str = "warning",
        execution_retention: int = 200,
    ) -> None:
        self._socket = link.private_socket_path()
        self._token = secrets.token_urlsafe(32)
        self._command = [
            sys.executable,
            "-m",
            "chatserver.emulator.moto_process",
            "--host",
            host,
            "--port",
            str(port),
            "--link",
            str(self._socket),
            "--log-level",
            log_level,
            "--execution-retention",
            str(execution_retention),
        ]
        self._startup_timeout = startup_timeout
        self._process: asyncio.subprocess.Process | None = None
        self._output: deque[str] = deque(maxlen=40)
        self._pump: asyncio.Task[None] | None = None
        self.url: str | None = None
        self.link: link.Link | None = None

    @classmethod
    def for_settings(cls, settings: Settings) -> EmbeddedEmulator:
        """The embedded emulator ``settings`` ask for, not started."""
        return cls(
            host=settings.emulator_host,
            port=settings.emulator_port,
            startup_timeout=settings.emulator_startup_timeout,
            log_level="warning" if settings.log_level != "debug" else "info",
            execution_retention=settings.emulator_execution_retention,
        )

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    async def spawn(self) -> None:
        """Start the process without waiting for it: ``chatserver serve`` spawns it first, so
        that it imports moto while the gateway imports FastAPI, one on each core."""
        if self._process is not None:
            return
        self._process = await asyncio.create_subprocess_exec(
            *self._command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            # Its own session: a Ctrl-C meant for chatserver must not stop the emulator before
            # chatserver has run the $disconnect handlers of its open connections.
            start_new_session=True,
            env=_emulator_environment(self._token),
        )

    async def start(self) -> str:
        """Start the process (unless ``spawn`` did) and wait until it listens; its URL."""
        await self.spawn()
        assert self._process is not None
        try:
            self.url = await asyncio.wait_for(self._await_ready(), self._startup_timeout)
            self.link = await link.connect(self._socket, self._token)
        except (TimeoutError, BackendError, OSError) as exc:
            await self.stop()
            detail = "\n".join(self._output) or "no output"
            raise BackendError(
                f"the embedded emulator did not start ({exc or 'timed out'}); its output:\n{detail}"
            ) from None
        assert self._process.stdout is not None
        self._pump = asyncio.create_task(
            self._forward_output(self._process.stdout), name="emulator-output"
        )
        return self.url

    async def _await_ready(self) -> str:
        assert self._process is not None
        assert self._process.stdout is not None
        while True:
            line = await self._process.stdout.readline()
            if not line:
                raise BackendError(f"exited with code {await self._process.wait()}")
            text = line.decode(errors="replace").rstrip()
            if text.startswith(_READY):
                return text.removeprefix(_READY)
            self._output.append(text)

    async def _forward_output(self, stdout: asyncio.StreamReader) -> None:
        while line := await stdout.readline():
            text = line.decode(errors="replace").rstrip()
            self._output.append(text)
            logger.info("%s", text)

    async def stop(self, timeout: float = 5.0) -> None:
        """Stop the process: close its stdin (it exits), then terminate, then kill."""
        process, self._process = self._process, None
        if self.link is not None:
            await self.link.close()
            self.link = None
        shutil.rmtree(self._socket.parent, ignore_errors=True)
        if process is None:
            return
        if process.returncode is None:
            if process.stdin is not None:
                process.stdin.close()
            try:
                await asyncio.wait_for(process.wait(), timeout)
            except TimeoutError:
                process.terminate()
                try:
                    await asyncio.wait_for(process.wait(), timeout)
                except TimeoutError:
                    process.kill()
                    await process.wait()
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
        logger.info("embedded emulator stopped")
