"""Reading what happened in the backend: state machine executions, stored messages, connections.

Everything is read from the emulator through boto3, as a test would check a deployed stack.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chatserver.aws.connections import Connection
from chatserver.aws.dynamo import from_item, to_item
from chatserver.aws.names import ROOM_INDEX, ResourceNames
from chatserver.chat.frames import MessageFrame, message_from_item


@dataclass(frozen=True)
class Execution:
    """One message-distribution execution: its event (input), status and output."""

    arn: str
    status: str
    started_at: datetime
    input: dict[str, Any]
    output: dict[str, Any] | None

    @property
    def detail_type(self) -> str:
        return str(self.input.get("detail-type", ""))

    @property
    def frame(self) -> dict[str, Any]:
        """The frame this execution fanned out."""
        detail = self.input.get("detail") or {}
        return dict(detail.get("frame") or {})

    @property
    def room(self) -> str | None:
        return (self.input.get("detail") or {}).get("room")


class Observer:
    """Queries the emulator behind a running stack."""

    def __init__(self, clients: Any, names: ResourceNames, state_machine_arn: str) -> None:
        self._client = clients
        self._names = names
        self._state_machine_arn = state_machine_arn

    def executions(
        self, *, room: str | None = None, since: datetime | None = None
    ) -> list[Execution]:
        """Executions of the state machine, oldest first (of ``room``, started after ``since``)."""
        sfn = self._client("stepfunctions")
        found = []
        for page in sfn.get_paginator("list_executions").paginate(
            stateMachineArn=self._state_machine_arn
        ):
            for summary in page["executions"]:
                if since is not None and summary["startDate"] < since:
                    continue
                described = sfn.describe_execution(executionArn=summary["executionArn"])
                execution = Execution(
                    arn=described["executionArn"],
                    status=described["status"],
                    started_at=described["startDate"],
                    input=json.loads(described.get("input") or "{}"),
                    output=json.loads(described["output"]) if described.get("output") else None,
                )
                if room is None or execution.room == room:
                    found.append(execution)
        return sorted(found, key=lambda execution: execution.started_at)

    def fanout_of(self, message_id: str, room: str, timeout: float = 10.0) -> Execution:
        """The finished execution that fanned out message ``message_id`` of ``room``."""
        deadline = time.monotonic() + timeout
        while True:
            for execution in self.executions(room=room):
                finished = execution.status != "RUNNING"
                if finished and execution.frame.get("messageId") == message_id:
                    return execution
            if time.monotonic() > deadline:
                raise TimeoutError(f"no finished execution fanned out {message_id} in {room}")
            time.sleep(0.1)

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        """The execution's history events (type, timestamps, state inputs and outputs)."""
        sfn = self._client("stepfunctions")
        events: list[dict[str, Any]] = []
        for page in sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn):
            events.extend(page["events"])
        return events

    def messages(self, room: str) -> list[MessageFrame]:
        """Every stored message of the room, oldest first."""
        dynamodb = self._client("dynamodb")
        found: list[MessageFrame] = []
        for page in dynamodb.get_paginator("query").paginate(
            TableName=self._names.messages_table,
            KeyConditionExpression="room = :room",
            ExpressionAttributeValues=to_item({":room": room}),
            ConsistentRead=True,
        ):
            found.extend(message_from_item(from_item(item)) for item in page["Items"])
        return found

    def connections(self, room: str | None = None) -> list[Connection]:
        """Registered connections (of one room, through its index, or all)."""
        dynamodb = self._client("dynamodb")
        if room is None:
            pages = dynamodb.get_paginator("scan").paginate(TableName=self._names.connections_table)
        else:
            pages = dynamodb.get_paginator("query").paginate(
                TableName=self._names.connections_table,
                IndexName=ROOM_INDEX,
                KeyConditionExpression="room = :room",
                ExpressionAttributeValues=to_item({":room": room}),
            )
        return [Connection.from_values(from_item(item)) for page in pages for item in page["Items"]]

    def clear_tables(self) -> int:
        """Delete every item of both tables (connections and messages); how many."""
        dynamodb = self._client("dynamodb")
        deleted = 0
        tables = {
            self._names.connections_table: ("connectionId",),
            self._names.messages_table: ("room", "messageId"),
        }
        for table, keys in tables.items():
            for page in dynamodb.get_paginator("scan").paginate(TableName=table):
                requests = [
                    {"DeleteRequest": {"Key": {key: item[key] for key in keys}}}
                    for item in page["Items"]
                ]
                for start in range(0, len(requests), 25):
                    batch = {table: requests[start : start + 25]}
                    while batch:
                        unprocessed = dynamodb.batch_write_item(RequestItems=batch)
                        batch = unprocessed.get("UnprocessedItems") or {}
                deleted += len(requests)
        return deleted
