"""A local stand-in for AWS Lambda: it imports handler modules and invokes ``handler(event,
context)`` on a bounded pool of threads, as Lambda runs each invocation in its own sandbox.

The context carries the attributes of Lambda's Python context object, plus ``environment``:
the function's environment variables, which a handler reads instead of ``os.environ`` so
that several stacks can share one process. A handler that outlives the integration timeout is
reported as timed out to its caller (it keeps running, as on AWS, where API Gateway gives up
after 29 s while the function goes on).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from chatserver.aws.names import ResourceNames
from chatserver.chat.ids import new_aws_style_id
from chatserver.handlers.catalog import FunctionSpec

logger = logging.getLogger("chatserver.lambda")


@dataclass
class LocalContext:
    """Lambda's context object for one invocation (the attributes handlers commonly use)."""

    function_name: str
    invoked_function_arn: str
    aws_request_id: str
    deadline: float  # time.monotonic() value
    environment: Mapping[str, str]  # the function's environment variables (local extension)
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 256
    log_group_name: str = ""
    log_stream_name: str = "local"
    identity: Any = None
    client_context: Any = None

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


@dataclass
class Invocation:
    """The outcome of one invocation: the handler's result, or the error it raised."""

    result: Any = None
    error: dict[str, Any] | None = None
    timed_out: bool = False
    request_id: str = field(default_factory=new_aws_style_id)

    @property
    def failed(self) -> bool:
        return self.error is not None or self.timed_out

    def as_dict(self) -> dict[str, Any]:
        """The invocation for the emulator link (``from_dict`` reads it back)."""
        return {
            "result": self.result,
            "error": self.error,
            "timedOut": self.timed_out,
            "requestId": self.request_id,
        }

    @classmethod
    def from_dict(cls, found: dict[str, Any]) -> Invocation:
        return cls(
            result=found.get("result"),
            error=found.get("error"),
            timed_out=bool(found.get("timedOut")),
            request_id=str(found.get("requestId") or new_aws_style_id()),
        )

    def payload(self, spec: FunctionSpec) -> tuple[Any, str | None]:
        """What Lambda's Invoke answers: the payload, and ``X-Amz-Function-Error`` if failed."""
        if self.timed_out:
            return {
                "errorMessage": f"Task timed out after {spec.timeout} seconds",
                "errorType": "Sandbox.Timedout",
            }, "Unhandled"
        if self.error is not None:
            return self.error, "Unhandled"
        return self.result, None


class Runtime(Protocol):
    """Where the gateway's functions run: this process, or the emulator's (over the link)."""

    #: The functions' environment variables (what Lambda would set), as handed to them.
    environment: dict[str, str]

    def resolve(self, function_name: str) -> FunctionSpec: ...

    async def invoke(
        self, spec: FunctionSpec, event: Any, *, timeout: float | None = None
    ) -> Invocation: ...

    def invoke_later(self, spec: FunctionSpec, event: Any) -> None: ...

    def shutdown(self) -> None: ...


class UnknownFunction(LookupError):
    """No function of that name is deployed locally."""


def find_function(
    specs: Mapping[str, FunctionSpec], names: ResourceNames, function_name: str
) -> FunctionSpec:
    """A function by its deployed name (``chat-broadcast``) or short name (``broadcast``)."""
    short = function_name.removeprefix(names.prefix + "-")
    spec = specs.get(short) or specs.get(function_name)
    if spec is None:
        raise UnknownFunction(function_name)
    return spec


class LocalLambdaRuntime:
    """Runs the catalog's handlers for one stack."""

    def __init__(
        self,
        functions: tuple[FunctionSpec, ...],
        names: ResourceNames,
        *,
        concurrency: int,
    ) -> None:
        self._specs = {spec.name: spec for spec in functions}
        self._names = names
        self._background: set[asyncio.Task[Invocation]] = set()
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="lambda")
        self._handlers: dict[str, Callable[[Any, Any], Any]] = {}
        self.environment: dict[str, str] = {}

    def resolve(self, function_name: str) -> FunctionSpec:
        return find_function(self._specs, self._names, function_name)

    def _handler(self, spec: FunctionSpec) -> Callable[[Any, Any], Any]:
        found = self._handlers.get(spec.name)
        if found is None:
            module = importlib.import_module(spec.module)
            found = getattr(module, spec.attribute)
            self._handlers[spec.name] = found
        return found

    def load(self, specs: Iterable[FunctionSpec]) -> None:
        """Import these handlers now, so their first invocations are not cold starts."""
        for spec in specs:
            self._handler(spec)

    async def invoke(
        self, spec: FunctionSpec, event: Any, *, timeout: float | None = None
    ) -> Invocation:
        """Run the handler; ``timeout`` defaults to the function's own."""
        invocation = Invocation()
        limit = float(spec.timeout) if timeout is None else timeout
        context = LocalContext(
            function_name=self._names.function(spec.name),
            invoked_function_arn=self._names.function_arn(spec.name),
            aws_request_id=invocation.request_id,
            deadline=time.monotonic() + limit,
            environment=self.environment,
            log_group_name=f"/aws/lambda/{self._names.function(spec.name)}",
            memory_limit_in_mb=spec.memory,
        )
        handler = self._handler(spec)
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._pool, _call, handler, event, context)
        try:
            invocation.result = await asyncio.wait_for(asyncio.shield(future), limit)
        except TimeoutError:
            invocation.timed_out = True
            logger.warning("%s timed out after %.1f s", context.function_name, limit)
        except Exception as exc:  # noqa: BLE001 - a handler's failure is its invocation's result
            logger.error(
                "%s raised %s\n%s",
                context.function_name,
                type(exc).__name__,
                "".join(traceback.format_exception(exc)),
            )
            invocation.error = {
                "errorMessage": str(exc),
                "errorType": type(exc).__name__,
                "requestId": invocation.request_id,
                "stackTrace": [],
            }
        return invocation

    def invoke_later(self, spec: FunctionSpec, event: Any) -> None:
        """An asynchronous (``Event``) invocation: run it without waiting for its result."""
        task = asyncio.create_task(self.invoke(spec, event), name=f"invoke-{spec.name}")
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _call(handler: Callable[[Any, Any], Any], event: Any, context: LocalContext) -> Any:
    return handler(event, context)
