"""``$connect``: validate the name and room, register the connection, announce the user.

A missing or invalid ``name`` or ``room`` query parameter refuses the handshake with 400 (the
client sees the HTTP status). When a REQUEST authorizer ran, the user name comes from its
context (``requestContext.authorizer.principalId``) and the ``name`` parameter is ignored.
"""

from __future__ import annotations

from chatserver.aws.connections import Connection
from chatserver.chat.requests import validate_name, validate_room
from chatserver.handlers.presence import announce_join
from chatserver.handlers.runtime import (
    Event,
    ProxyResponse,
    Services,
    connection_id,
    ok,
    websocket_route,
)


def connect(event: Event, services: Services) -> ProxyResponse:
    params = event.get("queryStringParameters") or {}
    authorizer = event["requestContext"].get("authorizer") or {}
    name = validate_name(authorizer.get("principalId") or params.get("name"))
    room = validate_room(params.get("room"))
    connection = Connection(
        connection_id=connection_id(event),
        room=room,
        user_name=name,
        connected_at=int(event["requestContext"]["connectedAt"]),
    )
    services.connections.put(connection)
    announce_join(services, connection)
    return ok()


handler = websocket_route(connect)
