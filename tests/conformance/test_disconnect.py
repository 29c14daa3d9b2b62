"""$disconnect: it runs after every kind of close and says how the connection ended."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from chatserver.testing import ChatClient, ChatStack
from chatserver.testing.faults import silent_client
from tests.conformance.handlers import recorded

pytestmark = pytest.mark.asyncio

PAGE = "apigateway-websocket-api-route-keys-connect-disconnect.html"


async def _disconnect_event(connection_id: str, timeout: float = 5.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while not (events := recorded("$disconnect", connection_id)):
        assert time.monotonic() < deadline, "$disconnect did not run"
        await asyncio.sleep(0.05)
    assert len(events) == 1
    return events[0]["requestContext"]


@pytest.mark.aws_doc(PAGE)
async def test_client_close_code_and_reason_reach_disconnect(routes_stack: ChatStack) -> None:
    """The client's close code and reason are the event's disconnectStatusCode and Reason."""
    client = await ChatClient.connect(routes_stack.ws_url, "alice")
    connection_id = (await client.whoami())["connectionId"]
    await client.close(4000, "see you")
    context = await _disconnect_event(connection_id)
    assert (context["disconnectStatusCode"], context["disconnectReason"]) == (4000, "see you")
    assert context["eventType"] == "DISCONNECT"


@pytest.mark.aws_doc(PAGE)
async def test_gateway_close_is_reported_with_its_code(timers_stack: ChatStack) -> None:
    """A close by the gateway (idle timeout) runs $disconnect with that code and reason."""
    client = await ChatClient.connect(timers_stack.ws_url, "idler")
    connection_id = (await client.whoami())["connectionId"]
    await client.wait_closed(timeout=5)
    context = await _disconnect_event(connection_id)
    assert context["disconnectStatusCode"] == 1001
    assert context["disconnectReason"] == client.close_reason


@pytest.mark.aws_doc(PAGE)
async def test_vanished_client_is_detected_and_disconnected(timers_stack: ChatStack) -> None:
    """A client that stops answering pings, without a close frame, still gets $disconnect."""
    sock = await asyncio.to_thread(silent_client, timers_stack.ws_url, "sloth", "vanish")
    try:
        deadline = time.monotonic() + 5
        while not (events := recorded("$connect")) or not any(
            (e.get("queryStringParameters") or {}).get("name") == "sloth" for e in events
        ):
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        connect = next(
            e for e in reversed(events) if e["queryStringParameters"].get("name") == "sloth"
        )
        context = await _disconnect_event(connect["requestContext"]["connectionId"])
        assert context["disconnectStatusCode"] == 1006
    finally:
        sock.close()


@pytest.mark.aws_doc("apigateway-how-to-call-websocket-api-connections.html")
async def test_delete_connection_runs_disconnect(routes_stack: ChatStack) -> None:
    """DeleteConnection closes the socket and $disconnect runs for it."""
    client = await ChatClient.connect(routes_stack.ws_url, "alice")
    connection_id = (await client.whoami())["connectionId"]
    api = routes_stack.management_client()
    await asyncio.to_thread(api.delete_connection, ConnectionId=connection_id)
    assert (await client.wait_closed())[0] == 1000
    assert (await _disconnect_event(connection_id))["disconnectStatusCode"] == 1000


@pytest.mark.aws_doc(PAGE)
async def test_dropped_connection_runs_disconnect_with_1006(routes_stack: ChatStack) -> None:
    """A TCP connection cut without a close frame runs $disconnect with 1006."""
    client = await ChatClient.connect(routes_stack.ws_url, "alice")
    connection_id = (await client.whoami())["connectionId"]
    client.drop()
    assert (await _disconnect_event(connection_id))["disconnectStatusCode"] == 1006
