"""The embedded emulator's process can be spawned early and started later."""

from __future__ import annotations

import asyncio

import pytest

from chatserver.emulator.launcher import EmbeddedEmulator

pytestmark = pytest.mark.backend("embedded", reason="the embedded emulator's own process")


def test_a_spawned_emulator_starts_without_a_second_process() -> None:
    """start() after spawn() waits for the same process and reaches its URL."""

    async def scenario() -> tuple[int | None, int | None, str, bool]:
        emulator = EmbeddedEmulator()
        await emulator.spawn()
        spawned = emulator.pid
        try:
            url = await emulator.start()
            return spawned, emulator.pid, url, emulator.running
        finally:
            await emulator.stop()

    spawned, started, url, running = asyncio.run(scenario())
    assert spawned is not None
    assert spawned == started
    assert url.startswith("http://127.0.0.1:")
    assert running
