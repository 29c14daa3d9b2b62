"""The DynamoDB tables: one definition that provisioning uses and the SAM template is checked
against (keys, index, TTL), so the local and the deployed tables cannot drift apart.

Connections table: one item per open WebSocket connection, keyed by ``connectionId``, with a
``room-index`` GSI (room, connectionId) for fan-out and presence.

Messages table: messages keyed by (``room``, ``messageId``). Two kinds of bookkeeping items
share it under partition keys no room can have (rooms never contain ``#``): the room's sequence
counter at (``{room}#sequence``, ``-``) and one idempotency record per ``clientMessageId`` at
(``{room}#client``, ``{sender}:{clientMessageId}``), which expires after a day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chatserver.aws.names import ROOM_INDEX, ResourceNames

#: Attribute holding an epoch-seconds expiry; DynamoDB's TTL deletes items past it.
TTL_ATTRIBUTE = "expiresAt"


@dataclass(frozen=True)
class TableDefinition:
    """A table's shape in the terms of DynamoDB's CreateTable API."""

    name: str
    key: tuple[tuple[str, str], ...]  # (attribute, HASH | RANGE)
    attributes: tuple[tuple[str, str], ...]  # (attribute, S | N | B)
    indexes: tuple[dict[str, Any], ...] = field(default=())
    ttl_attribute: str | None = TTL_ATTRIBUTE

    def create_table_request(self) -> dict[str, Any]:
        request: dict[str, Any] = {
            "TableName": self.name,
            "KeySchema": [{"AttributeName": a, "KeyType": t} for a, t in self.key],
            "AttributeDefinitions": [
                {"AttributeName": a, "AttributeType": t} for a, t in self.attributes
            ],
            "BillingMode": "PAY_PER_REQUEST",
        }
        if self.indexes:
            request["GlobalSecondaryIndexes"] = [dict(index) for index in self.indexes]
        return request


def connections_table(names: ResourceNames) -> TableDefinition:
    return TableDefinition(
        name=names.connections_table,
        key=(("connectionId", "HASH"),),
        attributes=(("connectionId", "S"), ("room", "S")),
        indexes=(
            {
                "IndexName": ROOM_INDEX,
                "KeySchema": [
                    {"AttributeName": "room", "KeyType": "HASH"},
                    {"AttributeName": "connectionId", "KeyType": "RANGE"},
                ],
                "Projection": {
                    "ProjectionType": "INCLUDE",
                    "NonKeyAttributes": ["userName", "connectedAt"],
                },
            },
        ),
    )


def messages_table(names: ResourceNames) -> TableDefinition:
    return TableDefinition(
        name=names.messages_table,
        key=(("room", "HASH"), ("messageId", "RANGE")),
        attributes=(("room", "S"), ("messageId", "S")),
    )


def all_tables(names: ResourceNames) -> tuple[TableDefinition, ...]:
    return (connections_table(names), messages_table(names))
