"""Posts made by handlers in the gateway's own process: a call, with the HTTP API's answers."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from chatserver.aws import management
from chatserver.aws.management import ConnectionsApiError, LocalConnectionsApi, Outcome
from chatserver.testing import ChatClient, ChatStack, of_type


def _posts(chat_stack: ChatStack) -> management.LocalConnections:
    found = management.local_connections(chat_stack.management_url)
    assert found is not None, "the gateway registers its @connections endpoint"
    return found


async def test_a_post_from_a_handler_thread_reaches_the_client(
    chat_stack: ChatStack, chat_room: str
) -> None:
    """post_each from another thread delivers the frame and answers 200."""
    alice = await ChatClient.connect(chat_stack.ws_url, "alice", chat_room)
    try:
        connection_id = (await alice.whoami())["connectionId"]
        outcomes = await asyncio.to_thread(
            _posts(chat_stack).post_each, [connection_id], b'{"type": "notice", "n": 1}'
        )
        assert outcomes == [(200, "", "")]
        await alice.expect(of_type("notice", n=1))
    finally:
        await alice.close()


async def test_gone_malformed_and_oversized_posts_answer_as_the_http_api(
    chat_stack: ChatStack, chat_room: str
) -> None:
    """Unknown ids answer 410, malformed ids 400, bodies over the limit 413."""
    alice = await ChatClient.connect(chat_stack.ws_url, "alice", chat_room)
    try:
        live = (await alice.whoami())["connectionId"]
        posts = _posts(chat_stack)
        small = await asyncio.to_thread(
            posts.post_each, ["R1kmxc2VNjMCFIA=", "bad/id", live], b"{}"
        )
        limit = chat_stack.settings.post_size_limit
        large = await asyncio.to_thread(posts.post_each, [live], b"x" * (limit + 1))
    finally:
        await alice.close()
    assert [status for status, _, _ in small] == [410, 400, 200]
    assert small[0][1] == "GoneException"
    assert large[0][:2] == (413, "PayloadTooLargeException")


class Scripted:
    """Answers each post_each call with the next scripted outcome for every id."""

    def __init__(self, *answers: Outcome) -> None:
        self._answers = list(answers)
        self.calls: list[list[str]] = []

    def post_each(self, connection_ids: Sequence[str], data: bytes) -> list[Outcome]:
        self.calls.append(list(connection_ids))
        answer = self._answers.pop(0)
        return [answer] * len(connection_ids)


def test_throttled_posts_are_retried_and_then_delivered() -> None:
    """A 429 answer is retried, as the SDKs retry LimitExceededException."""
    scripted = Scripted((429, "LimitExceededException", "slow down"), (200, "", ""))
    assert LocalConnectionsApi(scripted).post_all(["a", "b"], b"{}") == []
    assert scripted.calls == [["a", "b"], ["a", "b"]]


def test_gone_connections_are_reported_not_raised() -> None:
    """410 marks the id gone; the caller removes the stale row."""
    scripted = Scripted((410, "GoneException", "gone"))
    assert LocalConnectionsApi(scripted).post_all(["a"], b"{}") == ["a"]


def test_other_refusals_raise_with_the_error_type() -> None:
    """A refusal that is neither gone nor retryable raises ConnectionsApiError."""
    scripted = Scripted((413, "PayloadTooLargeException", "too big"))
    with pytest.raises(ConnectionsApiError) as raised:
        LocalConnectionsApi(scripted).post_all(["a"], b"{}")
    assert (raised.value.status, raised.value.error_type) == (413, "PayloadTooLargeException")
