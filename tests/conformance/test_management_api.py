"""The @connections management API through boto3's own apigatewaymanagementapi client
(apigateway-how-to-call-websocket-api-connections.html)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from botocore.exceptions import ClientError

from chatserver.testing import ChatClient, ChatStack, of_type
from chatserver.testing.plugin import ClientFactory
from chatserver.testing.signing import sigv4_headers

pytestmark = pytest.mark.asyncio

PAGE = "apigateway-how-to-call-websocket-api-connections.html"


async def _connection_id(client) -> str:  # type: ignore[no-untyped-def]
    return str((await client.whoami())["connectionId"])


@pytest.mark.aws_doc(PAGE)
async def test_post_to_connection_delivers_the_data(
    chat_stack: ChatStack, chat_client: ClientFactory, chat_room: str
) -> None:
    """PostToConnection sends the posted bytes to the client as one frame."""
    alice = await chat_client("alice", chat_room)
    connection_id = await _connection_id(alice)
    api = chat_stack.management_client()
    payload = {"type": "notice", "text": "from the backend é"}
    await asyncio.to_thread(
        api.post_to_connection, ConnectionId=connection_id, Data=json.dumps(payload).encode()
    )
    assert await alice.expect(of_type("notice")) == payload


@pytest.mark.aws_doc(PAGE)
async def test_get_connection_reports_times_and_identity(
    chat_stack: ChatStack, chat_client: ClientFactory, chat_room: str
) -> None:
    """GetConnection returns connectedAt, lastActiveAt and the client's IP and user agent."""
    alice = await chat_client("alice", chat_room, user_agent_header="chat-test/1.0")
    connection_id = await _connection_id(alice)
    info = await asyncio.to_thread(
        chat_stack.management_client().get_connection, ConnectionId=connection_id
    )
    now = datetime.now(UTC)
    assert now - timedelta(seconds=30) < info["ConnectedAt"] <= info["LastActiveAt"] <= now
    assert info["Identity"] == {"SourceIp": "127.0.0.1", "UserAgent": "chat-test/1.0"}


@pytest.mark.aws_doc(PAGE)
async def test_last_active_at_moves_with_client_frames(
    chat_stack: ChatStack, chat_client: ClientFactory, chat_room: str
) -> None:
    """lastActiveAt is the time of the client's latest frame."""
    alice = await chat_client("alice", chat_room)
    connection_id = await _connection_id(alice)
    api = chat_stack.management_client()
    before = await asyncio.to_thread(api.get_connection, ConnectionId=connection_id)
    await asyncio.sleep(0.05)
    await alice.whoami()
    after = await asyncio.to_thread(api.get_connection, ConnectionId=connection_id)
    assert after["LastActiveAt"] > before["LastActiveAt"]
    assert after["ConnectedAt"] == before["ConnectedAt"]


@pytest.mark.aws_doc(PAGE)
async def test_delete_connection_closes_the_socket_and_runs_disconnect(
    chat_stack: ChatStack, chat_client: ClientFactory, chat_room: str
) -> None:
    """DeleteConnection closes the client's socket (1000) and $disconnect announces it."""
    watcher = await chat_client("watcher", chat_room)
    alice = await chat_client("alice", chat_room)
    connection_id = await _connection_id(alice)
    await asyncio.to_thread(
        chat_stack.management_client().delete_connection, ConnectionId=connection_id
    )
    code, _ = await alice.wait_closed()
    assert code == 1000
    await watcher.expect(of_type("presence", user="alice", status="offline"))


@pytest.mark.aws_doc(PAGE)
@pytest.mark.parametrize("operation", ["post_to_connection", "get_connection", "delete_connection"])
async def test_unknown_connection_is_gone(chat_stack: ChatStack, operation: str) -> None:
    """Every operation on an id that never existed raises GoneException (410)."""
    api = chat_stack.management_client()
    kwargs: dict[str, object] = {"ConnectionId": "R1kmxc2VNjMCFIA="}
    if operation == "post_to_connection":
        kwargs["Data"] = b"hi"
    with pytest.raises(api.exceptions.GoneException) as gone:
        await asyncio.to_thread(getattr(api, operation), **kwargs)
    assert gone.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410


@pytest.mark.aws_doc(PAGE)
async def test_closed_connection_is_gone(
    chat_stack: ChatStack, chat_client: ClientFactory, chat_room: str
) -> None:
    """Posting to a connection after its client closed raises GoneException."""
    alice = await chat_client("alice", chat_room)
    connection_id = await _connection_id(alice)
    await alice.close()
    api = chat_stack.management_client()
    with pytest.raises(api.exceptions.GoneException):
        await asyncio.to_thread(api.post_to_connection, ConnectionId=connection_id, Data=b"x")


@pytest.mark.aws_doc(PAGE)
async def test_connection_id_is_url_encoded_by_clients(
    chat_stack: ChatStack, chat_client: ClientFactory, chat_room: str
) -> None:
    """The raw path uses %40connections and %3D, as SDKs send it, and is decoded."""
    alice = await chat_client("alice", chat_room)
    connection_id = await _connection_id(alice)
    encoded = connection_id.replace("=", "%3D")
    url = f"{chat_stack.management_url}/%40connections/{encoded}"
    body = b'{"type": "raw"}'
    async with httpx.AsyncClient() as http:
        response = await http.post(url, content=body, headers=sigv4_headers("POST", url, body))
    assert response.status_code == 200
    await alice.expect(of_type("raw"))


@pytest.mark.aws_doc("apigateway-execution-service-websocket-limits-table.html")
async def test_oversized_post_is_payload_too_large(
    chat_stack: ChatStack, chat_client: ClientFactory, chat_room: str
) -> None:
    """A body over 128 KiB answers 413 PayloadTooLargeException; the connection stays."""
    alice = await chat_client("alice", chat_room)
    connection_id = await _connection_id(alice)
    api = chat_stack.management_client()
    with pytest.raises(ClientError) as refused:
        await asyncio.to_thread(
            api.post_to_connection, ConnectionId=connection_id, Data=b"x" * (128 * 1024 + 1)
        )
    assert refused.value.response["Error"]["Code"] == "PayloadTooLargeException"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    await asyncio.to_thread(
        api.post_to_connection, ConnectionId=connection_id, Data=b'{"type": "fits"}'
    )
    await alice.expect(of_type("fits"))


@pytest.mark.aws_doc(PAGE)
async def test_malformed_connection_id_is_bad_request(chat_stack: ChatStack) -> None:
    """An id that cannot be a connection id answers 400 BadRequestException."""
    url = f"{chat_stack.management_url}/@connections/nope"
    async with httpx.AsyncClient() as http:
        response = await http.post(url, content=b"x", headers=sigv4_headers("POST", url, b"x"))
    assert response.status_code == 400
    assert response.headers["x-amzn-ErrorType"] == "BadRequestException"


@pytest.mark.aws_doc(PAGE)
async def test_wrong_stage_is_forbidden(chat_stack: ChatStack) -> None:
    """The @connections API answers only under its own stage: 403 elsewhere."""
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{chat_stack.http_url}/prod/@connections/R1kmxc2VNjMCFIA=")
    assert response.status_code == 403
    assert response.headers["x-amzn-ErrorType"] == "ForbiddenException"


@pytest.mark.aws_doc(PAGE)
async def test_unsigned_call_is_forbidden(chat_stack: ChatStack) -> None:
    """A call without a SigV4 Authorization header answers 403 ForbiddenException."""
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{chat_stack.management_url}/@connections/R1kmxc2VNjMCFIA=")
    assert response.status_code == 403
    assert response.headers["x-amzn-ErrorType"] == "ForbiddenException"
    assert response.json() == {"message": "Missing Authentication Token"}


@pytest.mark.aws_doc(PAGE)
async def test_signature_is_verified_against_configured_credentials(
    guarded_stack: ChatStack,
) -> None:
    """With verification on, a call signed with the configured key is served; others are 403."""
    alice = await ChatClient.connect(guarded_stack.ws_url, "alice")
    try:
        connection_id = await _connection_id(alice)
        url = f"{guarded_stack.management_url}/@connections/{connection_id}"
        good = sigv4_headers(
            "GET",
            url,
            access_key_id="AKIDCONFORMANCE",
            secret_access_key="conformance-secret-key",
        )
        wrong_secret = sigv4_headers(
            "GET", url, access_key_id="AKIDCONFORMANCE", secret_access_key="guess"
        )
        wrong_key = sigv4_headers(
            "GET", url, access_key_id="AKIDOTHER", secret_access_key="conformance-secret-key"
        )
        async with httpx.AsyncClient() as http:
            served = await http.get(url, headers=good)
            forged = await http.get(url, headers=wrong_secret)
            stranger = await http.get(url, headers=wrong_key)
    finally:
        await alice.close()
    assert served.status_code == 200
    assert (forged.status_code, stranger.status_code) == (403, 403)
    assert forged.headers["x-amzn-ErrorType"] == "ForbiddenException"


@pytest.mark.aws_doc(PAGE)
async def test_handlers_sign_with_the_configured_credentials(guarded_stack: ChatStack) -> None:
    """With verification on, the chat still works: handlers sign with the same credentials."""
    alice = await ChatClient.connect(guarded_stack.ws_url, "alice", "signed-room")
    try:
        frame = await alice.say("signed and delivered")
    finally:
        await alice.close()
    assert frame["text"] == "signed and delivered"


@pytest.mark.aws_doc(PAGE)
async def test_calls_past_the_rate_limit_are_429(throttled_stack: ChatStack) -> None:
    """@connections calls past the configured rate answer 429 LimitExceededException."""
    url = f"{throttled_stack.management_url}/@connections/R1kmxc2VNjMCFIA="
    async with httpx.AsyncClient() as http:
        responses = [await http.get(url, headers=sigv4_headers("GET", url)) for _ in range(8)]
    codes = [response.status_code for response in responses]
    assert codes[:4] == [410, 410, 410, 410]
    assert 429 in codes[4:]
    throttled = responses[codes.index(429)]
    assert throttled.headers["x-amzn-ErrorType"] == "LimitExceededException"
