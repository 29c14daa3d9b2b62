"""The chat's Lambda functions, hosted next to moto in the embedded emulator's process.

Every AWS call of a chat message (the handler's DynamoDB writes and PutEvents, the state
machine's room query) is served by moto; running the handlers in moto's process turns each of
those calls into a function call (``chatserver.emulator.inprocess``) instead of an HTTP round
trip between two processes. What is left to cross to the gateway goes over the link
(``chatserver.emulator.link``): the gateway's ``invoke`` of a route's function, and each
broadcast's page of ``PostToConnection``s as one ``post`` call.

``FunctionHost`` runs an asyncio loop on a thread of its own for the link and the local Lambda
runtime. The gateway configures it once provisioning is done (``configure``: the function
catalog, their environment, tracing, and where they run). With ``placement="gateway"`` (for
handlers that must share the gateway's memory, such as test doubles that record events), the
functions stay in the gateway and the host forwards moto's invokes to it over the link.

moto's bridges (``chatserver.emulator.bridges``) invoke through ``FunctionHost.invoke``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from chatserver import tracing
from chatserver.aws import clients, management
from chatserver.aws.function_config import ENDPOINT_URL, MANAGEMENT_ENDPOINT
from chatserver.aws.management import Outcome
from chatserver.aws.names import ResourceNames
from chatserver.emulator import inprocess
from chatserver.emulator.link import Link, LinkCallFailed, LinkClosed, listen
from chatserver.gateway.lambda_runtime import Invocation, LocalLambdaRuntime, UnknownFunction
from chatserver.handlers.catalog import FunctionSpec

logger = logging.getLogger("chatserver.emulator.functions")

#: How long a post may wait for the gateway before it counts as a 503 (retried, then failed).
POST_TIMEOUT_SECONDS = 10.0


class LinkedConnections:
    """The gateway's connections, posted to from this process's handler threads."""

    def __init__(self, link: Link, loop: asyncio.AbstractEventLoop) -> None:
        self._link = link
        self._loop = loop

    def post_each(self, connection_ids: Sequence[str], data: bytes) -> list[Outcome]:
        try:
            text: str | None = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        call = self._link.call(
            "post",
            timeout=POST_TIMEOUT_SECONDS,
            ids=list(connection_ids),
            text=text,
            hex=None if text is not None else data.hex(),
        )
        try:
            found = asyncio.run_coroutine_threadsafe(call, self._loop).result()
        except (LinkClosed, LinkCallFailed, TimeoutError) as exc:
            return [(503, "ServiceUnavailable", str(exc))] * len(connection_ids)
        return [(int(status), str(kind), str(message)) for status, kind, message in found]


class FunctionHost:
    """Runs the gateway's functions in this process and serves the link."""

    def __init__(self, link_path: Path, token: str, endpoint_url: str) -> None:
        self._path = link_path
        self._token = token
        self._endpoint_url = endpoint_url
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="functions")
        self._server: asyncio.Server | None = None
        self._link: Link | None = None
        self._runtime: LocalLambdaRuntime | None = None
        self._placement = "emulator"
        self._traces: tracing.TraceCollector | None = None
        self._configured = threading.Event()

    def start(self) -> None:
        """Listen on the link's socket (returns once it listens)."""
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(
            listen(self._path, self._token, self._accepted), self._loop
        )
        self._server = future.result(10)

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()
            if self._link is not None:
                await self._link.close()

        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(close(), self._loop).result(5)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)
        if self._runtime is not None:
            self._runtime.shutdown()
        if self._traces is not None:
            self._traces.uninstall()

    # -- the link's operations ----------------------------------------------------------------

    def _accepted(self, link: Link) -> None:
        if self._link is not None and not self._link.closed.is_set():
            logger.warning("a second gateway link replaces the first")
        self._link = link
        link.serve("configure", self._configure)
        link.serve("invoke", self._invoke_op)
        link.serve("trace", self._trace)
        link.serve("patches", self._patches)

    async def _configure(self, call: dict[str, Any]) -> dict[str, Any]:
        assert self._link is not None
        functions = tuple(FunctionSpec(**spec) for spec in call["functions"])
        names = ResourceNames(**call["names"])
        environment: dict[str, str] = dict(call["environment"])
        self._placement = str(call.get("placement", "emulator"))
        if call.get("trace") and self._traces is None:
            self._traces = tracing.TraceCollector()
            self._traces.install()
        if self._placement == "emulator":
            runtime = LocalLambdaRuntime(
                functions, names, concurrency=int(call.get("concurrency", 64))
            )
            # The handlers' clients for this emulator are answered in this process ...
            environment[ENDPOINT_URL] = self._endpoint_url
            clients.register_transport(self._endpoint_url, inprocess.attach)
            # ... and their posts go to the gateway over the link, a page per call.
            endpoint = environment.get(MANAGEMENT_ENDPOINT)
            if endpoint:
                management.register_local(endpoint, LinkedConnections(self._link, self._loop))
            runtime.environment = environment
            await asyncio.to_thread(runtime.load, functions)
            self._runtime = runtime
        self._configured.set()
        return {"placement": self._placement}

    async def _invoke_op(self, call: dict[str, Any]) -> dict[str, Any]:
        if self._runtime is None:
            raise RuntimeError("functions are not configured here")
        spec = self._runtime.resolve(str(call["function"]))
        timeout = call.get("timeout_seconds")
        invocation = await self._runtime.invoke(
            spec, call.get("event"), timeout=None if timeout is None else float(timeout)
        )
        return invocation.as_dict()

    async def _trace(self, _: dict[str, Any]) -> dict[str, Any]:
        return {"marks": self._traces.drain() if self._traces is not None else []}

    async def _patches(self, _: dict[str, Any]) -> dict[str, Any]:
        from chatserver.emulator import patches

        return {"patches": patches.in_use()}

    # -- moto's bridges -----------------------------------------------------------------------

    def invoke(
        self, function_name: str, payload: bytes, *, asynchronous: bool = False
    ) -> tuple[bytes, str | None]:
        """Run a function for moto (Lambda Invoke, a state machine task, an EventBridge
        target): its result payload and ``X-Amz-Function-Error`` (None if it succeeded)."""
        name = (
            function_name.rsplit(":", 1)[-1] if function_name.startswith("arn:") else function_name
        )
        try:
            event = json.loads(payload) if payload else {}
        except ValueError:
            return _error("InvalidRequestContentException", "Could not parse payload")
        if asynchronous:  # Lambda's Event invocation: queued, its outcome only logged
            queued = asyncio.run_coroutine_threadsafe(self._run(name, event), self._loop)
            queued.add_done_callback(_log_failure)
            return b"", None
        try:
            found = asyncio.run_coroutine_threadsafe(self._run(name, event), self._loop).result()
        except UnknownFunction:
            return _error("ResourceNotFoundException", f"Function not found: {name}")
        except (LinkClosed, LinkCallFailed, TimeoutError) as exc:
            logger.warning("could not invoke %s: %s", name, exc)
            return _error("Lambda.ServiceException", str(exc))
        result, function_error = found
        return json.dumps(result).encode(), function_error

    async def _run(self, name: str, event: Any) -> tuple[Any, str | None]:
        if not self._configured.is_set():
            raise LinkCallFailed("the gateway has not configured its functions yet")
        if self._runtime is not None:
            spec = self._runtime.resolve(name)
            invocation = await self._runtime.invoke(spec, event)
            return invocation.payload(spec)
        if self._link is None:
            raise LinkClosed("no gateway is linked")
        answer = await self._link.call("invoke", function=name, event=event)
        if answer.get("unknown"):
            raise UnknownFunction(name)
        spec_timeout = int(answer.get("timeout", 30))
        invocation = Invocation.from_dict(answer)
        return invocation.payload(FunctionSpec(name, "-.-", timeout=spec_timeout))


def _log_failure(done: Future[tuple[Any, str | None]]) -> None:
    exc = done.exception()
    if exc is not None:
        logger.warning("an asynchronous invocation failed: %s", exc)
    elif done.result()[1] is not None:
        logger.warning("an asynchronous invocation failed: %s", done.result()[0])


def _error(error_type: str, message: str) -> tuple[bytes, str]:
    return json.dumps({"errorType": error_type, "errorMessage": message}).encode(), "Unhandled"
