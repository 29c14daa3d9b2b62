"""The embedded emulator's HTTP server keeps connections open without mixing up requests, and
its projection shortcut answers like DynamoDB."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest

from chatserver.aws.dynamo import from_item, to_item
from chatserver.testing import ChatStack

pytestmark = pytest.mark.backend(
    "embedded", reason="checks chatserver's own changes to the embedded emulator (moto)"
)

LIST_TABLES = {
    "X-Amz-Target": "DynamoDB_20120810.ListTables",
    "Content-Type": "application/x-amz-json-1.0",
    "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, "
    "SignedHeaders=host, Signature=0",
}


def _connection(chat_stack: ChatStack) -> http.client.HTTPConnection:
    parts = urlsplit(chat_stack.endpoint.url)
    assert parts.hostname is not None
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)


def _list_tables(connection: http.client.HTTPConnection) -> http.client.HTTPResponse:
    connection.request("POST", "/", body=b"{}", headers=LIST_TABLES)
    response = connection.getresponse()
    response.read()
    return response


def test_requests_share_one_connection(chat_stack: ChatStack) -> None:
    """Consecutive requests with framed bodies are answered on the same TCP connection."""
    connection = _connection(chat_stack)
    try:
        first = _list_tables(connection)
        sock = connection.sock
        second = _list_tables(connection)
        assert (first.status, second.status) == (200, 200)
        assert not first.will_close
        assert connection.sock is sock
    finally:
        connection.close()


def test_a_body_moto_never_reads_does_not_leak_into_the_next_request(
    chat_stack: ChatStack,
) -> None:
    """A request answered without reading its body leaves the next request on the line intact."""
    connection = _connection(chat_stack)
    try:
        connection.request("POST", "/moto-api/no-such-page", body=b"x" * 5000)
        refused = connection.getresponse()
        refused.read()
        sock = connection.sock
        after = _list_tables(connection)
        assert refused.status >= 400
        assert not refused.will_close
        assert after.status == 200
        assert connection.sock is sock
    finally:
        connection.close()


def test_a_chunked_request_closes_its_connection(chat_stack: ChatStack) -> None:
    """A body whose end only its chunks tell is answered, then the connection is closed."""
    connection = _connection(chat_stack)
    try:
        connection.request(
            "POST", "/", body=iter([b"{", b"}"]), headers=LIST_TABLES, encode_chunked=True
        )
        response = connection.getresponse()
        body = json.loads(response.read())
        assert response.status == 200
        assert "TableNames" in body
        assert response.will_close
    finally:
        connection.close()


def test_index_query_projects_only_the_named_attributes(
    chat_stack: ChatStack, chat_room: str
) -> None:
    """A room-index query returns the projected attributes the index holds, and no others."""
    dynamodb = chat_stack.client("dynamodb")
    table = chat_stack.names.connections_table
    row = {"connectionId": "Projection01=", "room": chat_room, "userName": "ada", "connectedAt": 7}
    dynamodb.put_item(TableName=table, Item=to_item({**row, "extra": {"nested": ["a", 1]}}))
    found = dynamodb.query(
        TableName=table,
        IndexName="room-index",
        KeyConditionExpression="room = :room",
        ExpressionAttributeValues=to_item({":room": chat_room}),
        ProjectionExpression="connectionId, connectedAt, extra",
    )["Items"]
    assert [from_item(item) for item in found] == [
        {"connectionId": "Projection01=", "connectedAt": 7}
    ]


def test_table_query_projects_maps_and_lists_whole(chat_stack: ChatStack, chat_room: str) -> None:
    """Projecting a map next to scalars returns the map unchanged (moto's own path)."""
    dynamodb = chat_stack.client("dynamodb")
    table = chat_stack.names.connections_table
    extra = {"nested": ["a", 1], "flag": True}
    row = {"connectionId": "Projection02=", "room": chat_room, "userName": "bo", "extra": extra}
    dynamodb.put_item(TableName=table, Item=to_item(row))
    found = dynamodb.query(
        TableName=table,
        KeyConditionExpression="connectionId = :id",
        ExpressionAttributeValues=to_item({":id": "Projection02="}),
        ProjectionExpression="userName, extra",
    )["Items"]
    assert [from_item(item) for item in found] == [{"userName": "bo", "extra": extra}]
