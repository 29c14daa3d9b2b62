"""The join screen: prefilled from the link, checked before connecting, usable by keyboard."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import OpenChat

pytestmark = pytest.mark.asyncio


async def focused_test_id(page: Page) -> str | None:
    """The test id of the element that has the keyboard focus."""
    focused: str | None = await page.evaluate(
        "() => document.activeElement?.dataset.testid ?? null"
    )
    return focused


async def test_name_and_room_are_prefilled_from_the_link(
    open_chat: OpenChat, chat_room: str
) -> None:
    """?name= and ?room= fill the form; nothing connects before Join."""
    alice = await open_chat("Ada Lovelace", chat_room, join=False)
    await expect(alice.by_id("name-input")).to_have_value("Ada Lovelace")
    await expect(alice.by_id("room-input")).to_have_value(chat_room)
    await expect(alice.by_id("messages")).to_be_hidden()
    await alice.join()
    await expect(alice.page.locator("#room-name")).to_have_text(chat_room)


async def test_the_room_defaults_to_general(open_chat: OpenChat) -> None:
    """Without ?room= the room field holds the protocol's default room."""
    page = await open_chat(None, None, join=False)
    await expect(page.by_id("name-input")).to_have_value("")
    await expect(page.by_id("room-input")).to_have_value("general")


async def test_join_by_keyboard_alone(open_chat: OpenChat, chat_room: str) -> None:
    """Type the name, Tab to the room, Tab to Join, Enter: in the room, typing a message."""
    chat = await open_chat(None, None, join=False)
    keyboard = chat.page.keyboard
    assert await focused_test_id(chat.page) == "name-input"
    await keyboard.type("keyboard user")
    await keyboard.press("Tab")
    assert await focused_test_id(chat.page) == "room-input"
    await keyboard.press("Control+A")
    await keyboard.type(chat_room)
    await keyboard.press("Tab")
    assert await focused_test_id(chat.page) == "join-button"
    await keyboard.press("Enter")
    await chat.wait_connected()
    assert await focused_test_id(chat.page) == "message-input"
    await keyboard.type("typed without a mouse")
    await keyboard.press("Enter")
    await chat.wait_stored("typed without a mouse")


async def test_a_prefilled_form_focuses_the_join_button(
    open_chat: OpenChat, chat_room: str
) -> None:
    """With both fields filled from the link, Enter joins straight away."""
    chat = await open_chat("alice", chat_room, join=False)
    assert await focused_test_id(chat.page) == "join-button"


async def test_an_invalid_name_is_explained_and_nothing_connects(
    open_chat: OpenChat, chat_room: str
) -> None:
    """A name the server would refuse gets a readable reason under the field."""
    chat = await open_chat("<b>bob</b>", chat_room, join=False)
    await chat.by_id("join-button").click()
    await expect(chat.page.locator("#name-error")).to_contain_text("Use only letters")
    await expect(chat.by_id("name-input")).to_have_attribute("aria-invalid", "true")
    await expect(chat.by_id("messages")).to_be_hidden()
    assert await focused_test_id(chat.page) == "name-input"


async def test_an_invalid_room_is_explained(open_chat: OpenChat) -> None:
    """A room with a space gets a readable reason; fixing it lets the user in."""
    chat = await open_chat("alice", "my room", join=False)
    await chat.by_id("join-button").click()
    await expect(chat.page.locator("#room-error")).to_contain_text("no spaces")
    await chat.by_id("room-input").fill("my-room-ok")
    await chat.join()


async def test_names_in_any_script_are_accepted(open_chat: OpenChat, chat_room: str) -> None:
    """Letters of any script make a valid name, as the server accepts them."""
    chat = await open_chat("Zoë 李", chat_room)
    await chat.say("unicode names work")
    await expect(chat.presence).to_have_attribute("data-user", "Zoë 李")


async def test_the_page_has_labels_and_landmarks(open_chat: OpenChat, chat_room: str) -> None:
    """Inputs are labelled, the message list is a polite live log, the status is a status."""
    chat = await open_chat("alice", chat_room, join=False)
    await expect(chat.page.get_by_label("Your name", exact=True)).to_have_value("alice")
    await expect(chat.page.get_by_label("Room", exact=True)).to_have_value(chat_room)
    await chat.join()
    assert await chat.messages.get_attribute("role") == "log"
    assert await chat.messages.get_attribute("aria-live") == "polite"
    await expect(chat.page.get_by_label("Message", exact=True)).to_be_visible()
    await expect(chat.page.get_by_role("button", name="Send message")).to_be_visible()
    await expect(chat.status).to_have_attribute("role", "status")
