"""Errors from the server, shown as readable notices (pushed with the real @connections API)."""

from __future__ import annotations

import asyncio
import json

import pytest
from playwright.async_api import expect

from chatserver.testing import ChatStack
from tests.browser.chat_page import ChatPage
from tests.browser.conftest import OpenChat

pytestmark = pytest.mark.asyncio


async def post(stack: ChatStack, page: ChatPage, frame: dict[str, object]) -> None:
    """Send ``frame`` to the page's connection, as backend code would."""
    connection_id = await page.connection_id()
    api = stack.management_client()
    data = json.dumps(frame).encode()
    await asyncio.to_thread(api.post_to_connection, ConnectionId=connection_id, Data=data)


async def test_an_error_frame_shows_as_a_readable_notice(
    open_chat: OpenChat, chat_stack: ChatStack, chat_room: str
) -> None:
    """An error frame becomes an alert saying what went wrong, with its code; it can go."""
    alice = await open_chat("alice", chat_room)
    frame = {"type": "error", "code": "InvalidMessage", "message": "limit: too big"}
    await post(chat_stack, alice, frame)
    notice = alice.page.get_by_role("alert").filter(has_text="limit: too big")
    await expect(notice).to_be_visible()
    await expect(notice).to_contain_text("The server refused a request")
    await expect(notice).to_contain_text("InvalidMessage")
    await notice.get_by_role("button", name="Dismiss").click()
    await expect(notice).to_have_count(0)


async def test_api_gateway_frames_show_as_notices(
    open_chat: OpenChat, chat_stack: ChatStack, chat_room: str
) -> None:
    """API Gateway's own frame (no type, a message) is shown too."""
    alice = await open_chat("alice", chat_room)
    frame = {"message": "Internal server error", "connectionId": "x", "requestId": "y"}
    await post(chat_stack, alice, frame)
    await expect(alice.page.get_by_role("alert")).to_contain_text("Internal server error")


async def test_markup_in_a_notice_is_text(
    open_chat: OpenChat, chat_stack: ChatStack, chat_room: str
) -> None:
    """A notice's text is never parsed as HTML."""
    alice = await open_chat("alice", chat_room)
    frame = {"type": "error", "code": "InternalError", "message": "<img src=x onerror=alert(1)>"}
    await post(chat_stack, alice, frame)
    await expect(alice.page.get_by_role("alert")).to_contain_text("<img src=x onerror=alert(1)>")
    assert await alice.page.locator("#notices img").count() == 0


async def test_not_connected_makes_the_page_reconnect(
    open_chat: OpenChat, chat_stack: ChatStack, chat_room: str
) -> None:
    """A NotConnected error (the server forgot the connection) makes the page reconnect."""
    alice = await open_chat("alice", chat_room)
    before = await alice.connection_id()
    frame = {"type": "error", "code": "NotConnected", "message": "reconnect"}
    await post(chat_stack, alice, frame)
    await expect(alice.status).not_to_have_attribute("data-connection-id", before)
    await alice.wait_connected()
    await alice.say("still here")
