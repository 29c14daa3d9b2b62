"""Create every AWS resource chatserver needs, idempotently: a second run against the same
emulator (or a run against resources a LocalStack init hook made) finds them and moves on.

Order matters: tables and the IAM role first, then the broadcast target, the state machine
whose ASL refers to it, and last the bus and the rule that starts the state machine.

The broadcast target depends on the bridge (``CHAT_BROADCAST_BRIDGE``): a Lambda function
record that the embedded emulator forwards to the gateway (``lambda``), or a Step Functions
activity that the gateway's activity worker polls (``activity``, for LocalStack, whose Lambda
needs Docker). Either ARN fills ``${BroadcastFunctionArn}``: a bare task on an activity has the
same input and output as one on a Lambda function, so the ASL file stays the deployed one.
"""

from __future__ import annotations

import io
import json
import logging
import zipfile
from dataclasses import dataclass
from typing import Any, Literal

from botocore.exceptions import ClientError

from chatserver.aws.endpoint import AsyncClients
from chatserver.aws.names import (
    EVENT_SOURCE,
    MESSAGE_SENT,
    PRESENCE_CHANGED,
    ROOM_INDEX,
    ResourceNames,
)
from chatserver.aws.statemachine import definition
from chatserver.aws.tables import TableDefinition, all_tables
from chatserver.errors import BackendError

logger = logging.getLogger("chatserver.provision")

BROADCAST_FUNCTION = "broadcast"

BroadcastBridge = Literal["lambda", "activity"]

#: The rule's event pattern: every event that carries a frame for a room.
FANOUT_PATTERN = {"source": [EVENT_SOURCE], "detail-type": [MESSAGE_SENT, PRESENCE_CHANGED]}

_TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {
                "Service": ["states.amazonaws.com", "events.amazonaws.com", "lambda.amazonaws.com"]
            },
            "Action": "sts:AssumeRole",
        }
    ],
}


@dataclass(frozen=True)
class ProvisionedStack:
    """What provisioning made or found: names and the ARNs that were only known after."""

    names: ResourceNames
    state_machine_arn: str
    broadcast_arn: str  # a Lambda function or a Step Functions activity, per the bridge
    broadcast_bridge: BroadcastBridge = "lambda"


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


async def account_id(clients: AsyncClients) -> str:
    sts = await clients.client("sts")
    identity = await sts.get_caller_identity()
    return str(identity["Account"])


async def provision(
    clients: AsyncClients,
    names: ResourceNames,
    *,
    state_machine_type: str = "STANDARD",
    broadcast_bridge: BroadcastBridge = "lambda",
    activity_run: str | None = None,
) -> ProvisionedStack:
    """Make sure every resource exists and is current; what was made or found.

    With the activity bridge, ``activity_run`` names the activity of one gateway run
    (``{prefix}-broadcast-{run}``): LocalStack keeps a ``GetActivityTask`` poll up to 60 s after
    its client went away and would hand it a task nobody reads, so a gateway restarted with the
    same prefix must not poll (and route tasks to) the activity of the one before.
    """
    for table in all_tables(names):
        await _ensure_table(clients, table)
    role_arn = await _ensure_role(clients, names)
    if broadcast_bridge == "activity":
        broadcast_arn = await _ensure_broadcast_activity(clients, names, activity_run)
    else:
        broadcast_arn = await _ensure_broadcast_function(clients, names, role_arn)
    state_machine_arn = await _ensure_state_machine(
        clients, names, role_arn, broadcast_arn, state_machine_type
    )
    await _ensure_rule(clients, names, role_arn, state_machine_arn)
    return ProvisionedStack(names, state_machine_arn, broadcast_arn, broadcast_bridge)


async def _ensure_table(clients: AsyncClients, table: TableDefinition) -> None:
    dynamodb = await clients.client("dynamodb")
    try:
        await dynamodb.create_table(**table.create_table_request())
        logger.info("created table %s", table.name)
    except ClientError as exc:
        if _error_code(exc) != "ResourceInUseException":
            raise
        await _check_table_shape(dynamodb, table)
    waiter = dynamodb.get_waiter("table_exists")
    await waiter.wait(TableName=table.name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 150})
    if table.ttl_attribute:
        await _ensure_ttl(dynamodb, table)


async def _check_table_shape(dynamodb: Any, table: TableDefinition) -> None:
    """An existing table must have the keys we need; anything else is a clear error."""
    described = (await dynamodb.describe_table(TableName=table.name))["Table"]
    found = {(k["AttributeName"], k["KeyType"]) for k in described["KeySchema"]}
    if found != set(table.key):
        raise BackendError(
            f"table {table.name} exists with keys {sorted(found)}, expected {sorted(table.key)}; "
            "delete it or choose another CHAT_RESOURCE_PREFIX"
        )
    wanted_indexes = {index["IndexName"] for index in table.indexes}
    found_indexes = {i["IndexName"] for i in described.get("GlobalSecondaryIndexes", [])}
    if not wanted_indexes <= found_indexes:
        raise BackendError(
            f"table {table.name} exists without the index {ROOM_INDEX}; "
            "delete it or choose another CHAT_RESOURCE_PREFIX"
        )


async def _ensure_ttl(dynamodb: Any, table: TableDefinition) -> None:
    described = await dynamodb.describe_time_to_live(TableName=table.name)
    status = described.get("TimeToLiveDescription", {}).get("TimeToLiveStatus")
    if status in ("ENABLED", "ENABLING"):
        return
    await dynamodb.update_time_to_live(
        TableName=table.name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
    )


async def _ensure_role(clients: AsyncClients, names: ResourceNames) -> str:
    iam = await clients.client("iam")
    try:
        created = await iam.create_role(
            RoleName=names.role, AssumeRolePolicyDocument=json.dumps(_TRUST_POLICY)
        )
        return str(created["Role"]["Arn"])
    except ClientError as exc:
        if _error_code(exc) != "EntityAlreadyExists":
            raise
    found = await iam.get_role(RoleName=names.role)
    return str(found["Role"]["Arn"])


def _placeholder_code() -> bytes:
    """A stub package for the emulator's function record: the embedded emulator forwards
    every invoke of it to the gateway's local Lambda runtime, so this code never runs."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "forwarded.py",
            "def handler(event, context):\n"
            "    raise RuntimeError('invoked through the chatserver gateway, not here')\n",
        )
    return buffer.getvalue()


async def _ensure_broadcast_function(
    clients: AsyncClients, names: ResourceNames, role_arn: str
) -> str:
    lambda_ = await clients.client("lambda")
    name = names.function(BROADCAST_FUNCTION)
    try:
        created = await lambda_.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role_arn,
            Handler="chatserver.handlers.broadcast.handler",
            Code={"ZipFile": _placeholder_code()},
            Description="Forwarded to the chatserver gateway's local Lambda runtime.",
            Timeout=60,
        )
        return str(created["FunctionArn"])
    except ClientError as exc:
        if _error_code(exc) != "ResourceConflictException":
            raise
    found = await lambda_.get_function(FunctionName=name)
    return str(found["Configuration"]["FunctionArn"])


async def _ensure_broadcast_activity(
    clients: AsyncClients, names: ResourceNames, run: str | None
) -> str:
    """The activity the gateway polls; CreateActivity returns the existing one by name."""
    sfn = await clients.client("stepfunctions")
    name = names.function(BROADCAST_FUNCTION) + (f"-{run}" if run else "")
    created = await sfn.create_activity(name=name)
    return str(created["activityArn"])


async def retire_activity(clients: AsyncClients, activity_arn: str) -> None:
    """Delete a gateway run's activity once its worker stopped (no one polls it any more)."""
    sfn = await clients.client("stepfunctions")
    await sfn.delete_activity(activityArn=activity_arn)


async def _ensure_state_machine(
    clients: AsyncClients,
    names: ResourceNames,
    role_arn: str,
    broadcast_arn: str,
    machine_type: str,
) -> str:
    sfn = await clients.client("stepfunctions")
    text = definition(
        {
            "ConnectionsTableName": names.connections_table,
            "RoomIndexName": ROOM_INDEX,
            "BroadcastFunctionArn": broadcast_arn,
        }
    )
    paginator = sfn.get_paginator("list_state_machines")
    async for page in paginator.paginate():
        for machine in page["stateMachines"]:
            if machine["name"] == names.state_machine:
                arn = str(machine["stateMachineArn"])
                current = await sfn.describe_state_machine(stateMachineArn=arn)
                if current["definition"] != text:
                    await sfn.update_state_machine(
                        stateMachineArn=arn, definition=text, roleArn=role_arn
                    )
                    logger.info("updated state machine %s", names.state_machine)
                return arn
    created = await sfn.create_state_machine(
        name=names.state_machine, definition=text, roleArn=role_arn, type=machine_type
    )
    logger.info("created state machine %s", names.state_machine)
    return str(created["stateMachineArn"])


async def _ensure_rule(
    clients: AsyncClients, names: ResourceNames, role_arn: str, state_machine_arn: str
) -> None:
    events = await clients.client("events")
    try:
        await events.create_event_bus(Name=names.event_bus)
    except ClientError as exc:
        if _error_code(exc) != "ResourceAlreadyExistsException":
            raise
    await events.put_rule(
        Name=names.fanout_rule,
        EventBusName=names.event_bus,
        EventPattern=json.dumps(FANOUT_PATTERN),
        State="ENABLED",
        Description="Start message-distribution for every chat frame put on the bus.",
    )
    await events.put_targets(
        Rule=names.fanout_rule,
        EventBusName=names.event_bus,
        Targets=[{"Id": "message-distribution", "Arn": state_machine_arn, "RoleArn": role_arn}],
    )
