"""Dropped connections and a restarted server: the page comes back, nothing lost or doubled."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import WebSocketRoute, expect

from chatserver.testing import ChatClient, ChatStack
from chatserver.testing.plugin import ClientFactory
from tests.browser.chat_page import WAIT_MS, ChatPage, room_texts
from tests.browser.conftest import OpenChat

pytestmark = pytest.mark.asyncio

RECORD_STATUS = """() => {
  const status = document.querySelector("[data-testid=connection-status]");
  window.statusSeen = [status.dataset.state];
  new MutationObserver(() => window.statusSeen.push(status.dataset.state))
    .observe(status, {attributes: true, attributeFilter: ["data-state"]});
}"""


async def drop(stack: ChatStack, page: ChatPage) -> None:
    """Close the page's connection from the server side (DeleteConnection, close code 1000)."""
    connection_id = await page.connection_id()
    api = stack.management_client()
    await asyncio.to_thread(api.delete_connection, ConnectionId=connection_id)


async def test_a_dropped_connection_reconnects_and_fetches_what_it_missed(
    open_chat: OpenChat, chat_stack: ChatStack, chat_client: ClientFactory, chat_room: str
) -> None:
    """Closed by the server, the page reconnects and shows what was said meanwhile, once."""
    alice = await open_chat("alice", chat_room)
    await alice.say("before the drop")
    await alice.evaluate(RECORD_STATUS)
    bob = await chat_client("bob", chat_room)
    await drop(chat_stack, alice)
    await bob.say("said while alice was away")
    await bob.say("and right after")
    await alice.wait_stored("said while alice was away")
    await alice.wait_stored("and right after")
    await alice.wait_connected()
    assert (await alice.evaluate("() => window.statusSeen"))[:2] == ["connected", "reconnecting"]
    assert await alice.texts() == [
        "before the drop",
        "said while alice was away",
        "and right after",
    ]


async def test_a_message_typed_while_offline_is_sent_on_reconnect(
    open_chat: OpenChat, chat_stack: ChatStack, chat_room: str
) -> None:
    """A message sent while the browser is offline shows as pending, then is stored once."""
    alice = await open_chat("alice", chat_room)
    bob = await open_chat("bob", chat_room)
    await alice.page.context.set_offline(True)
    await drop(chat_stack, alice)
    await expect(alice.status).to_have_attribute("data-state", "offline", timeout=WAIT_MS)
    await alice.send("typed while offline")
    await expect(alice.with_text("typed while offline")).to_have_attribute("data-state", "pending")
    await alice.page.context.set_offline(False)
    await alice.wait_stored("typed while offline", timeout=30_000)
    await bob.wait_stored("typed while offline")
    await alice.page.wait_for_timeout(500)  # time for a duplicate to show, if there were one
    await expect(alice.with_text("typed while offline")).to_have_count(1)
    await expect(bob.with_text("typed while offline")).to_have_count(1)


async def test_a_pending_message_survives_a_reload(
    open_chat: OpenChat, chat_stack: ChatStack, chat_room: str
) -> None:
    """A message still pending when the page is reloaded is sent after the reload, once."""
    alice = await open_chat("alice", chat_room)
    blocked = True

    async def gate(route: WebSocketRoute) -> None:
        # While blocked, every new connection fails, as if the server could not be reached.
        if blocked:
            await route.close()
        else:
            route.connect_to_server()

    await alice.page.route_web_socket(re.compile(r"^ws://"), gate)
    await drop(chat_stack, alice)
    await expect(alice.status).not_to_have_attribute("data-state", "connected")
    await alice.send("typed, then the page was reloaded")
    await alice.page.reload()
    await expect(alice.with_text("typed, then the page was reloaded")).to_have_attribute(
        "data-state", "pending"
    )
    blocked = False  # the page's next attempt (backoff: at most 10 s) gets through
    await alice.wait_stored("typed, then the page was reloaded", timeout=30_000)
    await alice.page.wait_for_timeout(500)  # time for a duplicate to show, if there were one
    await expect(alice.with_text("typed, then the page was reloaded")).to_have_count(1)


@pytest.fixture
def restartable_stack() -> Iterator[list[ChatStack]]:
    """A stack of the test's own, and any restarted on its port; all stopped afterwards."""
    stacks = [ChatStack().start()]
    yield stacks
    for stack in stacks:
        stack.stop()


async def test_a_restarted_server_reconnects_the_page_without_losing_or_doubling(
    restartable_stack: list[ChatStack],
    open_chat: OpenChat,
    chat_room: str,
    screenshots: Path,
) -> None:
    """Across a server restart, shown messages stay once and pending ones are stored once.

    The embedded emulator keeps its tables in memory, so the restarted server's history is
    empty: messages stored before the restart cannot come back from it. The pages keep showing
    them (above a divider), and the messages typed while the server was down are re-sent with
    their clientMessageId and stored exactly once by the new server.
    """
    first = restartable_stack[0]
    alice = await open_chat("alice", chat_room, stack=first)
    bob = await open_chat("bob", chat_room, stack=first)
    await alice.say("before the restart, from alice")
    await bob.say("before the restart, from bob")
    await alice.wait_stored("before the restart, from bob")

    await asyncio.to_thread(first.stop)
    for page in (alice, bob):
        await expect(page.status).not_to_have_attribute("data-state", "connected")
    down = ["typed while the server was down 1", "typed while the server was down 2"]
    for text in down:
        await alice.send(text)
        await expect(alice.with_text(text)).to_have_attribute("data-state", "pending")

    second = ChatStack(port=first.settings.port)
    restartable_stack.append(second)
    await asyncio.to_thread(second.start)
    for page in (alice, bob):
        await page.wait_connected(timeout=30_000)
        for text in down:
            await page.wait_stored(text)
    await alice.page.wait_for_timeout(1_000)  # time for a duplicate to show, if there were one
    expected = ["before the restart, from alice", "before the restart, from bob", *down]
    for page in (alice, bob):
        assert await page.texts() == expected
        await expect(page.messages.locator(".epoch-divider")).to_have_count(1)
    await alice.page.screenshot(path=screenshots / "after-restart.png")
    carol = await ChatClient.connect(second.ws_url, "carol", chat_room)
    try:
        assert await room_texts(carol) == down
    finally:
        await carol.close()
