"""The gateway's functions run in the embedded emulator's process, reached over the link.

``LinkedRuntime`` is what the gateway invokes through when the chat's functions run next to
moto (``chatserver.emulator.functions``): the same ``invoke`` as ``LocalLambdaRuntime``, one
link call per invocation, with the function's timeout enforced on both sides. The gateway
serves the link's ``post`` calls (a broadcast's page of posts, checked as the @connections API
checks them) and, when the functions run here instead (``CHAT_LAMBDA_PLACEMENT=gateway``), the
emulator's ``invoke`` calls (a state machine's broadcast task).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import Any

from chatserver.aws.names import ResourceNames
from chatserver.emulator.link import Link, LinkCallFailed, LinkClosed
from chatserver.gateway.lambda_runtime import (
    Invocation,
    LocalLambdaRuntime,
    UnknownFunction,
    find_function,
)
from chatserver.gateway.local_connections import GatewayConnections
from chatserver.handlers.catalog import FunctionSpec

logger = logging.getLogger("chatserver.lambda")


class LinkedRuntime:
    """Invokes functions that run in the emulator's process."""

    def __init__(
        self, functions: tuple[FunctionSpec, ...], names: ResourceNames, link: Link
    ) -> None:
        self._specs = {spec.name: spec for spec in functions}
        self._names = names
        self._link = link
        self._background: set[asyncio.Task[Invocation]] = set()
        self.environment: dict[str, str] = {}

    async def configure(
        self, environment: dict[str, str], *, concurrency: int, trace: bool, placement: str
    ) -> None:
        """Tell the emulator where the functions run; with ``"emulator"``, have it load them
        with their environment."""
        self.environment = environment
        await self._link.call(
            "configure",
            functions=[dataclasses.asdict(spec) for spec in self._specs.values()],
            names=dataclasses.asdict(self._names),
            environment=environment,
            concurrency=concurrency,
            trace=trace,
            placement=placement,
        )

    def resolve(self, function_name: str) -> FunctionSpec:
        return find_function(self._specs, self._names, function_name)

    async def invoke(
        self, spec: FunctionSpec, event: Any, *, timeout: float | None = None
    ) -> Invocation:
        """Run the function in the emulator; one that has not answered within ``timeout`` (the
        function's own by default) is reported timed out, as ``LocalLambdaRuntime`` does."""
        limit = float(spec.timeout) if timeout is None else timeout
        try:
            found = await self._link.call(
                "invoke", timeout=limit, function=spec.name, event=event, timeout_seconds=limit
            )
        except TimeoutError:
            logger.warning("%s timed out after %.1f s", spec.name, limit)
            return Invocation(timed_out=True)
        except (LinkClosed, LinkCallFailed) as exc:
            logger.error("invoking %s in the emulator failed: %s", spec.name, exc)
            invocation = Invocation()
            invocation.error = {
                "errorMessage": str(exc) or "the emulator did not answer",
                "errorType": "Lambda.ServiceException",
                "requestId": invocation.request_id,
                "stackTrace": [],
            }
            return invocation
        return Invocation.from_dict(found)

    def invoke_later(self, spec: FunctionSpec, event: Any) -> None:
        task = asyncio.create_task(self.invoke(spec, event), name=f"invoke-{spec.name}")
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def shutdown(self) -> None:
        for task in self._background:
            task.cancel()


def serve_gateway_side(
    link: Link, connections: GatewayConnections, local: LocalLambdaRuntime | None
) -> None:
    """Answer the emulator's calls: posts, and invokes when the functions run in the gateway."""

    async def post(call: dict[str, Any]) -> list[tuple[int, str, str]]:
        text = call.get("text")
        data = text.encode() if isinstance(text, str) else bytes.fromhex(str(call.get("hex")))
        return connections.outcomes([str(cid) for cid in call["ids"]], data)

    link.serve("post", post)
    if local is None:
        return

    async def invoke(call: dict[str, Any]) -> dict[str, Any]:
        try:
            spec = local.resolve(str(call["function"]))
        except UnknownFunction:
            return {"unknown": True}
        invocation = await local.invoke(spec, call.get("event"))
        return {**invocation.as_dict(), "timeout": spec.timeout}

    link.serve("invoke", invoke)
