"""The pytest plugin (registered by installing chatserver: entry point ``pytest11``).

Fixtures:

- ``chat_backend`` (session): the AWS backend ``CHAT_TEST_BACKEND`` selects (``embedded``, the
  default, or ``localstack``; see ``chatserver.testing.backends``), started for the session.
- ``chat_stack`` (session): the whole stack on a free loopback port, on that backend: URLs,
  settings, boto3 and aioboto3 clients, ``observe`` (executions, messages, connections),
  ``reset()``, ``emulator_unavailable()``. Override ``chat_stack_settings`` (session) to
  change its settings, for example ``{"functions": "myapp.catalog:FUNCTIONS"}``.
- ``chat_stack_factory`` (function): ``chat_stack_factory(idle_timeout=1.0)`` starts another
  stack with those settings on the session's backend, stopped after the test.
- ``chat_client`` (function): ``await chat_client("alice", room)`` connects a ``ChatClient``
  to ``chat_stack`` (or ``stack=`` another); every client is closed after the test.
- ``chat_room`` (function): a room name no other test uses, so tests need no clean-up.
- ``chat_faults`` (function): ``with chat_faults.emulator_unavailable(): ...`` freezes the
  backend's processes (embedded emulator, or the LocalStack this session started);
  ``chat_faults.silent_client(stack, name, room)`` opens a client that never reads again.

A behaviour that cannot hold on one backend is marked
``@pytest.mark.backend("embedded", reason="...")``: on the other backend the test is skipped
with that reason, never silently dropped.

``chat_client`` is an async fixture: it needs pytest-asyncio (``pip install
'chatserver[testing]'``); the other fixtures work without it.
"""

from __future__ import annotations

import importlib.util
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest

from chatserver.errors import ConfigurationError
from chatserver.testing.backends import BACKENDS, TestBackend, selected_backend
from chatserver.testing.client import ChatClient
from chatserver.testing.faults import paused, silent_client
from chatserver.testing.stack import ChatStack

#: Whether pytest-asyncio (the testing extra) is there for the async fixtures.
HAS_PYTEST_ASYNCIO = importlib.util.find_spec("pytest_asyncio") is not None

ClientFactory = Callable[..., Awaitable[ChatClient]]
StackFactory = Callable[..., ChatStack]


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
def chat_stack_factory(chat_backend: TestBackend) -> Iterator[StackFactory]:
    """A factory of extra stacks with their own settings, each stopped after the test."""
    started: list[ChatStack] = []

    def start(**settings: Any) -> ChatStack:
        suffix = f"s{uuid.uuid4().hex[:6]}"
        stack = ChatStack(**{**chat_backend.settings(suffix=suffix), **settings}).start()
        started.append(stack)
        return stack

    yield start
    for stack in reversed(started):
        stack.stop()


@pytest.fixture
def chat_room() -> str:
    """A fresh room name: tests in distinct rooms never see each other's frames."""
    return f"room-{uuid.uuid4().hex[:12]}"


class ChatFaults:
    """Fault injection for the session's stacks."""

    def __init__(self, backend: TestBackend, stack: ChatStack) -> None:
        self._backend = backend
        self._stack = stack
        self._sockets: list[socket.socket] = []

    def emulator_unavailable(self, stack: ChatStack | None = None) -> AbstractContextManager[None]:
        """A block during which the backend answers nothing (its processes are frozen)."""
        target = stack or self._stack
        if target.emulator_pids():
            return target.emulator_unavailable()
        if self._backend.pids():
            return paused(self._backend.pids())
        raise NotImplementedError(
            "the backend is an external endpoint this session did not start; freeze it "
            "yourself with chatserver.testing.faults.paused(pids)"
        )

    def silent_client(
        self, name: str, room: str | None = None, stack: ChatStack | None = None
    ) -> socket.socket:
        """A client that completes the handshake and never reads again (closed after the test)."""
        sock = silent_client((stack or self._stack).ws_url, name, room)
        self._sockets.append(sock)
        return sock

    def close(self) -> None:
        for sock in self._sockets:
            sock.close()


@pytest.fixture
def chat_faults(chat_backend: TestBackend, chat_stack: ChatStack) -> Iterator[ChatFaults]:
    """Fault injection: a frozen backend, clients that stop reading (see ``ChatClient.drop``)."""
    faults = ChatFaults(chat_backend, chat_stack)
    yield faults
    faults.close()


if HAS_PYTEST_ASYNCIO:
    import pytest_asyncio

    @pytest_asyncio.fixture
    async def chat_client(chat_stack: ChatStack) -> AsyncIterator[ClientFactory]:
        """A factory: ``await chat_client(name, room, stack=None, **options)`` returns a
        connected client."""
        clients: list[ChatClient] = []

        async def connect(
            name: str | None,
            room: str | None = None,
            *,
            stack: ChatStack | None = None,
            **options: Any,
        ) -> ChatClient:
            target = stack or chat_stack
            client = await ChatClient.connect(target.ws_url, name, room, **options)
            clients.append(client)
            return client

        yield connect
        for client in clients:
            await client.close()

else:  # pragma: no cover - exercised only without the testing extra

    @pytest.fixture
    def chat_client() -> None:
        """Unavailable: needs pytest-asyncio."""
        raise pytest.UsageError(
            "the chat_client fixture needs pytest-asyncio: pip install 'chatserver[testing]'"
        )
