"""The chat page as a person uses it, for browser tests: join, type, read, through test ids."""

from __future__ import annotations

import asyncio
import re
from typing import Any
from urllib.parse import urlencode

from playwright.async_api import Locator, Page, expect

from chatserver.testing import ChatClient, of_type

#: Hang-guard for anything that waits on the stack (generous: the machine is shared).
WAIT_MS = 20_000


class ChatPage:
    """One browser page of the chat, for ``name`` in ``room``."""

    def __init__(self, page: Page, name: str | None, room: str | None) -> None:
        self.page = page
        self.name = name
        self.room = room
        self.page_errors: list[str] = []
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("dialog", lambda dialog: self.page_errors.append(f"dialog: {dialog.message}"))

    # -- navigation ------------------------------------------------------------------------------

    async def open(self, base_url: str, extra: dict[str, str] | None = None) -> None:
        """Load the page with ``?name=&room=`` (and ``extra``) as a shared link would."""
        query = {k: v for k, v in (("name", self.name), ("room", self.room)) if v is not None}
        query.update(extra or {})
        await self.page.goto(f"{base_url}/?{urlencode(query)}" if query else f"{base_url}/")
        await expect(self.page.locator("html[data-ready=true]")).to_be_attached(timeout=WAIT_MS)

    async def join(self) -> None:
        """Click Join, then wait until the room is connected and its history loaded."""
        await self.by_id("join-button").click()
        await self.wait_connected()

    async def wait_connected(self, timeout: float = WAIT_MS) -> None:
        await expect(self.status).to_have_attribute("data-state", "connected", timeout=timeout)
        await expect(self.messages).to_have_attribute("aria-busy", "false", timeout=timeout)

    async def close(self) -> None:
        """Close the page's browser context, as closing the tab or the browser would."""
        await self.page.context.close()

    # -- parts -----------------------------------------------------------------------------------

    def by_id(self, test_id: str) -> Locator:
        return self.page.get_by_test_id(test_id)

    @property
    def status(self) -> Locator:
        return self.by_id("connection-status")

    @property
    def messages(self) -> Locator:
        return self.by_id("messages")

    @property
    def stored(self) -> Locator:
        """Every message the server stored, in display order."""
        return self.messages.locator("[data-message-id]")

    def with_text(self, text: str) -> Locator:
        """Message elements (stored or pending) whose text is exactly ``text``."""
        return self.messages.locator("[data-state]").filter(
            has=self.page.get_by_test_id("message-text").get_by_text(text, exact=True)
        )

    @property
    def presence(self) -> Locator:
        """One element per online user, with ``data-user``."""
        return self.by_id("presence").locator("[data-user]")

    async def connection_id(self) -> str:
        """The id of the page's current connection (the page asks ``whoami`` on connecting)."""
        await expect(self.status).to_have_attribute("data-connection-id", re.compile(r".+"))
        return str(await self.status.get_attribute("data-connection-id"))

    # -- actions ---------------------------------------------------------------------------------

    async def type_and_send(self, text: str) -> None:
        """Type ``text`` key by key (newlines with Shift+Enter), then press Enter."""
        box = self.by_id("message-input")
        await box.click()
        for index, line in enumerate(text.split("\n")):
            if index:
                await box.press("Shift+Enter")
            await box.press_sequentially(line)
        await box.press("Enter")

    async def send(self, text: str) -> None:
        """Put ``text`` in the message box and press Enter."""
        await self.by_id("message-input").fill(text)
        await self.by_id("message-input").press("Enter")

    async def say(self, text: str) -> str:
        """Send ``text`` and wait for the server's copy; its message id."""
        await self.send(text)
        return await self.wait_stored(text)

    async def wait_stored(self, text: str, timeout: float = WAIT_MS) -> str:
        """Wait until ``text`` shows as one stored message; its message id."""
        message = self.with_text(text)
        await expect(message).to_have_count(1, timeout=timeout)
        await expect(message).to_have_attribute("data-state", "stored", timeout=timeout)
        return str(await message.get_attribute("data-message-id"))

    # -- reading ---------------------------------------------------------------------------------

    async def texts(self) -> list[str]:
        """The text of every message shown (stored and pending), in display order."""
        return list(await self.messages.get_by_test_id("message-text").all_text_contents())

    async def stored_ids(self) -> list[str]:
        ids = await self.stored.evaluate_all("els => els.map(e => e.dataset.messageId)")
        return [str(i) for i in ids]

    async def classes(self, text: str) -> list[str]:
        return (await self.with_text(text).get_attribute("class") or "").split()

    async def evaluate(self, script: str, arg: Any = None) -> Any:
        return await self.page.evaluate(script, arg)


async def say_all(client: ChatClient, texts: list[str], timeout: float = 60) -> None:
    """Send every text at once from ``client`` and wait until all are stored (in any order)."""
    ids = [await client.send_message(text) for text in texts]
    async with asyncio.timeout(timeout):
        for client_message_id in ids:
            await client.expect(of_type("message", clientMessageId=client_message_id))


async def room_texts(client: ChatClient) -> list[str]:
    """The text of every message stored in the client's room, oldest first."""
    texts: list[str] = []
    before = None
    while True:
        page = await client.history(100, before)
        texts[:0] = [m["text"] for m in page["messages"]]
        if not page["hasMore"] or not page["messages"]:
            return texts
        before = page["messages"][0]["messageId"]
