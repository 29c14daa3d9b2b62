"""``$disconnect``: forget the connection and announce the user offline if it was their last.

API Gateway runs it after the socket closed, best effort; it cannot send to that connection.
A connection already removed (by the broadcast's stale clean-up) is not announced twice.
"""

from __future__ import annotations

from chatserver.handlers.presence import announce_leave
from chatserver.handlers.runtime import (
    Event,
    ProxyResponse,
    Services,
    connection_id,
    ok,
    websocket_route,
)


def disconnect(event: Event, services: Services) -> ProxyResponse:
    removed = services.connections.delete(connection_id(event))
    if removed is not None:
        announce_leave(services, removed)
    return ok()


handler = websocket_route(disconnect)
