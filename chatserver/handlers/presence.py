"""Presence announcements: a user comes online with their first connection to a room and goes
offline with their last. The announcement rides the same path as messages (EventBridge, the
state machine, the broadcast), so every member of the room receives it."""

from __future__ import annotations

from chatserver.aws.connections import Connection
from chatserver.aws.names import PRESENCE_CHANGED
from chatserver.chat.frames import presence_frame
from chatserver.handlers.runtime import Services


def announce_join(services: Services, joined: Connection) -> bool:
    """Announce ``joined`` online unless the user already had a connection in the room."""
    members = list(services.connections.in_room(joined.room))
    others = [
        member
        for member in members
        if member.user_name == joined.user_name and member.connection_id != joined.connection_id
    ]
    if others:
        return False
    online = [member.user_name for member in members]
    if joined.connection_id not in {member.connection_id for member in members}:
        online.append(joined.user_name)  # the index may lag behind the write on AWS
    frame = presence_frame(joined.room, online, user=joined.user_name, status="online")
    services.events.publish(PRESENCE_CHANGED, joined.room, frame)
    return True


def announce_leave(services: Services, left: Connection) -> bool:
    """Announce ``left`` offline unless the user still has another connection in the room."""
    members = [
        member
        for member in services.connections.in_room(left.room)
        if member.connection_id != left.connection_id
    ]
    if any(member.user_name == left.user_name for member in members):
        return False
    online = [member.user_name for member in members]
    frame = presence_frame(left.room, online, user=left.user_name, status="offline")
    services.events.publish(PRESENCE_CHANGED, left.room, frame)
    return True
