"""The pytest plugin: fixtures that start the chat stack and connect chat clients.

- ``chat_stack`` (session): a running stack on a free loopback port, embedded emulator unless
  ``CHAT_AWS_ENDPOINT_URL``/``AWS_ENDPOINT_URL`` names another; override the
  ``chat_stack_settings`` fixture to change settings.
- ``chat_client`` (function): ``await chat_client("alice", room)`` connects a ``ChatClient``;
  every client is closed after the test.
- ``chat_room`` (function): a room name no other test uses, so tests need no clean-up.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest
import pytest_asyncio

from chatserver.testing.client import ChatClient
from chatserver.testing.stack import ChatStack

ClientFactory = Callable[..., Awaitable[ChatClient]]


@pytest.fixture(scope="session")
def chat_stack_settings() -> dict[str, Any]:
    """Settings overrides for ``chat_stack``; override this fixture to change them."""
    return {}


@pytest.fixture(scope="session")
def chat_stack(chat_stack_settings: dict[str, Any]) -> Iterator[ChatStack]:
    """The whole stack, started once for the session and stopped at its end."""
    with ChatStack(**chat_stack_settings) as stack:
        yield stack


@pytest.fixture
def chat_room() -> str:
    """A fresh room name: tests in distinct rooms never see each other's frames."""
    return f"room-{uuid.uuid4().hex[:12]}"


@pytest_asyncio.fixture
async def chat_client(chat_stack: ChatStack) -> AsyncIterator[ClientFactory]:
    """A factory: ``await chat_client(name, room, **options)`` returns a connected client."""
    clients: list[ChatClient] = []

    async def connect(name: str | None, room: str | None = None, **options: Any) -> ChatClient:
        client = await ChatClient.connect(chat_stack.ws_url, name, room, **options)
        clients.append(client)
        return client

    yield connect
    for client in clients:
        await client.close()
