"""What the server sends: the chat protocol's frames (docs/protocol.md), built in one place."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, NotRequired, TypedDict


class MessageFrame(TypedDict):
    """A stored chat message, as broadcast to the room and listed in history."""

    type: Literal["message"]
    room: str
    messageId: str
    clientMessageId: str | None
    sender: str
    text: str
    sentAt: str


class HistoryFrame(TypedDict):
    type: Literal["history"]
    room: str
    messages: list[MessageFrame]
    hasMore: bool


class PresenceFrame(TypedDict):
    type: Literal["presence"]
    room: str
    online: list[str]
    user: NotRequired[str]
    status: NotRequired[Literal["online", "offline"]]


class IdentityFrame(TypedDict):
    type: Literal["identity"]
    connectionId: str
    user: str
    room: str


def message_frame(
    *,
    room: str,
    message_id: str,
    client_message_id: str | None,
    sender: str,
    text: str,
    sent_at: str,
) -> MessageFrame:
    return {
        "type": "message",
        "room": room,
        "messageId": message_id,
        "clientMessageId": client_message_id,
        "sender": sender,
        "text": text,
        "sentAt": sent_at,
    }


def history_frame(room: str, messages: Sequence[MessageFrame], *, has_more: bool) -> HistoryFrame:
    """Messages oldest first, and whether older ones exist."""
    return {"type": "history", "room": room, "messages": list(messages), "hasMore": has_more}


def online_names(names: Iterable[str]) -> list[str]:
    """Each online user once, sorted so that every member sees the same list."""
    return sorted(set(names), key=lambda name: (name.casefold(), name))


def presence_frame(
    room: str,
    online: Iterable[str],
    *,
    user: str | None = None,
    status: Literal["online", "offline"] | None = None,
) -> PresenceFrame:
    """Who is online; with ``user`` and ``status`` when it announces a join or a leave."""
    frame: PresenceFrame = {"type": "presence", "room": room, "online": online_names(online)}
    if user is not None and status is not None:
        frame["user"] = user
        frame["status"] = status
    return frame


def identity_frame(connection_id: str, user: str, room: str) -> IdentityFrame:
    return {"type": "identity", "connectionId": connection_id, "user": user, "room": room}


def message_from_item(item: Mapping[str, Any]) -> MessageFrame:
    """A message frame from a stored message item (plain values, as boto3's resource layer)."""
    return message_frame(
        room=str(item["room"]),
        message_id=str(item["messageId"]),
        client_message_id=item.get("clientMessageId"),
        sender=str(item["sender"]),
        text=str(item["text"]),
        sent_at=str(item["sentAt"]),
    )
