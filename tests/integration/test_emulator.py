"""The embedded emulator holds up under the concurrency the chat puts on it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from chatserver.aws.dynamo import to_item
from chatserver.testing import ChatStack

pytestmark = pytest.mark.backend(
    "embedded", reason="checks chatserver's own fixes to the embedded emulator (moto)"
)


def test_concurrent_writes_and_queries_all_succeed(chat_stack: ChatStack, chat_room: str) -> None:
    """Queries of the room index while other threads insert rows never fail."""
    dynamodb = chat_stack.client("dynamodb")
    table = chat_stack.names.connections_table

    def insert(index: int) -> None:
        row = {"connectionId": f"Stress{index:09d}=", "room": chat_room, "userName": "u"}
        dynamodb.put_item(TableName=table, Item=to_item({**row, "connectedAt": 1}))

    def query(_: int) -> int:
        found = dynamodb.query(
            TableName=table,
            IndexName="room-index",
            KeyConditionExpression="room = :room",
            ExpressionAttributeValues=to_item({":room": chat_room}),
        )
        return int(found["Count"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        writes = [pool.submit(insert, index) for index in range(120)]
        reads = [pool.submit(query, index) for index in range(120)]
        counts = [read.result() for read in reads]
        for write in writes:
            write.result()
    assert max(counts) <= 120
    assert query(0) == 120
