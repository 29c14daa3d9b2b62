"""The test kit's own promises: observation, reset, extra stacks, fault injection."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from chatserver.testing import ChatStack, of_type
from chatserver.testing.plugin import ChatFaults, ClientFactory, StackFactory

pytestmark = pytest.mark.asyncio


async def test_observe_reads_history_of_an_execution(
    chat_stack: ChatStack, chat_client: ClientFactory, chat_room: str
) -> None:
    """observe finds a message's fan-out execution and its history, task by task."""
    alice = await chat_client("alice", chat_room)
    sent = await alice.say("observed")
    execution = await asyncio.to_thread(chat_stack.observe.fanout_of, sent["messageId"], chat_room)
    events = await asyncio.to_thread(chat_stack.observe.history, execution.arn)
    entered = [
        e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e
    ]
    assert entered[:3] == ["FirstPage", "AnyConnections", "Broadcast"]
    assert execution.detail_type == "MessageSent"


async def test_observe_lists_connections_of_a_room(
    chat_stack: ChatStack, chat_client: ClientFactory, chat_room: str
) -> None:
    """observe.connections lists the room's registered connections."""
    await chat_client("alice", chat_room)
    await chat_client("bob", chat_room)
    found = await asyncio.to_thread(chat_stack.observe.connections, chat_room)
    assert sorted(c.user_name for c in found) == ["alice", "bob"]


async def test_reset_closes_connections_and_empties_tables(
    chat_stack_factory: StackFactory, chat_client: ClientFactory, chat_room: str
) -> None:
    """reset() closes every connection with 1001 and leaves both tables empty."""
    stack = await asyncio.to_thread(chat_stack_factory)
    alice = await chat_client("alice", chat_room, stack=stack)
    await alice.say("before the reset")
    await asyncio.to_thread(stack.reset)
    assert (await alice.wait_closed())[0] == 1001
    assert await asyncio.to_thread(stack.observe.messages, chat_room) == []
    assert await asyncio.to_thread(stack.observe.connections) == []


async def test_factory_starts_a_stack_with_its_own_settings(
    chat_stack_factory: StackFactory, chat_client: ClientFactory
) -> None:
    """A stack from the factory has the settings asked for (here a one-second idle timeout)."""
    stack = await asyncio.to_thread(chat_stack_factory, idle_timeout=1.0)
    client = await chat_client("idler", stack=stack)
    code, _ = await client.wait_closed(timeout=5)
    assert stack.settings.idle_timeout == 1.0
    assert code == 1001


async def test_async_client_reaches_the_emulator(chat_stack: ChatStack) -> None:
    """stack.async_client gives an aioboto3 client for the backend."""
    async with chat_stack.async_client("dynamodb") as dynamodb:
        tables = (await dynamodb.list_tables())["TableNames"]
    assert chat_stack.names.messages_table in tables


async def test_frozen_emulator_makes_health_fail_then_recover(
    chat_stack_factory: StackFactory, chat_faults: ChatFaults, chat_client: ClientFactory
) -> None:
    """While the backend is frozen /healthz answers 503; a message sent meanwhile arrives after."""
    stack = await asyncio.to_thread(chat_stack_factory)
    alice = await chat_client("alice", "frozen", stack=stack)
    await alice.expect(of_type("presence", user="alice"))
    async with httpx.AsyncClient(timeout=10) as http:
        with chat_faults.emulator_unavailable(stack):
            client_message_id = await alice.send_message("sent while frozen")
            await asyncio.sleep(1.5)  # let the cached healthy answer expire
            during = await http.get(f"{stack.http_url}/healthz")
        await alice.expect(of_type("message", clientMessageId=client_message_id), timeout=40)
        for _ in range(50):  # the failed probe is cached for a second
            after = await http.get(f"{stack.http_url}/healthz")
            if after.status_code == 200:
                break
            await asyncio.sleep(0.2)
    assert during.status_code == 503
    assert after.status_code == 200
