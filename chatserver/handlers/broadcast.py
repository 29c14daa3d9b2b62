"""The broadcast task of the ``message-distribution`` state machine: post one frame to a page of
a room's connections through the @connections API, all at once.

Input (built by the state machine)::

    {"room": "general", "frame": {...}, "connectionIds": ["R1kmxc2VNjMCFIA=", ...]}

Output: ``{"delivered": n, "gone": [ids...]}``.

Posts run concurrently (``post_all``: a pool of threads over HTTP, one call when the process
hosts the connections), so one slow or dead client costs its own post only; the @connections
API answers as soon as a frame is queued for the client, and the gateway drops clients that
stop reading. A connection that answers 410 GoneException is stale: its row
is removed and, if it was the user's last, the room is told the user went offline. A row newer
than ``STALE_GRACE_MS`` is kept, since a connection whose $connect is still running is "gone"
to @connections too. Not retried by the state machine: a retry would deliver twice.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from chatserver import tracing
from chatserver.chat.clock import now_ms
from chatserver.errors import ConfigurationError, InvalidMessage
from chatserver.handlers.presence import announce_leave
from chatserver.handlers.runtime import Services, services

logger = logging.getLogger("chatserver.handlers.broadcast")

STALE_GRACE_MS = 10_000


def broadcast(task: dict[str, Any], services_: Services) -> dict[str, Any]:
    _, frame, connection_ids = _parse(task)
    trace_id = frame.get("clientMessageId")
    tracing.mark(trace_id, tracing.BROADCAST)
    endpoint = services_.config.management_endpoint
    if not endpoint:
        raise ConfigurationError("CHAT_MANAGEMENT_ENDPOINT is not set for the broadcast function")
    api = services_.connections_api(endpoint)
    data = json.dumps(frame, ensure_ascii=False).encode("utf-8")
    gone = api.post_all(connection_ids, data)
    tracing.mark(trace_id, tracing.POSTED)
    for connection_id in gone:
        _forget(services_, connection_id)
    return {"delivered": len(connection_ids) - len(gone), "gone": gone}


def _forget(services_: Services, connection_id: str) -> None:
    stale = services_.connections.delete_if_connected_before(
        connection_id, now_ms() - STALE_GRACE_MS
    )
    if stale is not None:
        logger.info("removed stale connection %s of %s", connection_id, stale.user_name)
        announce_leave(services_, stale)


def _parse(task: dict[str, Any]) -> tuple[str, dict[str, Any], list[str]]:
    try:
        room = task["room"]
        frame = task["frame"]
        ids = task.get("connectionIds") or []
    except (KeyError, TypeError, AttributeError):
        raise InvalidMessage("broadcast input needs room, frame and connectionIds") from None
    if isinstance(ids, str):
        # moto's JSONPath gives a lone match of `Items[*].connectionId.S` as a bare string
        # where AWS gives a one-element list; accept both.
        ids = [ids]
    if not isinstance(room, str) or not isinstance(frame, dict) or not isinstance(ids, list):
        raise InvalidMessage("broadcast input has the wrong types")
    return room, frame, [str(cid) for cid in ids]


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point. Errors propagate: Step Functions records the task as failed."""
    return broadcast(event, services(context))
