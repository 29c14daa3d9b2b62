"""Shutdown is bounded by CHAT_SHUTDOWN_TIMEOUT, however slow the $disconnect handlers are."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from chatserver.handlers.catalog import FUNCTIONS, FunctionSpec
from chatserver.server import HTTP_GRACE_SECONDS
from chatserver.testing import ChatClient
from chatserver.testing.plugin import StackFactory

SHUTDOWN_TIMEOUT = 3.0
#: Far longer than the shutdown timeout; set once the test is over, so no thread lingers.
_release = threading.Event()


def slow_disconnect(event: dict[str, Any], context: Any) -> Any:
    """A $disconnect handler that outlasts any shutdown."""
    _release.wait(30.0)
    return {"statusCode": 200}


CATALOG = (
    *(spec for spec in FUNCTIONS if spec.route_key != "$disconnect"),
    FunctionSpec("disconnect", f"{__name__}.slow_disconnect", "$disconnect"),
)


async def test_slow_disconnect_handlers_do_not_stretch_shutdown(
    chat_stack_factory: StackFactory, chat_room: str
) -> None:
    """Ctrl-C returns about a second after CHAT_SHUTDOWN_TIMEOUT while $disconnect still runs."""
    stack = chat_stack_factory(functions=CATALOG, shutdown_timeout=SHUTDOWN_TIMEOUT)
    clients = [await ChatClient.connect(stack.ws_url, f"u{index}", chat_room) for index in range(3)]
    try:
        started = time.monotonic()
        await asyncio.to_thread(stack.stop, 60.0)
        took = time.monotonic() - started
    finally:
        _release.set()
        for client in clients:
            await client.close()
    # drain (the timeout) + uvicorn's HTTP grace + stopping the emulator; before the grace was
    # counted from the end of the drain, this took twice the timeout and 3 s more (8.9 s).
    assert took < SHUTDOWN_TIMEOUT + HTTP_GRACE_SECONDS + 2.5, took
