"""Putting chat events on the EventBridge bus, where a rule starts the fan-out state machine."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from chatserver.aws.names import EVENT_SOURCE
from chatserver.errors import BackendError

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient


class EventPublisher:
    """Publishes ``{"room": ..., "frame": ...}`` events: one frame for every member of a room."""

    def __init__(self, events: EventBridgeClient, bus: str) -> None:
        self._events = events
        self._bus = bus

    def publish(self, detail_type: str, room: str, frame: Mapping[str, Any]) -> str:
        """Put one event; its id. A rejected entry raises, so no event is lost silently."""
        response = self._events.put_events(
            Entries=[
                {
                    "EventBusName": self._bus,
                    "Source": EVENT_SOURCE,
                    "DetailType": detail_type,
                    "Detail": json.dumps({"room": room, "frame": frame}),
                }
            ]
        )
        entry = response["Entries"][0]
        if response.get("FailedEntryCount") or "EventId" not in entry:
            raise BackendError(
                f"EventBridge refused the {detail_type} event: "
                f"{entry.get('ErrorCode')} {entry.get('ErrorMessage')}"
            )
        return entry["EventId"]
