"""Which AWS backend a test session runs against, chosen with ``CHAT_TEST_BACKEND``.

- ``embedded`` (default): each ``ChatStack`` starts its own embedded emulator (moto).
- ``localstack``: real LocalStack 4.14.0. ``CHAT_TEST_LOCALSTACK_URL`` names one already
  running; otherwise the session starts one without Docker through
  ``chatserver.emulator.localstack_host`` (cached install, free loopback port) and stops it at
  the end. Every session uses its own ``resource_prefix``, so sessions sharing a LocalStack
  never see each other's tables or executions.

``TestBackend.settings()`` gives the ``Settings`` overrides that point a ``ChatStack`` (or a
``chatserver serve`` process, through ``environment()``) at the selected backend.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from chatserver.emulator import localstack_host
from chatserver.errors import ConfigurationError

BACKEND_ENV = "CHAT_TEST_BACKEND"
LOCALSTACK_URL_ENV = "CHAT_TEST_LOCALSTACK_URL"

BackendName = Literal["embedded", "localstack"]
BACKENDS: tuple[BackendName, ...] = ("embedded", "localstack")


def selected_backend() -> BackendName:
    """The backend ``CHAT_TEST_BACKEND`` names (``embedded`` when unset)."""
    value = os.environ.get(BACKEND_ENV, "").strip().lower() or "embedded"
    for name in BACKENDS:
        if value == name:
            return name
    raise ConfigurationError(f"{BACKEND_ENV}={value!r}: expected one of {', '.join(BACKENDS)}")


class TestBackend:
    """The session's backend: started (if it is ours to start) on enter, stopped on exit."""

    __test__ = False  # not a test class, whatever pytest's name matching thinks

    def __init__(self, name: BackendName | None = None) -> None:
        self.name: BackendName = name or selected_backend()
        self.resource_prefix = f"t{uuid.uuid4().hex[:10]}"
        self.endpoint_url: str | None = None
        self._instance: localstack_host.Instance | None = None
        self._state_dir: Path | None = None

    def start(self) -> TestBackend:
        if self.name == "localstack":
            given = os.environ.get(LOCALSTACK_URL_ENV, "").strip().rstrip("/")
            self.endpoint_url = given or self._start_localstack()
        return self

    def _start_localstack(self) -> str:
        self._state_dir = Path(tempfile.mkdtemp(prefix="chatserver-localstack-"))
        cache = localstack_host.Cache(localstack_host.default_cache_dir())
        self._instance = localstack_host.Instance(self._state_dir)
        try:
            return self._instance.start(
                cache,
                init_dir=localstack_host.default_init_dir(),
                log=localstack_host.Log(quiet=True),
            )
        except localstack_host.HostError as exc:
            self.stop()
            raise ConfigurationError(f"{BACKEND_ENV}=localstack: {exc}") from None

    def stop(self) -> None:
        if self._instance is not None:
            self._instance.stop()
            self._instance = None
        if self._state_dir is not None:
            shutil.rmtree(self._state_dir, ignore_errors=True)
            self._state_dir = None

    def __enter__(self) -> TestBackend:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def settings(self, suffix: str = "") -> dict[str, Any]:
        """``Settings`` overrides for a stack on this backend (none for the embedded one).

        A second gateway on the same LocalStack needs its own resources: give it a ``suffix``.
        With the activity bridge, gateways sharing a prefix would take each other's broadcast
        tasks and post to connections they do not hold.
        """
        if self.name == "embedded":
            return {}
        prefix = f"{self.resource_prefix}-{suffix}" if suffix else self.resource_prefix
        return {"aws_endpoint_url": self.endpoint_url, "resource_prefix": prefix}

    def pids(self) -> list[int]:
        """The processes of the LocalStack this session started (empty otherwise)."""
        return self._instance.pids() if self._instance is not None else []

    def environment(self, suffix: str = "") -> dict[str, str]:
        """The same overrides as ``CHAT_`` environment variables, for a ``chatserver`` process."""
        return {f"CHAT_{key.upper()}": str(value) for key, value in self.settings(suffix).items()}
