"""API Gateway's WebSocket limits, with AWS's defaults (apigateway-execution-service-websocket-
limits-table.html): frame 32 KB, message 128 KB, text only, idle 10 min, duration 2 h."""

from __future__ import annotations

import asyncio
import contextlib
import json

import pytest
from websockets.exceptions import ConnectionClosed

from chatserver.testing import ChatClient, ChatStack

pytestmark = pytest.mark.asyncio

LIMITS_PAGE = "apigateway-execution-service-websocket-limits-table.html"
FRAME = 32 * 1024
MESSAGE = 128 * 1024


def _echo_of_size(size: int) -> str:
    """An echo frame of exactly ``size`` bytes."""
    skeleton = json.dumps({"action": "echo", "pad": ""})
    return json.dumps({"action": "echo", "pad": "x" * (size - len(skeleton))})


@pytest.fixture
async def client(routes_stack: ChatStack, chat_room: str):  # type: ignore[no-untyped-def]
    connected = await ChatClient.connect(routes_stack.ws_url, "alice", chat_room)
    yield connected
    await connected.close()


@pytest.mark.aws_doc(LIMITS_PAGE)
async def test_frame_of_32_kb_is_accepted(client: ChatClient) -> None:
    """A frame of exactly 32 KB is routed."""
    await client.send(_echo_of_size(FRAME))
    answer = await client.expect(lambda f: f.get("type") == "echo")
    assert len(answer["event"]["body"]) == FRAME


@pytest.mark.aws_doc(LIMITS_PAGE)
async def test_frame_over_32_kb_closes_with_1009(client: ChatClient) -> None:
    """A single frame one byte over 32 KB closes the connection with 1009."""
    await client.send(_echo_of_size(FRAME + 1))
    code, _ = await client.wait_closed()
    assert code == 1009


@pytest.mark.aws_doc(LIMITS_PAGE)
async def test_message_of_128_kb_in_32_kb_frames_is_accepted(client: ChatClient) -> None:
    """A 128 KB message sent as four 32 KB frames is reassembled and routed."""
    text = _echo_of_size(MESSAGE)
    await client.connection.send([text[i : i + FRAME] for i in range(0, MESSAGE, FRAME)])
    answer = await client.expect(lambda f: f.get("type") == "echo")
    assert len(answer["event"]["body"]) == MESSAGE


@pytest.mark.aws_doc(LIMITS_PAGE)
async def test_message_over_128_kb_closes_with_1009(client: ChatClient) -> None:
    """A message over 128 KB, even in frames of 32 KB, closes the connection with 1009."""
    text = _echo_of_size(MESSAGE + 1)
    await client.connection.send([text[i : i + FRAME] for i in range(0, len(text), FRAME)])
    code, _ = await client.wait_closed()
    assert code == 1009


@pytest.mark.aws_doc("websocket-api-develop-binary-media-types.html")
async def test_binary_frame_closes_with_1003(client: ChatClient) -> None:
    """A binary frame on this text-only API closes the connection with 1003."""
    await client.connection.send(b"\x00\x01binary")
    code, _ = await client.wait_closed()
    assert code == 1003


@pytest.mark.aws_doc(LIMITS_PAGE)
async def test_idle_connection_closes_with_1001(timers_stack: ChatStack) -> None:
    """A connection without client frames for the idle timeout closes with 1001."""
    client = await ChatClient.connect(timers_stack.ws_url, "idler")
    code, reason = await client.wait_closed(timeout=5)
    assert code == 1001
    assert reason


@pytest.mark.aws_doc(LIMITS_PAGE)
async def test_client_frames_keep_a_connection_from_idling(timers_stack: ChatStack) -> None:
    """Frames from the client reset the idle timer."""
    client = await ChatClient.connect(timers_stack.ws_url, "chatty")
    for _ in range(4):
        await asyncio.sleep(0.4)
        await client.whoami()
    assert client.close_code is None
    await client.close()


@pytest.mark.aws_doc(LIMITS_PAGE)
async def test_connection_closes_with_1001_at_its_maximum_duration(
    timers_stack: ChatStack,
) -> None:
    """Even an active connection is closed with 1001 when its maximum duration is reached."""
    client = await ChatClient.connect(timers_stack.ws_url, "marathon")
    for _ in range(30):
        await asyncio.sleep(0.3)
        if client.closed:
            break
        with contextlib.suppress(ConnectionClosed):
            await client.send({"action": "whoami"})
    assert client.close_code == 1001
    assert len(client.matching(lambda f: f.get("type") == "identity")) >= 5
