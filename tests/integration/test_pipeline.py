"""The fan-out pipeline in the emulator: EventBridge rule, Step Functions, broadcast, clean-up."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from chatserver.aws.dynamo import to_item
from chatserver.chat.clock import now_ms
from chatserver.testing import ChatStack, of_type
from chatserver.testing.faults import silent_client
from chatserver.testing.plugin import ClientFactory

pytestmark = pytest.mark.asyncio


def _executions_with(chat_stack: ChatStack, needle: str) -> list[dict[str, object]]:
    sfn = chat_stack.client("stepfunctions")
    found = []
    paginator = sfn.get_paginator("list_executions")
    for page in paginator.paginate(stateMachineArn=chat_stack.state_machine_arn):
        for execution in page["executions"]:
            described = sfn.describe_execution(executionArn=execution["executionArn"])
            if needle in described.get("input", ""):
                found.append(described)
    return found


async def test_message_runs_a_state_machine_execution_that_succeeds(
    chat_stack: ChatStack, chat_client: ClientFactory, chat_room: str
) -> None:
    """A sendMessage starts one message-distribution execution, which ends SUCCEEDED."""
    alice = await chat_client("alice", chat_room)
    await chat_client("bob", chat_room)
    sent = await alice.say("through step functions")
    deadline = time.monotonic() + 10
    while True:
        needle = sent["clientMessageId"]
        executions = await asyncio.to_thread(_executions_with, chat_stack, needle)
        if executions and all(e["status"] != "RUNNING" for e in executions):
            break
        assert time.monotonic() < deadline, "the execution did not finish"
        await asyncio.sleep(0.2)
    assert [e["status"] for e in executions] == ["SUCCEEDED"]
    event = json.loads(str(executions[0]["input"]))
    assert event["source"] == "chatserver"
    assert event["detail-type"] == "MessageSent"
    assert event["detail"]["room"] == chat_room
    output = json.loads(str(executions[0]["output"]))
    assert output["delivery"] == {"delivered": 2, "gone": []}


async def test_stale_connection_is_removed_and_announced_offline(
    chat_stack: ChatStack, chat_client: ClientFactory, chat_room: str
) -> None:
    """A 410 from a connection that no longer exists removes its row and announces it."""
    table = chat_stack.names.connections_table
    dynamodb = chat_stack.client("dynamodb")
    ghost = {
        "connectionId": "GhostGhostGhost=",
        "room": chat_room,
        "userName": "ghost",
        "connectedAt": now_ms() - 60_000,
    }
    alice = await chat_client("alice", chat_room)
    # Alice's own join announcement has queried the room once she has it: a ghost already in
    # the room would get that 410 first, and be gone before the message below.
    await alice.expect(of_type("presence", user="alice", status="online"))
    await asyncio.to_thread(dynamodb.put_item, TableName=table, Item=to_item(ghost))
    assert (await alice.presence())["online"] == ["alice", "ghost"]
    await alice.say("anyone there?")
    offline = await alice.expect(of_type("presence", user="ghost", status="offline"))
    assert offline["online"] == ["alice"]
    row = await asyncio.to_thread(
        dynamodb.get_item, TableName=table, Key=to_item({"connectionId": "GhostGhostGhost="})
    )
    assert "Item" not in row


async def test_slow_client_does_not_delay_the_room(
    chat_stack: ChatStack, chat_client: ClientFactory, chat_room: str
) -> None:
    """A client that stops reading is dropped (410 afterwards) and its room is not delayed."""
    alice = await chat_client("alice", chat_room)
    sloth = await asyncio.to_thread(silent_client, chat_stack.ws_url, "sloth", chat_room)
    try:
        joined = await alice.expect(of_type("presence", user="sloth", status="online"))
        presence = await alice.presence()
        assert "sloth" in presence["online"], joined
        connections = chat_stack.client("dynamodb").query(
            TableName=chat_stack.names.connections_table,
            IndexName="room-index",
            KeyConditionExpression="room = :r",
            ExpressionAttributeValues={":r": {"S": chat_room}},
        )["Items"]
        sloth_id = next(
            i["connectionId"]["S"] for i in connections if i["userName"]["S"] == "sloth"
        )
        api = chat_stack.management_client()
        big = b'{"type": "bulk", "pad": "' + b"x" * 100_000 + b'"}'
        results = []
        for _ in range(200):
            try:
                await asyncio.to_thread(api.post_to_connection, ConnectionId=sloth_id, Data=big)
                results.append("ok")
            except api.exceptions.GoneException:
                results.append("gone")
                break
        assert results[-1] == "gone", "the send buffer never filled"
        started = time.monotonic()
        await alice.say("still fast")
        assert time.monotonic() - started < 5
        await alice.expect(of_type("presence", user="sloth", status="offline"))
    finally:
        sloth.close()
