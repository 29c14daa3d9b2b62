"""The layout on a phone and on a desktop, with screenshots kept as test artifacts."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import expect

from chatserver.testing.plugin import ClientFactory
from tests.browser.chat_page import WAIT_MS
from tests.browser.conftest import DESKTOP, PHONE, OpenChat

pytestmark = pytest.mark.asyncio

# The screenshots go into the README, so these rooms have readable names; no other test uses
# them, and every test session starts a fresh stack.
PHONE_ROOM = "design"
DESKTOP_ROOM = "general"

CONVERSATION = [
    ("bob", "Morning! Is the demo still on for 3 pm?"),
    ("alice", "Yes. The whole stack runs on my laptop: gateway, Lambda handlers, emulator."),
    ("alice", "No AWS account needed 🙂"),
    ("carol", "Nice. What happens if the server restarts mid-demo?"),
    ("bob", "The page reconnects, re-sends what was pending and fetches what it missed."),
    ("carol", "And <script>alert('hi')</script> just shows up as text. I checked."),
    ("bob", "Notes are at https://example.com/chatserver/demo"),
]


async def test_phone_viewport(
    open_chat: OpenChat, chat_client: ClientFactory, screenshots: Path
) -> None:
    """On a 375-pixel-wide phone nothing overflows sideways and the message box is in view."""
    bob = await chat_client("bob", PHONE_ROOM)
    await bob.say(CONVERSATION[0][1])
    await bob.say("Long words wrap: " + "supercalifragilisticexpialidocious" * 3)
    phone = {"device_scale_factor": 2, "is_mobile": True, "has_touch": True}
    alice = await open_chat("alice", PHONE_ROOM, viewport=PHONE, **phone)
    await alice.say("Looks good on a phone 📱")
    await alice.say("And the people list is one tap away.")
    await expect(alice.presence).to_have_count(2, timeout=WAIT_MS)
    overflow = await alice.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow == 0
    for test_id in ("message-input", "send-button", "connection-status"):
        await expect(alice.by_id(test_id)).to_be_in_viewport()
    for bubble in await alice.page.locator(".bubble").all():
        box = await bubble.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= PHONE["width"]
    await alice.page.screenshot(path=screenshots / "phone.png")
    await alice.page.get_by_role("button", name="2 online").click()
    await expect(alice.by_id("presence")).to_be_visible()
    await alice.page.screenshot(path=screenshots / "phone-people.png")


async def test_desktop_viewport(
    open_chat: OpenChat, chat_client: ClientFactory, screenshots: Path
) -> None:
    """On a desktop the people list sits beside the conversation; a screenshot is kept."""
    members = {name: await chat_client(name, DESKTOP_ROOM) for name in ("bob", "carol")}
    alice = await open_chat("alice", DESKTOP_ROOM, viewport=DESKTOP)
    for sender, text in CONVERSATION:
        if sender == "alice":
            await alice.say(text)
        else:
            await members[sender].say(text)
            await alice.wait_stored(text)
    await expect(alice.presence).to_have_count(3, timeout=WAIT_MS)
    people = await alice.page.locator("#people-panel").bounding_box()
    conversation = await alice.page.locator(".conversation").bounding_box()
    assert people is not None
    assert conversation is not None
    assert people["x"] >= conversation["x"] + conversation["width"] - 1
    await alice.by_id("message-input").fill("Enter sends, Shift+Enter adds a line")
    await alice.page.screenshot(path=screenshots / "desktop.png")


async def test_dark_mode(open_chat: OpenChat, chat_room: str, screenshots: Path) -> None:
    """With a dark colour scheme preferred, the page is dark."""
    alice = await open_chat("alice", chat_room, viewport=PHONE, color_scheme="dark")
    await alice.say("Dark mode")
    background = await alice.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(18, 20, 25)"
    await alice.page.screenshot(path=screenshots / "phone-dark.png")
