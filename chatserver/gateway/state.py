"""The gateway's state: one object per running app, reached as ``app.state.gateway``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from chatserver.aws import management
from chatserver.aws.function_config import AUTH_SECRET, FunctionConfig
from chatserver.aws.names import ResourceNames
from chatserver.emulator.launcher import EmbeddedEmulator
from chatserver.errors import BackendError, GoingAway
from chatserver.gateway.activity_worker import ActivityWorker
from chatserver.gateway.backend import Backend
from chatserver.gateway.events import EventBuilder
from chatserver.gateway.lambda_runtime import LocalLambdaRuntime, Runtime
from chatserver.gateway.linked_runtime import LinkedRuntime, serve_gateway_side
from chatserver.gateway.live import ConnectionRegistry
from chatserver.gateway.local_connections import GatewayConnections
from chatserver.gateway.throttle import TokenBucket
from chatserver.handlers.catalog import FunctionSpec, authorizer, by_name, routes, validate
from chatserver.settings import Settings
from chatserver.tracing import TraceCollector

logger = logging.getLogger("chatserver.gateway")


def loopback_url(host: str, port: int) -> str:
    """A URL reaching a server bound to ``host`` from the same machine."""
    if host in ("0.0.0.0", ""):  # noqa: S104 - mapping a wildcard bind to loopback
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


class Gateway:
    """Settings, backend, Lambda runtime, routes and open connections of one gateway."""

    def __init__(
        self,
        settings: Settings,
        functions: Sequence[FunctionSpec],
        emulator: EmbeddedEmulator | None = None,
    ) -> None:
        """``emulator``: the embedded emulator, when the caller already spawned it."""
        self.settings = settings
        self.functions = validate(functions)
        self.url = loopback_url(settings.host, settings.port)
        self.backend = Backend(settings, emulator)
        self.connections = ConnectionRegistry()
        self.events = EventBuilder(api_id=settings.api_id, stage=settings.stage)
        self.routes: dict[str, FunctionSpec] = routes(self.functions)
        #: The $connect authorizer, in use only when CHAT_AUTH_SECRET is set.
        self.authorizer = authorizer(self.functions) if settings.auth_secret else None
        self.connection_throttle = TokenBucket(
            settings.connection_rate_limit, settings.connection_burst
        )
        self.management_throttle = TokenBucket(
            settings.management_rate_limit, settings.management_burst
        )
        self.runtime: Runtime | None = None
        #: Functions running in this process (none when they run in the emulator's).
        self.local_runtime: LocalLambdaRuntime | None = None
        self._local_connections: GatewayConnections | None = None
        self.activity_worker: ActivityWorker | None = None
        self.accepting = True
        #: Stage timestamps of messages, when CHAT_TRACE is set.
        self.traces: TraceCollector | None = TraceCollector() if settings.trace else None
        if self.traces is not None:
            self.traces.install()
        self._startup: asyncio.Task[None] | None = None

    @property
    def ready(self) -> bool:
        return self.runtime is not None and self.backend.ready.is_set() and self.accepting

    @property
    def management_endpoint(self) -> str:
        """The @connections endpoint handlers post to: ``http://host:port/{stage}``."""
        return f"{self.url}/{self.settings.stage}"

    def begin_startup(self) -> asyncio.Task[None]:
        """Start the backend in the background (once): the gateway answers 503 until ready."""
        if self._startup is None:
            self._startup = asyncio.create_task(self._start(), name="backend-startup")
        return self._startup

    async def wait_ready(self) -> None:
        """Wait until the backend is provisioned; BackendError if it failed."""
        await asyncio.shield(self.begin_startup())

    async def _start(self) -> None:
        stack = await self.backend.start()
        endpoint = self.backend.endpoint
        assert endpoint is not None
        environment = FunctionConfig(
            region=endpoint.region,
            connections_table=stack.names.connections_table,
            messages_table=stack.names.messages_table,
            event_bus=stack.names.event_bus,
            management_endpoint=self.management_endpoint,
            endpoint_url=endpoint.url,
            access_key_id=endpoint.access_key_id,
            secret_access_key=endpoint.secret_access_key,
        ).to_environment()
        if self.settings.auth_secret is not None:
            environment[AUTH_SECRET] = self.settings.auth_secret.get_secret_value()
        # Handlers of this process post to this gateway with a call, not an HTTP request.
        self._local_connections = GatewayConnections(self, asyncio.get_running_loop())
        management.register_local(self.management_endpoint, self._local_connections)
        emulator = self.backend.emulator
        placement = self.settings.lambda_placement if emulator is not None else "gateway"
        if placement == "gateway":
            self.local_runtime = await self._local_runtime(stack.names, environment)
        if emulator is not None:
            assert emulator.link is not None
            serve_gateway_side(emulator.link, self._local_connections, self.local_runtime)
            linked = LinkedRuntime(self.functions, stack.names, emulator.link)
            await linked.configure(
                environment,
                concurrency=self.settings.lambda_concurrency,
                trace=self.traces is not None,
                placement=placement,
            )
            self.runtime = self.local_runtime or linked
        else:
            self.runtime = self.local_runtime
        if stack.broadcast_bridge == "activity":
            assert self.local_runtime is not None
            worker = ActivityWorker(
                endpoint,
                stack.broadcast_arn,
                self.local_runtime,
                by_name(self.functions)["broadcast"],
                pollers=self.settings.activity_pollers,
                grace=self.settings.shutdown_timeout,
            )
            await worker.start()
            self.activity_worker = worker
        logger.info(
            "backend ready (%s, %s, functions in the %s, broadcast through %s)",
            self.backend.kind,
            endpoint.url,
            placement,
            stack.broadcast_bridge,
        )

    async def _local_runtime(
        self, names: ResourceNames, environment: dict[str, str]
    ) -> LocalLambdaRuntime:
        """The functions, run in this process."""
        runtime = LocalLambdaRuntime(
            self.functions, names, concurrency=self.settings.lambda_concurrency
        )
        runtime.environment = environment
        warm = [*self.routes.values(), by_name(self.functions)["broadcast"]]
        if self.authorizer is not None:
            warm.append(self.authorizer)
        await asyncio.to_thread(runtime.load, warm)
        return runtime

    async def trace_marks(self) -> list[dict[str, Any]]:
        """Stage marks collected here and, when the functions run there, in the emulator."""
        marks = self.traces.drain() if self.traces is not None else []
        link = self.backend.emulator.link if self.backend.emulator is not None else None
        if link is not None and self.local_runtime is None:
            found = await link.call("trace", timeout=10)
            marks.extend(found.get("marks", []))
            marks.sort(key=lambda mark: mark["at"])
        return marks

    async def drain(self) -> None:
        """Stop accepting connections and close the open ones with 1001, running $disconnect."""
        self.accepting = False
        if len(self.connections):
            logger.info("closing %d connections", len(self.connections))
        await self.connections.close_all(
            GoingAway("Server shutting down"), self.settings.shutdown_timeout
        )

    async def stop(self) -> None:
        """Release everything: connections, the startup task, the activity worker, the runtime,
        the emulator."""
        await self.drain()
        if self._startup is not None and not self._startup.done():
            self._startup.cancel()
        if self._startup is not None:
            with contextlib.suppress(asyncio.CancelledError, BackendError):
                await self._startup
        if self.activity_worker is not None:
            await self.activity_worker.stop()
        if self.runtime is not None:
            self.runtime.shutdown()
        if self.local_runtime is not None and self.local_runtime is not self.runtime:
            self.local_runtime.shutdown()
        if self._local_connections is not None:
            management.unregister_local(self.management_endpoint, self._local_connections)
        await self.backend.stop()
        if self.traces is not None:
            self.traces.uninstall()
