"""Every patch of moto is in place in the embedded emulator and used on the message path."""

from __future__ import annotations

import asyncio

import pytest

from chatserver.testing import ChatClient, ChatStack

pytestmark = pytest.mark.backend("embedded", reason="the patches are the embedded emulator's")


def test_every_patch_of_moto_is_in_place_and_used(chat_stack: ChatStack, chat_room: str) -> None:
    """After two messages and one HTTP call, the emulator reports every patch in use."""

    async def two_messages() -> None:
        client = await ChatClient.connect(chat_stack.ws_url, "patched", chat_room)
        try:
            for text in ("one", "two"):
                await client.say(text)
        finally:
            await client.close()

    asyncio.run(two_messages())
    chat_stack.client("dynamodb").list_tables()  # moto's HTTP path: the request caches
    emulator = chat_stack.gateway.backend.emulator
    assert emulator is not None
    assert emulator.link is not None
    answer = chat_stack.call(emulator.link.call("patches", timeout=10))
    unused = [name for name, used in answer["patches"].items() if not used]
    assert unused == [], unused
    assert len(answer["patches"]) >= 17
