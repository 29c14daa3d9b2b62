"""The REQUEST authorizer on $connect (apigateway-websocket-api-lambda-auth.html)."""

from __future__ import annotations

import json
import time

import jwt
import pytest
from websockets.exceptions import InvalidStatus

from chatserver.handlers.authorizer import issue_token
from chatserver.testing import ChatClient, ChatStack
from tests.conformance.conftest import AUTH_SECRET

pytestmark = pytest.mark.asyncio

PAGE = "apigateway-websocket-api-lambda-auth.html"


async def _refused_status(stack: ChatStack, params: dict[str, str]) -> int:
    with pytest.raises(InvalidStatus) as refused:
        await ChatClient.connect(stack.ws_url, None, "secured", params=params)
    return refused.value.response.status_code


@pytest.mark.aws_doc(PAGE)
async def test_missing_token_is_401(auth_stack: ChatStack) -> None:
    """Without the identity source (?token=) the handshake is refused with 401."""
    assert await _refused_status(auth_stack, {"name": "alice"}) == 401


@pytest.mark.aws_doc(PAGE)
async def test_expired_token_is_401(auth_stack: ChatStack) -> None:
    """An expired token makes the authorizer answer Unauthorized: 401."""
    past = int(time.time()) - 3600
    token = jwt.encode({"sub": "alice", "iat": past, "exp": past + 60}, AUTH_SECRET, "HS256")
    assert await _refused_status(auth_stack, {"token": token}) == 401


@pytest.mark.aws_doc(PAGE)
async def test_forged_token_is_403(auth_stack: ChatStack) -> None:
    """A token signed with another secret gets a Deny policy: 403."""
    token = issue_token("another-secret-another-secret-0123", "alice")
    assert await _refused_status(auth_stack, {"token": token}) == 403


@pytest.mark.aws_doc(PAGE)
async def test_malformed_token_is_403(auth_stack: ChatStack) -> None:
    """A token that is not a JWT gets a Deny policy: 403."""
    assert await _refused_status(auth_stack, {"token": "not-a-jwt"}) == 403


@pytest.mark.aws_doc(PAGE)
async def test_valid_token_names_the_user(auth_stack: ChatStack) -> None:
    """With a valid token the user is the token's sub, whatever ?name= says."""
    token = issue_token(AUTH_SECRET, "alice")
    client = await ChatClient.connect(
        auth_stack.ws_url, "mallory", "secured", params={"token": token}
    )
    try:
        assert (await client.whoami())["user"] == "alice"
    finally:
        await client.close()


@pytest.mark.aws_doc(PAGE)
async def test_authorizer_context_reaches_every_later_event(auth_stack: ChatStack) -> None:
    """The authorizer's principalId and context are requestContext.authorizer of later events."""
    token = issue_token(AUTH_SECRET, "alice")
    client = await ChatClient.connect(auth_stack.ws_url, None, "secured", params={"token": token})
    try:
        answer = await client.request({"action": "echo"}, "echo")
    finally:
        await client.close()
    authorizer = answer["event"]["requestContext"]["authorizer"]
    assert authorizer["principalId"] == "alice"
    assert authorizer["user"] == "alice"
    assert isinstance(authorizer["expiresAt"], int)
    assert json.dumps(authorizer)
