"""``$default``: every frame no route took. It explains what was wrong, and the connection stays
open: not JSON (InvalidJson), not an object or no action (InvalidMessage), or an action that
no route handles (UnknownAction)."""

from __future__ import annotations

from chatserver.chat.requests import parse_body
from chatserver.errors import InvalidMessage, UnknownAction
from chatserver.handlers.catalog import by_route
from chatserver.handlers.runtime import Event, ProxyResponse, Services, websocket_route


def default(event: Event, services: Services) -> ProxyResponse:
    value = parse_body(event.get("body"))
    if not isinstance(value, dict):
        raise InvalidMessage('a frame must be a JSON object such as {"action": "whoami"}')
    action = value.get("action")
    if action is None:
        raise InvalidMessage("the frame has no action")
    known = sorted(key for key in by_route() if not key.startswith("$"))
    raise UnknownAction(f"unknown action {action!r}; known actions: {', '.join(known)}")


handler = websocket_route(default)
