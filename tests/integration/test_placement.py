"""Where the functions run: next to moto in the emulator's process by default, in the gateway's
with CHAT_LAMBDA_PLACEMENT=gateway; either way they answer, time out and fail as on Lambda."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest

from chatserver.handlers.catalog import FUNCTIONS, FunctionSpec
from chatserver.testing import ChatClient, ChatStack, of_type

pytestmark = pytest.mark.backend(
    "embedded", reason="the functions run next to the emulator only on the embedded one"
)


def whereami(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Answers with the process it runs in."""
    return {"statusCode": 200, "body": json.dumps({"type": "where", "pid": os.getpid()})}


def dawdle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Outlasts the stack's integration timeout."""
    time.sleep(2.5)
    return {"statusCode": 200}


CATALOG = (
    *FUNCTIONS,
    FunctionSpec("whereami", f"{__name__}.whereami", "whereami", two_way=True),
    FunctionSpec("dawdle", f"{__name__}.dawdle", "dawdle"),
)


@pytest.fixture(scope="module", params=["emulator", "gateway"])
def placed(request: pytest.FixtureRequest) -> Iterator[ChatStack]:
    """A stack with the test routes, its functions placed as the parameter says."""
    with ChatStack(
        functions=CATALOG, lambda_placement=request.param, integration_timeout=1.0
    ) as stack:
        yield stack


async def test_functions_run_where_they_are_placed(placed: ChatStack, chat_room: str) -> None:
    """Placement 'emulator' runs them in the emulator's process, 'gateway' in this one."""
    client = await ChatClient.connect(placed.ws_url, "alice", chat_room)
    try:
        answer = await client.request({"action": "whereami"}, "where")
    finally:
        await client.close()
    if placed.settings.lambda_placement == "gateway":
        assert answer["pid"] == os.getpid()
    else:
        assert answer["pid"] in placed.emulator_pids()


async def test_a_function_past_the_timeout_answers_timed_out(
    placed: ChatStack, chat_room: str
) -> None:
    """A route whose function outlasts the integration timeout gets API Gateway's frame."""
    client = await ChatClient.connect(placed.ws_url, "alice", chat_room)
    try:
        started = time.monotonic()
        await client.send({"action": "dawdle"})
        frame = await client.expect(lambda f: f.get("message") == "Endpoint request timed out")
        took = time.monotonic() - started
    finally:
        await client.close()
    assert frame["message"] == "Endpoint request timed out"
    assert took < 2.4  # answered at the timeout, not when the function finished


async def test_messages_reach_the_room_from_either_place(placed: ChatStack, chat_room: str) -> None:
    """The whole pipeline (store, fan-out, posts back to the gateway) works in both places."""
    alice = await ChatClient.connect(placed.ws_url, "alice", chat_room)
    bob = await ChatClient.connect(placed.ws_url, "bob", chat_room)
    try:
        sent = await alice.say("hello from wherever")
        await bob.expect(of_type("message", messageId=sent["messageId"]))
    finally:
        await alice.close()
        await bob.close()
