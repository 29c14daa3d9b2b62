"""The gateway's connections, posted to by handlers of this process without HTTP.

Handlers running in the gateway's own Lambda runtime (on an external backend such as
LocalStack) post to ``CHAT_MANAGEMENT_ENDPOINT``, which is this gateway. ``GatewayConnections``
is registered for that endpoint (``chatserver.aws.management.register_local``), so such a post
is one call onto the event loop per page of recipients instead of a signed HTTP request per
recipient: the same checks and answers as the @connections API (``post_outcome``), without a
socket, HTTP parsing or SigV4. Outside callers still use the HTTP API.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from concurrent.futures import Future
from typing import TYPE_CHECKING

from chatserver.aws.management import Outcome
from chatserver.gateway.management_api import post_outcome

if TYPE_CHECKING:
    from chatserver.gateway.state import Gateway

#: A post that the event loop does not take up within this long answers 503 (retried).
LOOP_TIMEOUT_SECONDS = 10.0


class GatewayConnections:
    """Posts to a gateway's open connections, from any thread of its process."""

    def __init__(self, gateway: Gateway, loop: asyncio.AbstractEventLoop) -> None:
        self._gateway = gateway
        self._loop = loop

    def outcomes(self, connection_ids: Sequence[str], data: bytes) -> list[Outcome]:
        """Post on the event loop's thread (the link calls this directly)."""
        return [post_outcome(self._gateway, cid, data) for cid in connection_ids]

    def post_each(self, connection_ids: Sequence[str], data: bytes) -> list[Outcome]:
        """Post from a handler's thread: one hop onto the event loop for the whole page."""
        future: Future[list[Outcome]] = Future()

        def run() -> None:
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(self.outcomes(connection_ids, data))
                except Exception as exc:  # noqa: BLE001 - handed to the waiting thread
                    future.set_exception(exc)

        try:
            self._loop.call_soon_threadsafe(run)
            return future.result(LOOP_TIMEOUT_SECONDS)
        except (RuntimeError, TimeoutError):  # the loop is closed or stuck: retry, then fail
            future.cancel()
            return [(503, "ServiceUnavailable", "the gateway is not answering")] * len(
                connection_ids
            )
