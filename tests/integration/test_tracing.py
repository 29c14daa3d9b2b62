"""Stage timestamps of messages (CHAT_TRACE), which the benchmark reads."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from chatserver import tracing
from chatserver.testing import ChatClient, ChatStack
from chatserver.testing.backends import TestBackend

pytestmark = pytest.mark.asyncio


@pytest.fixture(scope="module")
def traced_stack(chat_backend: TestBackend) -> Iterator[ChatStack]:
    """A second stack on the session's backend, with tracing on."""
    with ChatStack(**{**chat_backend.settings(suffix="traced"), "trace": True}) as stack:
        yield stack


async def _marks_of_one_message(stack: ChatStack, room: str) -> list[dict[str, Any]]:
    """The trace marks of one message said in ``room``, in the order the server lists them."""
    client = await ChatClient.connect(stack.ws_url, "tracer", room)
    try:
        sent = await client.say("where does the time go?")
    finally:
        await client.close()
    await asyncio.sleep(0.2)
    async with httpx.AsyncClient() as http:
        marks = (await http.get(f"{stack.http_url}/_chatserver/trace")).json()["marks"]
    return [m for m in marks if m["id"] == sent["clientMessageId"]]


async def test_every_stage_is_marked_in_order(traced_stack: ChatStack) -> None:
    """A message's marks cover every stage, in pipeline order."""
    mine = await _marks_of_one_message(traced_stack, "traced")
    assert [m["stage"] for m in mine] == list(tracing.STAGES)
    times = [m["at"] for m in mine]
    assert times == sorted(times)


async def test_trace_endpoint_is_off_by_default(chat_stack: ChatStack) -> None:
    """Without CHAT_TRACE the trace endpoint answers 404 and says how to turn it on."""
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{chat_stack.http_url}/_chatserver/trace")
    assert response.status_code == 404
    assert "CHAT_TRACE" in response.json()["message"]


async def test_stages_of_one_thread_report_its_cpu(traced_stack: ChatStack) -> None:
    """The handler's marks share one thread whose CPU time only grows, so the bench can tell
    what the DynamoDB and EventBridge stages cost in CPU."""
    mine = {m["stage"]: m for m in await _marks_of_one_message(traced_stack, "traced-cpu")}
    handler_stages = [mine[stage] for stage in (tracing.HANDLER, tracing.STORED, tracing.PUBLISHED)]
    assert len({m["thread"] for m in handler_stages}) == 1
    cpu = [m["cpu"] for m in handler_stages]
    assert cpu == sorted(cpu)
    assert cpu[-1] > cpu[0]  # the writes and PutEvents cost something
    assert mine[tracing.RECEIVED]["thread"] != mine[tracing.HANDLER]["thread"]
