"""Your own handler, tested on the real pipeline (gateway, DynamoDB, EventBridge, Step
Functions) started in-process by chatserver's pytest plugin. Copy this file to start."""

import json
import random

import pytest

from chatserver.handlers.catalog import FUNCTIONS, FunctionSpec
from chatserver.testing import ChatStack, of_type


def roll(event, context):
    """A route of your own: answers the caller (two-way) with a roll of a die."""
    sides = json.loads(event["body"]).get("sides", 6)
    value = random.randint(1, sides)
    return {"statusCode": 200, "body": json.dumps({"type": "roll", "value": value})}


# chatserver's own functions plus yours, as a Lambda function catalog.
CATALOG = (*FUNCTIONS, FunctionSpec("roll", f"{__name__}.roll", "roll", two_way=True))


@pytest.fixture(scope="module")
def stack(chat_backend):
    """The whole stack with the extra route, on the session's backend, for this module."""
    with ChatStack(functions=CATALOG, **chat_backend.settings(suffix="dice")) as running:
        yield running


async def test_roll_answers_the_caller(stack, chat_client, chat_room):
    """The new route answers its caller with a value in range."""
    alice = await chat_client("alice", chat_room, stack=stack)
    answer = await alice.request({"action": "roll", "sides": 20}, "roll")
    assert 1 <= answer["value"] <= 20


async def test_message_goes_through_the_pipeline(stack, chat_client, chat_room):
    """A message reaches the room, is stored, and its fan-out execution succeeded."""
    alice = await chat_client("alice", chat_room, stack=stack)
    bob = await chat_client("bob", chat_room, stack=stack)
    sent = await alice.say("hello bob")
    await bob.expect(of_type("message", messageId=sent["messageId"]))
    assert [m["text"] for m in stack.observe.messages(chat_room)] == ["hello bob"]
    fanout = stack.observe.fanout_of(sent["messageId"], chat_room)
    assert fanout.status == "SUCCEEDED"
    assert fanout.output["delivery"]["delivered"] == 2


async def test_dropped_client_is_announced_offline(stack, chat_client, chat_room):
    """A client whose network drops (no close frame) is announced offline to the room."""
    alice = await chat_client("alice", chat_room, stack=stack)
    bob = await chat_client("bob", chat_room, stack=stack)
    await alice.expect(of_type("presence", user="bob", status="online"))
    bob.drop()
    await alice.expect(of_type("presence", user="bob", status="offline"))
