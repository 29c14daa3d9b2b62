"""``getPresence``: who is online in the caller's room."""

from __future__ import annotations

from chatserver.chat.frames import presence_frame
from chatserver.chat.requests import GetPresence, parse_action
from chatserver.handlers.runtime import (
    Event,
    ProxyResponse,
    Services,
    caller,
    ok,
    websocket_route,
)


def get_presence(event: Event, services: Services) -> ProxyResponse:
    parse_action(GetPresence, event.get("body"))
    room = caller(event, services).room
    online = (member.user_name for member in services.connections.in_room(room))
    return ok(presence_frame(room, online))


handler = websocket_route(get_presence)
