"""The $connect route: the handshake waits for it, takes its status and its subprotocol."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from websockets.exceptions import InvalidStatus

from chatserver.testing import ChatClient, ChatStack
from tests.conformance.handlers import recorded

pytestmark = pytest.mark.asyncio

CONNECT_PAGE = "apigateway-websocket-api-route-keys-connect-disconnect.html"


@pytest.mark.aws_doc(CONNECT_PAGE)
async def test_handshake_waits_for_connect(routes_stack: ChatStack) -> None:
    """The socket opens only after $connect returned, so no frame precedes it."""
    started = time.monotonic()
    client = await ChatClient.connect(
        routes_stack.ws_url, "slowpoke", "slow-room", params={"mode": "slow"}
    )
    opened = time.monotonic() - started
    identity = await client.whoami()
    await client.close()
    assert opened >= 0.8
    assert identity["user"] == "slowpoke"


@pytest.mark.aws_doc(CONNECT_PAGE)
async def test_connect_status_refuses_the_handshake(routes_stack: ChatStack) -> None:
    """A non-2xx $connect result refuses the handshake with that status and body."""
    with pytest.raises(InvalidStatus) as refused:
        await ChatClient.connect(routes_stack.ws_url, "alice", params={"mode": "refuse"})
    assert refused.value.response.status_code == 403
    assert json.loads(refused.value.response.body) == {"message": "not today"}


@pytest.mark.aws_doc(CONNECT_PAGE)
async def test_connect_failure_refuses_with_500(routes_stack: ChatStack) -> None:
    """A $connect handler that raises refuses the handshake with 500 and no trace."""
    with pytest.raises(InvalidStatus) as refused:
        await ChatClient.connect(routes_stack.ws_url, "alice", params={"mode": "crash"})
    assert refused.value.response.status_code == 500
    assert b"Traceback" not in refused.value.response.body
    assert b"on purpose" not in refused.value.response.body


@pytest.mark.aws_doc("websocket-connect-route-subprotocol.html")
async def test_connect_chooses_the_subprotocol(routes_stack: ChatStack) -> None:
    """A Sec-WebSocket-Protocol header returned by $connect is the negotiated subprotocol."""
    client = await ChatClient.connect(
        routes_stack.ws_url,
        "alice",
        params={"mode": "subprotocol"},
        subprotocols=["chat.v1", "chat.v2"],  # type: ignore[list-item]
    )
    try:
        assert client.connection.subprotocol == "chat.v2"
    finally:
        await client.close()


@pytest.mark.aws_doc(CONNECT_PAGE)
async def test_refused_handshake_creates_no_connection(routes_stack: ChatStack) -> None:
    """After a refused $connect no connection exists and no $disconnect runs."""
    with pytest.raises(InvalidStatus):
        await ChatClient.connect(routes_stack.ws_url, "ghost", params={"mode": "refuse"})
    event = next(
        e
        for e in reversed(recorded("$connect"))
        if (e.get("queryStringParameters") or {}).get("name") == "ghost"
    )
    await asyncio.sleep(0.3)
    connection_id = event["requestContext"]["connectionId"]
    assert recorded("$disconnect", connection_id) == []
    assert routes_stack.gateway.connections.get(connection_id) is None


@pytest.mark.aws_doc("limits.html")
async def test_new_connections_past_the_rate_are_refused_with_429(
    throttled_stack: ChatStack,
) -> None:
    """Handshakes beyond the new-connection rate are refused with 429."""
    statuses = []
    clients = []
    for index in range(6):
        try:
            clients.append(await ChatClient.connect(throttled_stack.ws_url, f"user{index}"))
            statuses.append(101)
        except InvalidStatus as refused:
            statuses.append(refused.response.status_code)
    for client in clients:
        await client.close()
    assert statuses[:3] == [101, 101, 101]
    assert 429 in statuses[3:]
