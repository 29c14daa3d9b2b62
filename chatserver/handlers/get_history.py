"""``getHistory``: the newest messages of the caller's room, before a message id if given."""

from __future__ import annotations

from chatserver.chat.frames import history_frame
from chatserver.chat.requests import GetHistory, parse_action
from chatserver.handlers.runtime import (
    Event,
    ProxyResponse,
    Services,
    caller,
    ok,
    websocket_route,
)


def get_history(event: Event, services: Services) -> ProxyResponse:
    request = parse_action(GetHistory, event.get("body"))
    room = caller(event, services).room
    messages, has_more = services.messages.history(room, limit=request.limit, before=request.before)
    return ok(history_frame(room, messages, has_more=has_more))


handler = websocket_route(get_history)
