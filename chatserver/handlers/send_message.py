"""``sendMessage``: store the message, then put a MessageSent event for the fan-out.

The sender gets its own copy through the broadcast, like every member. A retry with the same
``clientMessageId`` stores and delivers nothing new. Only errors are answered directly.
"""

from __future__ import annotations

from chatserver import tracing
from chatserver.aws.names import MESSAGE_SENT
from chatserver.chat.requests import SendMessage, parse_action
from chatserver.handlers.runtime import (
    Event,
    ProxyResponse,
    Services,
    caller,
    logger,
    ok,
    websocket_route,
)


def send_message(event: Event, services: Services) -> ProxyResponse:
    request = parse_action(SendMessage, event.get("body"))
    tracing.mark(request.client_message_id, tracing.HANDLER)
    sender = caller(event, services)
    stored = services.messages.append(
        room=sender.room,
        sender=sender.user_name,
        text=request.text,
        client_message_id=request.client_message_id,
    )
    tracing.mark(request.client_message_id, tracing.STORED)
    if stored.created:
        services.events.publish(MESSAGE_SENT, sender.room, stored.message)
        tracing.mark(request.client_message_id, tracing.PUBLISHED)
    else:
        logger.info(
            "duplicate clientMessageId %r in %s: already stored as %s",
            request.client_message_id,
            sender.room,
            stored.message["messageId"],
        )
    return ok()


handler = websocket_route(send_message)
