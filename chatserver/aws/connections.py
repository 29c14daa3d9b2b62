"""The connections table: who is connected, to which room, since when."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chatserver.aws.dynamo import from_item, to_item
from chatserver.aws.names import ROOM_INDEX
from chatserver.aws.tables import TTL_ATTRIBUTE

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

#: API Gateway closes every connection after two hours; the row expires an hour after that in
#: case its $disconnect never ran.
ROW_LIFETIME_SECONDS = 3 * 60 * 60


@dataclass(frozen=True)
class Connection:
    """One open WebSocket connection, as stored."""

    connection_id: str
    room: str
    user_name: str
    connected_at: int  # epoch milliseconds

    def to_values(self) -> dict[str, Any]:
        return {
            "connectionId": self.connection_id,
            "room": self.room,
            "userName": self.user_name,
            "connectedAt": self.connected_at,
            TTL_ATTRIBUTE: self.connected_at // 1000 + ROW_LIFETIME_SECONDS,
        }

    @classmethod
    def from_values(cls, values: dict[str, Any]) -> Connection:
        return cls(
            connection_id=str(values["connectionId"]),
            room=str(values["room"]),
            user_name=str(values["userName"]),
            connected_at=int(values.get("connectedAt", 0)),
        )


class ConnectionStore:
    """Reads and writes the connections table."""

    def __init__(self, dynamodb: DynamoDBClient, table: str) -> None:
        self._dynamodb = dynamodb
        self._table = table

    def put(self, connection: Connection) -> None:
        self._dynamodb.put_item(TableName=self._table, Item=to_item(connection.to_values()))

    def get(self, connection_id: str) -> Connection | None:
        response = self._dynamodb.get_item(
            TableName=self._table, Key=to_item({"connectionId": connection_id})
        )
        item = response.get("Item")
        return Connection.from_values(from_item(item)) if item else None

    def delete(self, connection_id: str) -> Connection | None:
        """Remove a connection; the removed row, or None if there was none."""
        response = self._dynamodb.delete_item(
            TableName=self._table,
            Key=to_item({"connectionId": connection_id}),
            ReturnValues="ALL_OLD",
        )
        old = response.get("Attributes")
        return Connection.from_values(from_item(old)) if old else None

    def delete_if_connected_before(self, connection_id: str, before_ms: int) -> Connection | None:
        """Remove a connection found gone, unless it connected at or after ``before_ms``.

        A connection whose $connect is still running is also "gone" for @connections; the
        condition keeps such a fresh row from being taken for a stale one.
        """
        try:
            response = self._dynamodb.delete_item(
                TableName=self._table,
                Key=to_item({"connectionId": connection_id}),
                ConditionExpression="connectedAt < :before",
                ExpressionAttributeValues=to_item({":before": before_ms}),
                ReturnValues="ALL_OLD",
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            return None
        old = response.get("Attributes")
        return Connection.from_values(from_item(old)) if old else None

    def in_room(self, room: str) -> Iterator[Connection]:
        """Every connection of ``room`` (the index is eventually consistent on AWS)."""
        paginator = self._dynamodb.get_paginator("query")
        pages = paginator.paginate(
            TableName=self._table,
            IndexName=ROOM_INDEX,
            KeyConditionExpression="room = :room",
            ExpressionAttributeValues=to_item({":room": room}),
        )
        for page in pages:
            for item in page.get("Items", []):
                yield Connection.from_values(from_item(item))
