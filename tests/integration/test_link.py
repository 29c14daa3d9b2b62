"""The link between the gateway and the emulator's process, on a real Unix socket."""

from __future__ import annotations

import asyncio
import stat
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from chatserver.emulator import link

TOKEN = "run-token-0123456789"


class Ends:
    """Both ends of one link, and the listening server."""

    def __init__(self, path: Path, server: asyncio.Server) -> None:
        self.path = path
        self.server = server
        self.accepted: asyncio.Queue[link.Link] = asyncio.Queue()
        self.gateway: link.Link | None = None

    async def emulator(self) -> link.Link:
        return await asyncio.wait_for(self.accepted.get(), 5)


@pytest.fixture
async def ends() -> AsyncIterator[Ends]:
    path = link.private_socket_path()
    queue: asyncio.Queue[link.Link] = asyncio.Queue()
    server = await link.listen(path, TOKEN, queue.put_nowait)
    found = Ends(path, server)
    found.accepted = queue
    found.gateway = await link.connect(path, TOKEN)
    yield found
    await found.gateway.close()
    server.close()


async def test_calls_are_answered_both_ways(ends: Ends) -> None:
    """Each side calls an operation the other serves and gets its result."""
    emulator = await ends.emulator()
    assert ends.gateway is not None

    async def double(call: dict[str, Any]) -> int:
        return int(call["n"]) * 2

    async def greet(call: dict[str, Any]) -> str:
        return f"hello {call['name']}"

    emulator.serve("double", double)
    ends.gateway.serve("greet", greet)
    assert await ends.gateway.call("double", n=21) == 42
    assert await emulator.call("greet", name="gateway") == "hello gateway"


async def test_concurrent_calls_get_their_own_answers(ends: Ends) -> None:
    """Answers that come back out of order reach the calls they answer."""
    emulator = await ends.emulator()
    assert ends.gateway is not None

    async def wait(call: dict[str, Any]) -> float:
        await asyncio.sleep(float(call["s"]))
        return float(call["s"])

    emulator.serve("wait", wait)
    results = await asyncio.gather(*(ends.gateway.call("wait", s=s) for s in (0.2, 0.0, 0.1)))
    assert results == [0.2, 0.0, 0.1]


async def test_a_failing_operation_answers_an_error_and_the_link_stays_up(ends: Ends) -> None:
    """An operation that raises answers LinkCallFailed; the next call still works."""
    emulator = await ends.emulator()
    assert ends.gateway is not None

    async def fail(call: dict[str, Any]) -> None:
        raise ValueError("no good")

    async def ok(call: dict[str, Any]) -> str:
        return "ok"

    emulator.serve("fail", fail)
    emulator.serve("ok", ok)
    with pytest.raises(link.LinkCallFailed, match="ValueError: no good"):
        await ends.gateway.call("fail")
    with pytest.raises(link.LinkCallFailed, match="unknown link operation"):
        await ends.gateway.call("nothing")
    assert await ends.gateway.call("ok") == "ok"


async def test_a_connection_without_the_token_is_refused(ends: Ends) -> None:
    """A client presenting another token is disconnected and never accepted."""
    stranger = await link.connect(ends.path, "not-the-token")
    await asyncio.wait_for(stranger.closed.wait(), 5)
    with pytest.raises(link.LinkClosed):
        await stranger.call("anything", timeout=1)
    await ends.emulator()  # the fixture's own, accepted connection
    assert ends.accepted.empty()


async def test_the_socket_is_private(ends: Ends) -> None:
    """Only the user who started the gateway can reach the socket."""
    folder_mode = stat.S_IMODE(ends.path.parent.stat().st_mode)
    socket_mode = stat.S_IMODE(ends.path.stat().st_mode)
    assert folder_mode == 0o700
    assert socket_mode & 0o077 == 0


async def test_calls_waiting_when_the_link_closes_fail(ends: Ends) -> None:
    """A call still waiting when the other side goes away raises LinkClosed."""
    emulator = await ends.emulator()
    assert ends.gateway is not None
    started = asyncio.Event()

    async def hang(call: dict[str, Any]) -> None:
        started.set()
        await asyncio.sleep(30)

    emulator.serve("hang", hang)
    waiting = asyncio.create_task(ends.gateway.call("hang"))
    await asyncio.wait_for(started.wait(), 5)
    await emulator.close()
    with pytest.raises(link.LinkClosed):
        await asyncio.wait_for(waiting, 5)
