"""``whoami``: the caller's connection id, name and room."""

from __future__ import annotations

from chatserver.chat.frames import identity_frame
from chatserver.chat.requests import WhoAmI, parse_action
from chatserver.handlers.runtime import (
    Event,
    ProxyResponse,
    Services,
    caller,
    ok,
    websocket_route,
)


def whoami(event: Event, services: Services) -> ProxyResponse:
    parse_action(WhoAmI, event.get("body"))
    me = caller(event, services)
    return ok(identity_frame(me.connection_id, me.user_name, me.room))


handler = websocket_route(whoami)
