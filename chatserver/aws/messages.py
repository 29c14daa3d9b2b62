"""The messages table: storing a room's messages in order, once each, and reading history."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chatserver.aws.dynamo import from_item, to_item
from chatserver.aws.tables import TTL_ATTRIBUTE
from chatserver.chat.clock import iso_ms, now_ms
from chatserver.chat.frames import MessageFrame, message_frame, message_from_item
from chatserver.chat.ids import message_id

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

#: How long a clientMessageId is remembered: a retry later than this is a new message.
IDEMPOTENCY_WINDOW_SECONDS = 24 * 60 * 60


@dataclass(frozen=True)
class Appended:
    """The outcome of storing a message: the message, and whether this call stored it."""

    message: MessageFrame
    created: bool


def _sequence_key(room: str) -> dict[str, str]:
    return {"room": f"{room}#sequence", "messageId": "-"}


def _client_key(room: str, sender: str, client_message_id: str) -> dict[str, str]:
    # Names cannot contain ':', so the sort key is unambiguous.
    return {"room": f"{room}#client", "messageId": f"{sender}:{client_message_id}"}


class MessageStore:
    """Appends messages under per-room sequence numbers and pages through them.

    A room's counter is incremented atomically, so message ids sort in the order messages were
    stored. A message sent with a ``clientMessageId`` is written in one transaction with an
    idempotency record; a retry finds the record and gets the first message back instead of a
    second copy. A retry burns a sequence number, so ids have gaps; they never repeat.
    """

    def __init__(self, dynamodb: DynamoDBClient, table: str) -> None:
        self._dynamodb = dynamodb
        self._table = table

    def append(
        self, *, room: str, sender: str, text: str, client_message_id: str | None
    ) -> Appended:
        sequence = self._next_sequence(room)
        sent_at_ms = now_ms()
        message = message_frame(
            room=room,
            message_id=message_id(sequence),
            client_message_id=client_message_id,
            sender=sender,
            text=text,
            sent_at=iso_ms(sent_at_ms),
        )
        item = to_item({key: value for key, value in message.items() if key != "type"})
        if client_message_id is None:
            self._dynamodb.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="attribute_not_exists(messageId)",
            )
            return Appended(message, created=True)
        record = to_item(
            {
                **_client_key(room, sender, client_message_id),
                "storedMessageId": message["messageId"],
                TTL_ATTRIBUTE: int(time.time()) + IDEMPOTENCY_WINDOW_SECONDS,
            }
        )
        try:
            self._dynamodb.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": record,
                            "ConditionExpression": "attribute_not_exists(messageId)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": item,
                            "ConditionExpression": "attribute_not_exists(messageId)",
                        }
                    },
                ]
            )
        except self._dynamodb.exceptions.TransactionCanceledException:
            existing = self._already_stored(room, sender, client_message_id)
            if existing is None:
                raise
            return Appended(existing, created=False)
        return Appended(message, created=True)

    def history(
        self, room: str, *, limit: int, before: str | None
    ) -> tuple[list[MessageFrame], bool]:
        """The newest ``limit`` messages older than ``before``, oldest first, and if more exist."""
        condition = "room = :room"
        values: dict[str, str] = {":room": room}
        if before is not None:
            condition += " AND messageId < :before"
            values[":before"] = before
        response = self._dynamodb.query(
            TableName=self._table,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=to_item(values),
            ScanIndexForward=False,
            Limit=limit + 1,
            ConsistentRead=True,
        )
        items = [from_item(item) for item in response.get("Items", [])]
        newest_first = [message_from_item(item) for item in items[:limit]]
        return list(reversed(newest_first)), len(items) > limit

    def get(self, room: str, message_id_: str) -> MessageFrame | None:
        response = self._dynamodb.get_item(
            TableName=self._table,
            Key=to_item({"room": room, "messageId": message_id_}),
            ConsistentRead=True,
        )
        item = response.get("Item")
        return message_from_item(from_item(item)) if item else None

    def _next_sequence(self, room: str) -> int:
        response = self._dynamodb.update_item(
            TableName=self._table,
            Key=to_item(_sequence_key(room)),
            UpdateExpression="ADD #seq :one",
            ExpressionAttributeNames={"#seq": "sequence"},
            ExpressionAttributeValues=to_item({":one": 1}),
            ReturnValues="UPDATED_NEW",
        )
        return int(from_item(response["Attributes"])["sequence"])

    def _already_stored(
        self, room: str, sender: str, client_message_id: str
    ) -> MessageFrame | None:
        response = self._dynamodb.get_item(
            TableName=self._table,
            Key=to_item(_client_key(room, sender, client_message_id)),
            ConsistentRead=True,
        )
        record = response.get("Item")
        if not record:
            return None
        return self.get(room, str(from_item(record)["storedMessageId"]))
