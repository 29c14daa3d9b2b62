"""The Lambda functions of chatserver: one table that the gateway routes by and the SAM
template is checked against.

A deployment may use another catalog (``CHAT_FUNCTIONS=package.module:ATTRIBUTE``), for
example to add routes with handlers of its own; ``load_catalog`` checks it.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from chatserver.errors import ConfigurationError

#: The route selection expression of the WebSocket API.
ROUTE_SELECTION_EXPRESSION = "$request.body.action"

#: Where the REQUEST authorizer's identity comes from (API Gateway's identity source).
AUTHORIZER_IDENTITY_SOURCE = "route.request.querystring.token"


@dataclass(frozen=True)
class FunctionSpec:
    """A Lambda function: its short name, entry point, and what it serves."""

    name: str
    handler: str  # "module.attribute", as Lambda's Handler setting
    route_key: str | None = None  # the WebSocket route it integrates with, if any
    two_way: bool = False  # a route response sends the handler's body back to the caller
    authorizer: bool = False  # the REQUEST authorizer of $connect
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
    FunctionSpec(
        "authorizer", "chatserver.handlers.authorizer.handler", authorizer=True, timeout=10
    ),
)


def routes(functions: Iterable[FunctionSpec] = FUNCTIONS) -> dict[str, FunctionSpec]:
    """Route key to function."""
    return {spec.route_key: spec for spec in functions if spec.route_key is not None}


def authorizer(functions: Iterable[FunctionSpec] = FUNCTIONS) -> FunctionSpec | None:
    return next((spec for spec in functions if spec.authorizer), None)


def by_name(functions: Iterable[FunctionSpec] = FUNCTIONS) -> dict[str, FunctionSpec]:
    """Short name to function."""
    return {spec.name: spec for spec in functions}


def by_route() -> dict[str, FunctionSpec]:
    """The default catalog's routes (what the $default handler lists as known actions)."""
    return routes(FUNCTIONS)


def validate(functions: Sequence[FunctionSpec]) -> tuple[FunctionSpec, ...]:
    """A catalog's consistency: unique names and routes, one authorizer, a broadcast task."""
    names = [spec.name for spec in functions]
    keys = [spec.route_key for spec in functions if spec.route_key is not None]
    problems = []
    if len(set(names)) != len(names):
        problems.append("function names repeat")
    if len(set(keys)) != len(keys):
        problems.append("route keys repeat")
    if sum(spec.authorizer for spec in functions) > 1:
        problems.append("more than one authorizer")
    if "broadcast" not in names:
        problems.append("no 'broadcast' function for the state machine's task")
    if problems:
        raise ConfigurationError("CHAT_FUNCTIONS: " + "; ".join(problems))
    return tuple(functions)


def load_catalog(reference: str | None) -> tuple[FunctionSpec, ...]:
    """The catalog named ``package.module:ATTRIBUTE``, or the default one."""
    if not reference:
        return FUNCTIONS
    module_name, _, attribute = reference.partition(":")
    try:
        found = getattr(importlib.import_module(module_name), attribute or "FUNCTIONS")
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(f"CHAT_FUNCTIONS={reference!r} cannot be loaded: {exc}") from None
    if not all(isinstance(spec, FunctionSpec) for spec in found):
        raise ConfigurationError(f"CHAT_FUNCTIONS={reference!r} is not a list of FunctionSpec")
    return validate(list(found))
