"""Calls served by moto in the calling process answer exactly as the emulator does over HTTP.

Each test runs the same calls through a client attached in-process (``inprocess.attach``,
moto in this test process) and through a plain client of the embedded emulator's HTTP
endpoint, and compares what boto3 returns or raises.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError

from chatserver.emulator import inprocess
from chatserver.testing import ChatStack

pytestmark = pytest.mark.backend(
    "embedded", reason="checks chatserver's own in-process transport into moto"
)

Client = Any


def _client(service: str, endpoint_url: str) -> Client:
    return boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )


@pytest.fixture
def pair(chat_stack: ChatStack) -> Callable[[str], tuple[Client, Client]]:
    """(in-process client, HTTP client of the stack's emulator) for a service."""

    def make(service: str) -> tuple[Client, Client]:
        local = inprocess.attach(_client(service, "http://127.0.0.1:9"))  # never contacted
        return local, _client(service, chat_stack.endpoint.url)

    return make


def _table(dynamodb: Client, name: str) -> None:
    dynamodb.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "room", "KeyType": "HASH"},
            {"AttributeName": "id", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "room", "AttributeType": "S"},
            {"AttributeName": "id", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def _plain(response: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in response.items() if key != "ResponseMetadata"}


def _both(pair: Callable[[str], tuple[Client, Client]], run: Callable[[Client], Any]) -> list[Any]:
    local, remote = pair("dynamodb")
    table = f"t{uuid.uuid4().hex[:12]}"
    results = []
    for client in (local, remote):
        _table(client, table)
        results.append(run(client))
    return results


def _query_pages(dynamodb: Client) -> list[dict[str, Any]]:
    table = dynamodb.list_tables()["TableNames"][-1]
    for index in range(7):
        item = {"room": {"S": "r"}, "id": {"S": f"{index:03d}"}, "n": {"N": str(index)}}
        dynamodb.put_item(TableName=table, Item=item)
    pages, start = [], None
    while True:
        extra = {"ExclusiveStartKey": start} if start else {}
        page = dynamodb.query(
            TableName=table,
            KeyConditionExpression="room = :r",
            ExpressionAttributeValues={":r": {"S": "r"}},
            ScanIndexForward=False,
            Limit=3,
            **extra,
        )
        pages.append(_plain(page))
        start = page.get("LastEvaluatedKey")
        if not start:
            return pages


def test_query_pages_are_the_same(pair: Callable[[str], tuple[Client, Client]]) -> None:
    """A paged, descending query returns the same items and page keys in-process and over HTTP."""
    local, remote = _both(pair, _query_pages)
    assert local == remote
    assert len(local) == 3


def _failed_condition(dynamodb: Client) -> dict[str, Any]:
    table = dynamodb.list_tables()["TableNames"][-1]
    item = {"room": {"S": "r"}, "id": {"S": "1"}, "text": {"S": "first"}}
    dynamodb.put_item(TableName=table, Item=item)
    with pytest.raises(dynamodb.exceptions.ConditionalCheckFailedException) as failed:
        dynamodb.put_item(
            TableName=table,
            Item={**item, "text": {"S": "second"}},
            ConditionExpression="attribute_not_exists(id)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    return {"Error": failed.value.response["Error"], "Item": failed.value.response.get("Item")}


def test_a_failed_condition_raises_with_the_old_item(
    pair: Callable[[str], tuple[Client, Client]],
) -> None:
    """ConditionalCheckFailedException carries the same error and modeled Item both ways."""
    local, remote = _both(pair, _failed_condition)
    assert local == remote
    assert local["Item"]["text"] == {"S": "first"}


def test_an_unknown_table_raises_the_same_error(
    pair: Callable[[str], tuple[Client, Client]],
) -> None:
    """A call on a missing table raises ResourceNotFoundException with the same message."""
    errors = []
    for client in pair("dynamodb"):
        with pytest.raises(ClientError) as raised:
            client.get_item(TableName="no-such-table", Key={"room": {"S": "r"}, "id": {"S": "1"}})
        errors.append(raised.value.response["Error"])
    assert errors[0] == errors[1]
    assert errors[0]["Code"] == "ResourceNotFoundException"


def test_put_events_answers_with_an_event_id(
    pair: Callable[[str], tuple[Client, Client]],
) -> None:
    """EventBridge's PutEvents is served in-process and answers like the emulator."""
    shapes = []
    for client in pair("events"):
        response = client.put_events(
            Entries=[{"Source": "test", "DetailType": "t", "Detail": "{}"}]
        )
        shapes.append((response["FailedEntryCount"], sorted(response["Entries"][0])))
    assert shapes[0] == shapes[1] == (0, ["EventId"])


def test_other_services_are_left_to_http() -> None:
    """A client of a service not served in-process still sends its calls over HTTP."""
    s3 = inprocess.attach(_client("s3", "http://127.0.0.1:9"))
    with pytest.raises(EndpointConnectionError):
        s3.list_buckets()


def test_attaching_twice_registers_one_handler() -> None:
    """attach is idempotent: a cached client attached again still answers once, correctly."""
    client = inprocess.attach(inprocess.attach(_client("dynamodb", "http://127.0.0.1:9")))
    assert "TableNames" in client.list_tables()


def test_the_moto_and_botocore_internals_used_are_there() -> None:
    """The internals the transport relies on keep the shape it was checked against."""
    from botocore.endpoint import convert_to_response_dict
    from moto.core.request import Request
    from moto.dynamodb.urls import url_paths as dynamodb_paths
    from moto.events.urls import url_paths as events_paths
    from moto.stepfunctions.parser.asl.utils import boto_client

    assert len(dynamodb_paths) == len(events_paths) == 1
    assert callable(Request.from_primitives)
    assert callable(convert_to_response_dict)
    assert hasattr(boto_client, "boto3")
    client = _client("dynamodb", "http://127.0.0.1:9")
    assert callable(client._user_agent_creator.to_string)
