"""The events the gateway sends its handlers, key by key against recorded AWS events
(apigateway-websocket-api-mapping-template-reference.html; tests/events/)."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import pytest

from chatserver.chat.ids import CONNECTION_ID_PATTERN
from chatserver.testing import ChatClient, ChatStack
from tests.conformance.handlers import recorded as seen
from tests.recorded import recorded, shape

pytestmark = pytest.mark.asyncio

PAGE = "apigateway-websocket-api-mapping-template-reference.html"
CLF = re.compile(r"^\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000$")


def _structure(event: dict[str, Any]) -> Any:
    """The shape, with header maps reduced to their value types (header names vary)."""
    built = shape(event)
    for key in ("headers", "multiValueHeaders"):
        if key in built:
            built[key] = sorted(set(map(str, built[key].values())))
    return built


@pytest.fixture(scope="module")
async def lifecycle(routes_stack: ChatStack) -> dict[str, dict[str, Any]]:
    """One connection's CONNECT, MESSAGE and DISCONNECT events, as the gateway built them."""
    client = await ChatClient.connect(routes_stack.ws_url, "shaper", "shapes")
    message = (await client.request({"action": "echo"}, "echo"))["event"]
    connection_id = message["requestContext"]["connectionId"]
    await client.close(1000, "done")
    deadline = time.monotonic() + 5
    while not seen("$disconnect", connection_id):
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    return {
        "connect": seen("$connect", connection_id)[0],
        "message": message,
        "disconnect": seen("$disconnect", connection_id)[0],
    }


@pytest.mark.aws_doc(PAGE)
@pytest.mark.parametrize("kind", ["connect", "message", "disconnect"])
async def test_event_has_every_key_aws_sends(
    lifecycle: dict[str, dict[str, Any]], kind: str
) -> None:
    """The gateway's event has exactly the recorded event's keys, nesting and value types."""
    assert _structure(lifecycle[kind]) == _structure(recorded(f"apigw-websocket-{kind}"))


@pytest.mark.aws_doc(PAGE)
async def test_times_are_epoch_milliseconds_and_clf(lifecycle: dict[str, dict[str, Any]]) -> None:
    """connectedAt and requestTimeEpoch are epoch ms; requestTime is in CLF."""
    for event in lifecycle.values():
        context = event["requestContext"]
        assert abs(context["requestTimeEpoch"] - time.time() * 1000) < 60_000
        assert context["connectedAt"] <= context["requestTimeEpoch"]
        assert CLF.match(context["requestTime"])


@pytest.mark.aws_doc(PAGE)
async def test_ids_are_shaped_like_api_gateway_ids(lifecycle: dict[str, dict[str, Any]]) -> None:
    """connectionId, requestId and messageId are 16-character ids ending in '='."""
    contexts = [event["requestContext"] for event in lifecycle.values()]
    ids = [c["connectionId"] for c in contexts] + [c["requestId"] for c in contexts]
    ids.append(lifecycle["message"]["requestContext"]["messageId"])
    assert all(CONNECTION_ID_PATTERN.match(value) for value in ids)
    assert len({c["connectionId"] for c in contexts}) == 1


@pytest.mark.aws_doc(PAGE)
async def test_domain_name_and_stage_reach_this_gateway(
    routes_stack: ChatStack, lifecycle: dict[str, dict[str, Any]]
) -> None:
    """domainName/stage build the @connections endpoint of this gateway (port included)."""
    context = lifecycle["message"]["requestContext"]
    endpoint = f"http://{context['domainName']}/{context['stage']}"
    assert endpoint == routes_stack.management_url
    assert context["apiId"] == routes_stack.settings.api_id
