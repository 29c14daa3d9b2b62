"""Who is online, and the connection indicator, as the page shows them."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser.chat_page import WAIT_MS
from tests.browser.conftest import OpenChat

pytestmark = pytest.mark.asyncio


async def test_presence_shows_both_and_then_one_leaving(
    open_chat: OpenChat, chat_room: str
) -> None:
    """Both pages list both users; when Bob closes his page, Alice's list drops him."""
    alice = await open_chat("alice", chat_room)
    bob = await open_chat("bob", chat_room)
    for page in (alice, bob):
        await expect(page.presence).to_have_count(2, timeout=WAIT_MS)
        users = await page.presence.evaluate_all("els => els.map(e => e.dataset.user)")
        assert sorted(users) == ["alice", "bob"]
    await bob.close()
    await expect(alice.presence).to_have_count(1, timeout=WAIT_MS)
    await expect(alice.presence).to_have_attribute("data-user", "alice")


async def test_leaving_the_room_updates_the_others(open_chat: OpenChat, chat_room: str) -> None:
    """The Leave button takes Bob back to the join screen and out of Alice's list."""
    alice = await open_chat("alice", chat_room)
    bob = await open_chat("bob", chat_room)
    await expect(alice.presence).to_have_count(2, timeout=WAIT_MS)
    await bob.page.get_by_role("button", name="Leave").click()
    await expect(bob.by_id("join-button")).to_be_visible()
    await expect(alice.presence).to_have_count(1, timeout=WAIT_MS)


async def test_the_reader_is_listed_first_and_marked(open_chat: OpenChat, chat_room: str) -> None:
    """One's own name comes first in the list, marked as oneself."""
    zoe = await open_chat("zoe", chat_room)
    await open_chat("adam", chat_room)
    await expect(zoe.presence).to_have_count(2, timeout=WAIT_MS)
    await expect(zoe.presence.first).to_have_attribute("data-user", "zoe")
    await expect(zoe.presence.first).to_contain_text("(you)")


async def test_a_user_who_reloads_stays_listed(open_chat: OpenChat, chat_room: str) -> None:
    """Bob reloading his page (offline then online, in either order) ends up listed."""
    alice = await open_chat("alice", chat_room)
    bob = await open_chat("bob", chat_room)
    await expect(alice.presence).to_have_count(2, timeout=WAIT_MS)
    await bob.page.reload()
    await bob.wait_connected()
    await alice.page.wait_for_timeout(2_500)  # past the page's presence re-check
    await expect(alice.presence).to_have_count(2)
    await expect(bob.presence).to_have_count(2)


async def test_connection_status_says_connected(open_chat: OpenChat, chat_room: str) -> None:
    """Once in the room the indicator's state is connected, and it says so in words."""
    alice = await open_chat("alice", chat_room)
    await expect(alice.status).to_have_attribute("data-state", "connected")
    await expect(alice.status).to_contain_text("Connected")
    assert await alice.status.get_attribute("role") == "status"
