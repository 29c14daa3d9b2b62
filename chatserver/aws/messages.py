"""The messages table: storing a room's messages in order, once each, and reading history."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

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


def message_frame_from_record(record: dict[str, Any]) -> MessageFrame:
    """The message an idempotency record holds."""
    return message_from_item(record["message"])


def _sequence_key(room: str) -> dict[str, str]:
    return {"room": f"{room}#sequence", "messageId": "-"}


def _client_key(room: str, sender: str, client_message_id: str) -> dict[str, str]:
    # Names cannot contain ':', so the sort key is unambiguous.
    return {"room": f"{room}#client", "messageId": f"{sender}:{client_message_id}"}


class MessageStore:
    """Appends messages under per-room sequence numbers and pages through them.

    A room's counter is incremented atomically, so message ids sort in the order messages were
    stored. A message sent with a ``clientMessageId`` first claims an idempotency record
    (a conditional put) that holds the whole message, then is written under its id. A retry
    finds the record and gets the first message back instead of a second copy; if the first
    attempt died between the two writes, the retry writes the message from the record, so a
    claimed message is never lost. Each retry burns a sequence number: ids have gaps, never
    repeats. (Two conditional puts rather than a transaction: half the write cost on AWS.)
    """

    def __init__(self, dynamodb: DynamoDBClient, table: str) -> None:
        self._dynamodb = dynamodb
        self._table = table

    def append(
        self, *, room: str, sender: str, text: str, client_message_id: str | None
    ) -> Appended:
        """Store a message; ``created`` says whether this call wrote it (so that exactly one of
        concurrent retries publishes it, and a message a crashed attempt claimed is written)."""
        sequence = self._next_sequence(room)
        message = message_frame(
            room=room,
            message_id=message_id(sequence),
            client_message_id=client_message_id,
            sender=sender,
            text=text,
            sent_at=iso_ms(now_ms()),
        )
        if client_message_id is not None:
            claimed = self._claim(room, sender, client_message_id, message)
            if claimed is not None:
                message = claimed
        # Whoever writes the message item publishes it, exactly once: a retry racing the first
        # attempt may write it from the record first, and then the first attempt does not.
        return Appended(message, created=self._put_message(message))

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

    def _claim(
        self, room: str, sender: str, client_message_id: str, message: MessageFrame
    ) -> MessageFrame | None:
        """Claim ``client_message_id`` for ``message``; the message that claimed it before, if
        any (then ``message`` is discarded)."""
        record = {
            **_client_key(room, sender, client_message_id),
            "message": {key: value for key, value in message.items() if key != "type"},
            TTL_ATTRIBUTE: int(time.time()) + IDEMPOTENCY_WINDOW_SECONDS,
        }
        try:
            self._dynamodb.put_item(
                TableName=self._table,
                Item=to_item(record),
                ConditionExpression="attribute_not_exists(messageId)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException as failed:
            previous: Any = failed.response.get("Item")
            if not previous:
                previous = self._record(room, sender, client_message_id)
            return message_frame_from_record(from_item(previous))
        return None

    def _record(self, room: str, sender: str, client_message_id: str) -> dict[str, Any]:
        response = self._dynamodb.get_item(
            TableName=self._table,
            Key=to_item(_client_key(room, sender, client_message_id)),
            ConsistentRead=True,
        )
        return dict(response["Item"])

    def _put_message(self, message: MessageFrame) -> bool:
        """Write ``message`` under its id; False if it is already there."""
        item = to_item({key: value for key, value in message.items() if key != "type"})
        try:
            self._dynamodb.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="attribute_not_exists(messageId)",
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            return False
        return True
