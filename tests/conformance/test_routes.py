"""Message routes: selection by $request.body.action, route responses, integration failures."""

from __future__ import annotations

import asyncio
import json

import pytest

from chatserver.testing import ChatClient, ChatStack, of_type

pytestmark = pytest.mark.asyncio

ROUTES_PAGE = "websocket-api-develop-routes.html"
RESPONSES_PAGE = "apigateway-websocket-api-route-response.html"


@pytest.fixture
async def client(routes_stack: ChatStack, chat_room: str):  # type: ignore[no-untyped-def]
    connected = await ChatClient.connect(routes_stack.ws_url, "alice", chat_room)
    yield connected
    await connected.close()


def _aws_error(frame: dict[str, object]) -> bool:
    return "type" not in frame and "message" in frame


@pytest.mark.aws_doc(ROUTES_PAGE)
async def test_action_selects_the_route(client: ChatClient) -> None:
    """The body's action value picks the route with that key (routeKey in the event)."""
    answer = await client.request({"action": "echo", "n": 1}, "echo")
    assert answer["event"]["requestContext"]["routeKey"] == "echo"
    assert json.loads(answer["event"]["body"]) == {"action": "echo", "n": 1}


@pytest.mark.aws_doc(ROUTES_PAGE)
async def test_no_route_and_no_default_answers_forbidden(client: ChatClient) -> None:
    """Without a matching route or $default, API Gateway answers a Forbidden frame."""
    await client.send({"action": "nothing-here"})
    frame = await client.expect(_aws_error)
    assert frame["message"] == "Forbidden"
    assert frame["connectionId"] == (await client.whoami())["connectionId"]


@pytest.mark.aws_doc(RESPONSES_PAGE)
async def test_two_way_route_sends_the_body_back(client: ChatClient) -> None:
    """A route with a route response sends the integration's body to the caller."""
    answer = await client.request({"action": "echo"}, "echo")
    assert answer["type"] == "echo"


@pytest.mark.aws_doc(RESPONSES_PAGE)
async def test_one_way_route_sends_nothing(client: ChatClient) -> None:
    """A route without a route response sends nothing back, whatever the handler returns."""
    await client.send({"action": "oneWay"})
    await client.whoami()
    await asyncio.sleep(0.3)
    assert client.matching(of_type("should-not-arrive")) == []


@pytest.mark.aws_doc("websocket-api-develop-integrations.html")
async def test_failing_handler_answers_internal_server_error(client: ChatClient) -> None:
    """A handler that raises gets API Gateway's own frame, with no trace of the error."""
    await client.send({"action": "crash"})
    frame = await client.expect(_aws_error)
    assert frame["message"] == "Internal server error"
    assert set(frame) == {"message", "connectionId", "requestId"}


@pytest.mark.aws_doc("apigateway-execution-service-websocket-limits-table.html")
async def test_handler_past_integration_timeout_answers_timed_out(client: ChatClient) -> None:
    """A handler running past the integration timeout answers 'Endpoint request timed out'."""
    await client.send({"action": "sleep"})
    frame = await client.expect(_aws_error, timeout=10)
    assert frame["message"] == "Endpoint request timed out"
    assert client.matching(of_type("too-late")) == []


@pytest.mark.aws_doc("apigateway-request-throttling.html")
async def test_frames_past_the_backlog_are_throttled(throttled_stack: ChatStack) -> None:
    """Frames past the connection's backlog get 'Too Many Requests'; the socket is still read."""
    client = await ChatClient.connect(throttled_stack.ws_url, "eager", "throttled")
    try:
        for _ in range(5):
            await client.send({"action": "sleep"})
        first = await client.expect(_aws_error)
        second = await client.expect(_aws_error)
        pong = await client.connection.ping()
        await asyncio.wait_for(pong, 2.0)
        assert not client.closed
    finally:
        await client.close()
    assert first["message"] == second["message"] == "Too Many Requests"
