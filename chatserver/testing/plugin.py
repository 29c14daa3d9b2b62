"""The pytest plugin: fixtures that start the chat stack and connect chat clients.

- ``chat_backend`` (session): the AWS backend ``CHAT_TEST_BACKEND`` selects (``embedded``, the
  default, or ``localstack``; see ``chatserver.testing.backends``), started for the session.
- ``chat_stack`` (session): a running stack on a free loopback port, on that backend; override
  the ``chat_stack_settings`` fixture to change settings.
- ``chat_client`` (function): ``await chat_client("alice", room)`` connects a ``ChatClient``;
  every client is closed after the test.
- ``chat_room`` (function): a room name no other test uses, so tests need no clean-up.

A behaviour that cannot hold on one backend is marked
``@pytest.mark.backend("embedded", reason="...")``: on the other backend the test is skipped
with that reason, never silently dropped.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest
import pytest_asyncio

from chatserver.errors import ConfigurationError
from chatserver.testing.backends import BACKENDS, TestBackend, selected_backend
from chatserver.testing.client import ChatClient
from chatserver.testing.stack import ChatStack

ClientFactory = Callable[..., Awaitable[ChatClient]]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "backend(name, reason): the test needs that backend (embedded or localstack); "
        "skipped with the reason on the other one",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    try:
        current = selected_backend()
    except ConfigurationError as exc:
        raise pytest.UsageError(exc.message) from None
    for item in items:
        for marker in item.iter_markers("backend"):
            needed = marker.args[0] if marker.args else None
            reason = marker.kwargs.get("reason")
            if needed not in BACKENDS or not reason:
                raise pytest.UsageError(
                    f"{item.nodeid}: use @pytest.mark.backend(NAME, reason=WHY), NAME in {BACKENDS}"
                )
            if needed != current:
                item.add_marker(pytest.mark.skip(reason=f"{needed} only: {reason}"))


@pytest.fixture(scope="session")
def chat_backend() -> Iterator[TestBackend]:
    """The AWS backend of the session (``CHAT_TEST_BACKEND``), started once and stopped."""
    with TestBackend() as backend:
        yield backend


@pytest.fixture(scope="session")
def chat_stack_settings() -> dict[str, Any]:
    """Settings overrides for ``chat_stack``; override this fixture to change them."""
    return {}


@pytest.fixture(scope="session")
def chat_stack(
    chat_backend: TestBackend, chat_stack_settings: dict[str, Any]
) -> Iterator[ChatStack]:
    """The whole stack on the session's backend, started once and stopped at its end."""
    with ChatStack(**{**chat_backend.settings(), **chat_stack_settings}) as stack:
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
