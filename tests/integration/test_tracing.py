"""Stage timestamps of messages (CHAT_TRACE), which the benchmark reads."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

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


async def test_every_stage_is_marked_in_order(traced_stack: ChatStack) -> None:
    """A message's marks cover every stage, in pipeline order."""
    client = await ChatClient.connect(traced_stack.ws_url, "tracer", "traced")
    try:
        sent = await client.say("where does the time go?")
    finally:
        await client.close()
    await asyncio.sleep(0.2)
    async with httpx.AsyncClient() as http:
        marks = (await http.get(f"{traced_stack.http_url}/_chatserver/trace")).json()["marks"]
    mine = [m for m in marks if m["id"] == sent["clientMessageId"]]
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
    client = await ChatClient.connect(traced_stack.ws_url, "cpu", "traced-cpu")
    try:
        sent = await client.say("what does it cost?")
    finally:
        await client.close()
    await asyncio.sleep(0.2)
    async with httpx.AsyncClient() as http:
        marks = (await http.get(f"{traced_stack.http_url}/_chatserver/trace")).json()["marks"]
    mine = {m["stage"]: m for m in marks if m["id"] == sent["clientMessageId"]}
    handler_stages = [mine[stage] for stage in (tracing.HANDLER, tracing.STORED, tracing.PUBLISHED)]
    assert len({m["thread"] for m in handler_stages}) == 1
    cpu = [m["cpu"] for m in handler_stages]
    assert cpu == sorted(cpu)
    assert cpu[-1] > cpu[0]  # the writes and PutEvents cost something
    assert mine[tracing.RECEIVED]["thread"] != mine[tracing.HANDLER]["thread"]
