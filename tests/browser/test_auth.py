"""The page against a server that requires tokens (CHAT_AUTH_SECRET): ?token= in the link."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.async_api import expect

from chatserver.handlers.authorizer import issue_token
from chatserver.testing import ChatStack
from tests.browser.conftest import OpenChat

pytestmark = pytest.mark.asyncio

SECRET = "browser-test-secret-0123456789abcdef"


@pytest.fixture(scope="module")
def auth_stack() -> Iterator[ChatStack]:
    """A stack whose $connect requires a token."""
    with ChatStack(auth_secret=SECRET) as stack:
        yield stack


async def test_a_token_link_joins_as_the_tokens_user(
    open_chat: OpenChat, auth_stack: ChatStack, chat_room: str
) -> None:
    """?token= names the user (the form shows it), connects, and messages are the user's own."""
    chat = await open_chat(
        None,
        chat_room,
        stack=auth_stack,
        join=False,
        query={"token": issue_token(SECRET, "Grace Hopper")},
    )
    await expect(chat.by_id("name-input")).to_have_value("Grace Hopper")
    await chat.join()
    await chat.say("authorized hello")
    assert "own" in await chat.classes("authorized hello")
