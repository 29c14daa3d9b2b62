"""Handlers for conformance tests: they record the events the gateway sends and behave as a
test asks (slow, refusing, choosing a subprotocol, crashing, echoing).

They run inside the gateway's process (the test kit starts it in-process), so tests read
``RECORDED`` directly. The chat's own handlers do the real work where a test needs it.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from chatserver.handlers import connect as chat_connect
from chatserver.handlers import disconnect as chat_disconnect
from chatserver.handlers.catalog import FUNCTIONS, FunctionSpec

RECORDED: list[dict[str, Any]] = []
_lock = threading.Lock()
HERE = __name__


def recorded(route_key: str, connection_id: str | None = None) -> list[dict[str, Any]]:
    """Events recorded for a route (and a connection), oldest first."""
    with _lock:
        return [
            event
            for event in RECORDED
            if event["requestContext"]["routeKey"] == route_key
            and connection_id in (None, event["requestContext"]["connectionId"])
        ]


def _record(event: dict[str, Any]) -> None:
    with _lock:
        RECORDED.append(event)


def connect(event: dict[str, Any], context: Any) -> Any:
    """$connect with modes chosen by ?mode=: slow, refuse, subprotocol, crash."""
    _record(event)
    mode = (event.get("queryStringParameters") or {}).get("mode")
    if mode == "slow":
        time.sleep(0.8)
    elif mode == "refuse":
        return {"statusCode": 403, "body": json.dumps({"message": "not today"})}
    elif mode == "crash":
        raise RuntimeError("connect crashed on purpose")
    response = chat_connect.handler(event, context)
    if mode == "subprotocol":
        headers = {name.lower(): value for name, value in event["headers"].items()}
        offered = headers.get("sec-websocket-protocol", "")
        response["headers"] = {"Sec-WebSocket-Protocol": offered.split(",")[-1].strip()}
    return response


def disconnect(event: dict[str, Any], context: Any) -> Any:
    _record(event)
    return chat_disconnect.handler(event, context)


def echo(event: dict[str, Any], context: Any) -> Any:
    """Two-way: send the whole event back."""
    _record(event)
    return {"statusCode": 200, "body": json.dumps({"type": "echo", "event": event})}


def one_way(event: dict[str, Any], context: Any) -> Any:
    """One-way: its body must not reach the client."""
    _record(event)
    return {"statusCode": 200, "body": json.dumps({"type": "should-not-arrive"})}


def crash(event: dict[str, Any], context: Any) -> Any:
    raise RuntimeError("this handler fails on purpose: no trace may reach the client")


def sleep(event: dict[str, Any], context: Any) -> Any:
    time.sleep(3.0)
    return {"statusCode": 200, "body": json.dumps({"type": "too-late"})}


#: The chat's catalog with recording $connect/$disconnect, test routes, and no $default.
CATALOG: tuple[FunctionSpec, ...] = (
    *(spec for spec in FUNCTIONS if spec.route_key not in ("$connect", "$disconnect", "$default")),
    FunctionSpec("connect", f"{HERE}.connect", "$connect"),
    FunctionSpec("disconnect", f"{HERE}.disconnect", "$disconnect"),
    FunctionSpec("echo", f"{HERE}.echo", "echo", two_way=True),
    FunctionSpec("one-way", f"{HERE}.one_way", "oneWay"),
    FunctionSpec("crash", f"{HERE}.crash", "crash", two_way=True),
    FunctionSpec("sleep", f"{HERE}.sleep", "sleep", two_way=True),
)
