"""The Lambda Invoke API the gateway serves, through boto3's own lambda client."""

from __future__ import annotations

import asyncio
import json

import boto3
import pytest

from chatserver.testing import ChatStack
from tests.recorded import recorded

pytestmark = pytest.mark.asyncio


def _lambda(chat_stack: ChatStack):  # type: ignore[no-untyped-def]
    return boto3.client(
        "lambda",
        endpoint_url=chat_stack.http_url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


async def test_invoke_runs_the_handler_and_returns_its_result(chat_stack: ChatStack) -> None:
    """Invoke with a recorded task input returns the broadcast handler's result."""
    response = await asyncio.to_thread(
        _lambda(chat_stack).invoke,
        FunctionName=chat_stack.names.function("broadcast"),
        Payload=json.dumps(recorded("stepfunctions-broadcast-input")).encode(),
    )
    assert response["StatusCode"] == 200
    assert "FunctionError" not in response
    assert json.loads(response["Payload"].read())["delivered"] == 0


async def test_handler_error_is_a_function_error(chat_stack: ChatStack) -> None:
    """A handler that raises answers 200 with FunctionError Unhandled, as Lambda does."""
    response = await asyncio.to_thread(
        _lambda(chat_stack).invoke,
        FunctionName=chat_stack.names.function("broadcast"),
        Payload=b'{"room": 1}',
    )
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(response["Payload"].read())["errorType"] == "InvalidMessage"


async def test_unknown_function_is_resource_not_found(chat_stack: ChatStack) -> None:
    """Invoking a function that does not exist raises ResourceNotFoundException."""
    client = _lambda(chat_stack)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        await asyncio.to_thread(
            client.invoke, FunctionName=chat_stack.names.function("nope"), Payload=b"{}"
        )


async def test_event_invocation_is_accepted_at_once(chat_stack: ChatStack) -> None:
    """An asynchronous (Event) invocation answers 202."""
    response = await asyncio.to_thread(
        _lambda(chat_stack).invoke,
        FunctionName=chat_stack.names.function("broadcast"),
        InvocationType="Event",
        Payload=json.dumps(recorded("stepfunctions-broadcast-input")).encode(),
    )
    assert response["StatusCode"] == 202
