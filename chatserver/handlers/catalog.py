"""The Lambda functions of chatserver: one table that the gateway routes by and the SAM
template is checked against."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FunctionSpec:
    """A Lambda function: its short name, entry point, and the route it serves, if any."""

    name: str
    handler: str  # "module.attribute", as Lambda's Handler setting
    route_key: str | None = None
    two_way: bool = False  # a route response sends the handler's body back to the caller
    timeout: int = 30  # seconds, Lambda's function timeout
    memory: int = 256  # MB

    @property
    def module(self) -> str:
        return self.handler.rpartition(".")[0]

    @property
    def attribute(self) -> str:
        return self.handler.rpartition(".")[2]


FUNCTIONS: tuple[FunctionSpec, ...] = (
    FunctionSpec("connect", "chatserver.handlers.connect.handler", "$connect"),
    FunctionSpec("disconnect", "chatserver.handlers.disconnect.handler", "$disconnect"),
    FunctionSpec(
        "send-message", "chatserver.handlers.send_message.handler", "sendMessage", two_way=True
    ),
    FunctionSpec(
        "get-history", "chatserver.handlers.get_history.handler", "getHistory", two_way=True
    ),
    FunctionSpec(
        "get-presence", "chatserver.handlers.get_presence.handler", "getPresence", two_way=True
    ),
    FunctionSpec("whoami", "chatserver.handlers.whoami.handler", "whoami", two_way=True),
    FunctionSpec("default", "chatserver.handlers.default.handler", "$default", two_way=True),
    FunctionSpec("broadcast", "chatserver.handlers.broadcast.handler", timeout=60, memory=512),
)

#: The route selection expression of the WebSocket API.
ROUTE_SELECTION_EXPRESSION = "$request.body.action"


def by_route() -> dict[str, FunctionSpec]:
    return {spec.route_key: spec for spec in FUNCTIONS if spec.route_key is not None}


def by_name() -> dict[str, FunctionSpec]:
    return {spec.name: spec for spec in FUNCTIONS}
