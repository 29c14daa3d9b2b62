"""Sending and reading messages in a real Chromium, against the real stack."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from chatserver.testing.plugin import ClientFactory
from tests.browser.chat_page import WAIT_MS, room_texts, say_all
from tests.browser.conftest import OpenChat

pytestmark = pytest.mark.asyncio

# Records each message element's data-state as it is added and whenever it changes.
RECORD_STATES = """() => {
  window.seenStates = [];
  const note = (n) => window.seenStates.push([n.dataset.clientMessageId, n.dataset.state]);
  new MutationObserver((records) => {
    for (const r of records) {
      for (const n of r.addedNodes) if (n.dataset?.state) note(n);
      if (r.type === "attributes" && r.attributeName === "data-state") note(r.target);
    }
  }).observe(document.querySelector("[data-testid=messages]"), {childList: true, attributes: true});
}"""

SCROLL_TO_TOP = "() => { document.getElementById('scroller').scrollTop = 0; }"


async def test_two_pages_exchange_messages_both_ways(open_chat: OpenChat, chat_room: str) -> None:
    """Alice's message reaches Bob's page and Bob's reaches Alice's, each shown once."""
    alice = await open_chat("alice", chat_room)
    bob = await open_chat("bob", chat_room)
    await alice.say("hi bob, it's alice")
    await bob.wait_stored("hi bob, it's alice")
    await bob.say("hello alice!")
    await alice.wait_stored("hello alice!")
    for page in (alice, bob):
        assert await page.texts() == ["hi bob, it's alice", "hello alice!"]


async def test_own_messages_are_distinguished(open_chat: OpenChat, chat_room: str) -> None:
    """The sender's own message is marked as theirs; the other page shows who sent it."""
    alice = await open_chat("alice", chat_room)
    bob = await open_chat("bob", chat_room)
    await alice.say("mine")
    await bob.wait_stored("mine")
    assert "own" in await alice.classes("mine")
    assert "own" not in await bob.classes("mine")
    await expect(bob.with_text("mine").get_by_test_id("message-sender")).to_have_text("alice")


async def test_a_message_shows_pending_at_once_then_turns_into_the_stored_one(
    open_chat: OpenChat, chat_room: str
) -> None:
    """The typed message appears as pending, and the same element becomes the stored copy."""
    alice = await open_chat("alice", chat_room)
    await alice.evaluate(RECORD_STATES)
    await alice.send("one element only")
    await alice.wait_stored("one element only")
    message = alice.with_text("one element only")
    client_message_id = await message.get_attribute("data-client-message-id")
    seen = await alice.evaluate("() => window.seenStates")
    assert seen == [[client_message_id, "pending"], [client_message_id, "stored"]]


async def test_enter_sends_and_shift_enter_makes_a_new_line(
    open_chat: OpenChat, chat_room: str
) -> None:
    """Shift+Enter adds a line to the message; Enter sends it, and the box empties."""
    alice = await open_chat("alice", chat_room)
    await alice.type_and_send("first line\nsecond line")
    await alice.wait_stored("first line\nsecond line")
    await expect(alice.by_id("message-input")).to_have_value("")


async def test_send_button_sends(open_chat: OpenChat, chat_room: str) -> None:
    """The send button is disabled while the box is empty, and sends what is typed."""
    alice = await open_chat("alice", chat_room)
    await expect(alice.by_id("send-button")).to_be_disabled()
    await alice.by_id("message-input").fill("by button")
    await alice.by_id("send-button").click()
    await alice.wait_stored("by button")


async def test_messages_typed_quickly_keep_their_order(open_chat: OpenChat, chat_room: str) -> None:
    """Messages sent back to back are stored and shown in the order they were typed."""
    alice = await open_chat("alice", chat_room)
    bob = await open_chat("bob", chat_room)
    texts = [f"quick {i}" for i in range(6)]
    for text in texts:
        await alice.send(text)
    for text in texts:
        await bob.wait_stored(text)
    assert await bob.texts() == texts
    ids = await bob.stored_ids()
    assert ids == sorted(ids)


async def test_html_in_a_message_shows_as_text(open_chat: OpenChat, chat_room: str) -> None:
    """A message holding markup is shown as the characters typed; nothing is injected or run."""
    alice = await open_chat("alice", chat_room)
    bob = await open_chat("bob", chat_room)
    attack = "<img src=x onerror=alert(1)> <script>alert(2)</script> <b>bold</b>"
    await alice.say(attack)
    await bob.wait_stored(attack)
    for page in (alice, bob):
        text = page.with_text(attack).get_by_test_id("message-text")
        assert await text.inner_html() == (
            "&lt;img src=x onerror=alert(1)&gt; &lt;script&gt;alert(2)&lt;/script&gt; "
            "&lt;b&gt;bold&lt;/b&gt;"
        )
        assert await page.messages.locator("img, script, b").count() == 0
    # An alert() would have opened a dialog, which open_chat reports as an error in the page.


async def test_only_http_links_become_links(open_chat: OpenChat, chat_room: str) -> None:
    """http(s) URLs are links opening apart from the page; javascript: URLs stay text."""
    alice = await open_chat("alice", chat_room)
    await alice.say("docs at https://example.com/guide. and javascript:alert(1) here")
    links = alice.messages.locator("a")
    await expect(links).to_have_count(1)
    assert await links.get_attribute("href") == "https://example.com/guide"
    assert await links.get_attribute("target") == "_blank"
    rel = (await links.get_attribute("rel") or "").split()
    assert "noopener" in rel
    assert "noreferrer" in rel


async def test_reload_shows_history(open_chat: OpenChat, chat_room: str) -> None:
    """After a reload the page is back in the room with every message, each once."""
    alice = await open_chat("alice", chat_room)
    bob = await open_chat("bob", chat_room)
    await alice.say("before the reload 1")
    await bob.say("before the reload 2")
    await alice.wait_stored("before the reload 2")
    await alice.page.reload()
    await alice.wait_connected()
    await expect(alice.stored).to_have_count(2)
    assert await alice.texts() == ["before the reload 1", "before the reload 2"]
    assert "own" in await alice.classes("before the reload 1")


async def test_a_newcomer_sees_the_history(open_chat: OpenChat, chat_room: str) -> None:
    """Someone joining later sees what was said before, oldest first."""
    alice = await open_chat("alice", chat_room)
    await alice.say("said before carol came")
    await alice.say("and this too")
    carol = await open_chat("carol", chat_room)
    await expect(carol.stored).to_have_count(2, timeout=WAIT_MS)
    assert await carol.texts() == ["said before carol came", "and this too"]


async def test_older_history_loads_on_scrolling_up_without_a_jump(
    open_chat: OpenChat, chat_client: ClientFactory, chat_room: str
) -> None:
    """Scrolling to the top pages in older messages above; the message in view stays put."""
    archivist = await chat_client("archivist", chat_room)
    await say_all(archivist, [f"archived {i:02d}" for i in range(1, 61)])
    archive = await room_texts(archivist)
    assert sorted(archive) == [f"archived {i:02d}" for i in range(1, 61)]
    alice = await open_chat("alice", chat_room)
    await expect(alice.stored).to_have_count(50)  # the newest page
    assert await alice.texts() == archive[10:]
    await expect(alice.page.locator("#history-edge")).to_have_text("Scroll up for earlier messages")
    # Scroll to the top, and note where the first message is before older ones come in.
    before = await alice.evaluate(
        """() => {
          document.getElementById("scroller").scrollTop = 0;
          const first = document.querySelector("[data-message-id]");
          return {id: first.dataset.messageId, top: first.getBoundingClientRect().top};
        }"""
    )
    await expect(alice.stored).to_have_count(60, timeout=WAIT_MS)
    after = await alice.evaluate(
        "(id) => document.querySelector(`[data-message-id='${id}']`).getBoundingClientRect().top",
        before["id"],
    )
    assert abs(after - before["top"]) <= 1
    assert await alice.texts() == archive
    await alice.evaluate(SCROLL_TO_TOP)
    await expect(alice.page.locator("#history-edge")).to_have_text(
        f"This is the beginning of #{chat_room}."
    )


async def test_new_messages_while_scrolled_up_are_counted_not_scrolled_to(
    open_chat: OpenChat, chat_client: ClientFactory, chat_room: str
) -> None:
    """Reading older messages, new ones do not move the view; a button counts and shows them."""
    bob = await chat_client("bob", chat_room)
    await say_all(bob, [f"earlier {i}" for i in range(20)])
    alice = await open_chat("alice", chat_room, viewport={"width": 800, "height": 400})
    await expect(alice.stored).to_have_count(20)
    await alice.evaluate("() => { document.getElementById('scroller').scrollTop = 200; }")
    await alice.page.wait_for_timeout(200)
    top = await alice.evaluate("() => document.getElementById('scroller').scrollTop")
    await bob.say("while alice reads")
    await bob.say("and another one")
    await alice.wait_stored("and another one")
    jump = alice.page.locator("#jump-button")
    await expect(jump).to_be_visible()
    await expect(jump).to_contain_text("2 new messages")
    assert await alice.evaluate("() => document.getElementById('scroller').scrollTop") == top
    await jump.click()
    await expect(jump).to_be_hidden()
    await expect(alice.with_text("and another one")).to_be_in_viewport()


async def test_the_newest_message_stays_in_view(open_chat: OpenChat, chat_room: str) -> None:
    """At the bottom of a long conversation, each new message is scrolled into view."""
    alice = await open_chat("alice", chat_room, viewport={"width": 800, "height": 300})
    bob = await open_chat("bob", chat_room)
    for i in range(8):
        await bob.send(f"line {i}")
    await alice.wait_stored("line 7")
    assert await alice.evaluate("() => document.getElementById('scroller').scrollTop") > 0
    await expect(alice.with_text("line 7")).to_be_in_viewport()
    await expect(alice.page.locator("#jump-button")).to_be_hidden()
