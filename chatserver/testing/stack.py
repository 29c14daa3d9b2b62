"""The whole stack (gateway, handlers, emulator) started in-process for tests.

``ChatStack`` runs the gateway on its own thread and event loop, bound to a free loopback port,
so tests can use any client (async or blocking) without sharing a loop with the server. The
embedded emulator runs in a child process, as under ``chatserver serve``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Sequence
from concurrent.futures import Future
from contextlib import AbstractContextManager
from typing import Any, TypeVar

import boto3

from chatserver.aws.endpoint import AwsEndpoint
from chatserver.aws.names import ResourceNames
from chatserver.errors import BackendError, GoingAway
from chatserver.gateway.state import Gateway
from chatserver.handlers.catalog import FunctionSpec
from chatserver.server import PreparedServer, prepare
from chatserver.settings import Settings
from chatserver.testing.faults import paused
from chatserver.testing.observe import Observer

T = TypeVar("T")

#: Settings a test stack starts with unless the caller says otherwise.
TEST_DEFAULTS: dict[str, Any] = {
    "host": "127.0.0.1",
    "port": 0,
    "log_level": "warning",
    "shutdown_timeout": 3.0,
}


class ChatStack:
    """A running chatserver for tests: its URLs, settings, AWS clients and gateway."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        functions: Sequence[FunctionSpec] | None = None,
        **overrides: Any,
    ) -> None:
        base = settings if settings is not None else Settings(**{**TEST_DEFAULTS, **overrides})
        if settings is not None and overrides:
            base = settings.model_copy(update=overrides)
        self._requested = base
        self._functions = functions
        self._prepared: PreparedServer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._clients: dict[str, Any] = {}
        self._error: BaseException | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, timeout: float = 60.0) -> ChatStack:
        """Start and wait until ``/healthz`` would answer 200; raises if the backend failed."""
        self._thread = threading.Thread(target=self._run, name="chatserver-stack", daemon=True)
        self._thread.start()
        if not self._started.wait(timeout):
            raise BackendError(f"the chat stack did not start within {timeout} s")
        if self._error is not None:
            self.stop()
            raise self._error
        return self

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        try:
            self._prepared = prepare(self._requested, self._functions)
        except BaseException as exc:  # noqa: BLE001 - handed to the thread that called start()
            self._error = exc
            self._started.set()
            return
        serving = asyncio.create_task(self._prepared.serve())
        try:
            await self._prepared.wait_ready()
        except BaseException as exc:  # noqa: BLE001 - handed to the thread that called start()
            self._error = exc
            self._prepared.server.should_exit = True
        self._started.set()
        await serving

    def stop(self, timeout: float = 30.0) -> None:
        """Shut down as Ctrl-C would (1001 to clients, $disconnect, emulator stopped)."""
        if self._prepared is not None:
            self._prepared.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def __enter__(self) -> ChatStack:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- what tests use ----------------------------------------------------------------------

    @property
    def prepared(self) -> PreparedServer:
        if self._prepared is None:
            raise RuntimeError("the stack is not started")
        return self._prepared

    @property
    def gateway(self) -> Gateway:
        """The gateway object; touch its state only through ``call`` (it lives on its loop)."""
        return self.prepared.gateway

    @property
    def settings(self) -> Settings:
        return self.prepared.settings

    @property
    def http_url(self) -> str:
        return self.gateway.url

    @property
    def ws_url(self) -> str:
        """The WebSocket API, ``ws://127.0.0.1:PORT/{stage}``."""
        return self.http_url.replace("http://", "ws://", 1) + f"/{self.settings.stage}"

    @property
    def management_url(self) -> str:
        """The @connections API's endpoint, for ``apigatewaymanagementapi`` clients."""
        return self.gateway.management_endpoint

    @property
    def endpoint(self) -> AwsEndpoint:
        endpoint = self.gateway.backend.endpoint
        if endpoint is None:
            raise RuntimeError("the backend is not started")
        return endpoint

    @property
    def names(self) -> ResourceNames:
        stack = self.gateway.backend.stack
        if stack is None:
            raise RuntimeError("the backend is not provisioned")
        return stack.names

    @property
    def state_machine_arn(self) -> str:
        stack = self.gateway.backend.stack
        if stack is None:
            raise RuntimeError("the backend is not provisioned")
        return stack.state_machine_arn

    def client(self, service: str) -> Any:
        """A boto3 client for the emulator (``dynamodb``, ``stepfunctions``, ``events``...)."""
        found = self._clients.get(service)
        if found is None:
            found = boto3.client(service, **self.endpoint.boto3_kwargs())  # type: ignore[call-overload]
            self._clients[service] = found
        return found

    def async_client(self, service: str) -> Any:
        """An aioboto3 client for the emulator, to use as ``async with stack.async_client(...)``."""
        endpoint = self.endpoint
        return endpoint.session().client(  # type: ignore[call-overload]
            service, endpoint_url=endpoint.url
        )

    @property
    def observe(self) -> Observer:
        """What happened in the backend: executions, their history, messages, connections."""
        return Observer(self.client, self.names, self.state_machine_arn)

    def reset(self, timeout: float = 10.0) -> None:
        """Start afresh without restarting: close every open connection (1001, their
        ``$disconnect`` runs), then empty the connections and messages tables."""
        gateway = self.gateway
        self.call(gateway.connections.close_all(GoingAway("Test reset"), timeout), timeout + 5)
        self.observe.clear_tables()

    def emulator_pids(self) -> list[int]:
        """The embedded emulator's process, for fault injection (empty for an external one)."""
        emulator = self.gateway.backend.emulator
        return [emulator.pid] if emulator is not None and emulator.pid is not None else []

    def emulator_unavailable(self) -> AbstractContextManager[None]:
        """A block during which the embedded emulator answers nothing (its process is frozen)."""
        pids = self.emulator_pids()
        if not pids:
            raise NotImplementedError(
                "this stack uses an external endpoint; freeze that process yourself "
                "(chatserver.testing.faults.paused)"
            )
        return paused(pids)

    def management_client(self) -> Any:
        """boto3's own ``apigatewaymanagementapi`` client, pointed at this gateway."""
        return boto3.client(
            "apigatewaymanagementapi",
            endpoint_url=self.management_url,
            region_name=self.endpoint.region,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        """Run ``coroutine`` on the stack's own loop and return its result."""
        if self._loop is None:
            raise RuntimeError("the stack is not started")
        future: Future[T] = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result(timeout)
