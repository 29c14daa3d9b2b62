"""chatserver's patches of moto (``chatserver.emulator.speedups``) give moto's own results.

Each comparison runs the same calls on a fresh in-process moto twice, without and with the
patch, and compares everything the calls returned. The first tests pin the moto internals the
patches rely on, so that a moto upgrade that changes them fails here first.
"""

from __future__ import annotations

import copy
import datetime
import enum
import importlib
import inspect
import json
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import moto
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core import serialize
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models import table as table_module
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.table import SecondaryIndex, Table
from moto.dynamodb.responses import DynamoHandler
from moto.stepfunctions.parser.asl.component.state.state import CommonStateField
from moto.stepfunctions.parser.asl.eval.states import States

import chatserver.aws.statemachine
from chatserver.emulator import speedups

REGION = "us-east-1"
MOTO_CONFIG: Any = {
    "stepfunctions": {"execute_state_machine": True},
    "lambda": {"use_docker": False},
}
STATE_MACHINE = Path(chatserver.aws.statemachine.__file__).parent / "message-distribution.asl.json"
ROLE = "arn:aws:iam::123456789012:role/chat"
#: moto makes up a request id for each call; error causes quote it.
REQUEST_ID = re.compile(r"Request ID: [A-Za-z0-9-]+")

DYNAMODB_SPEEDUPS = (
    "query_partitions_directly",
    "project_index_results_without_copy",
    "project_scalars_directly",
    "serialize_attribute_values_directly",
)
STEP_FUNCTIONS_SPEEDUPS = ("copy_state_data_faster", "record_state_data_without_copies")


def _patched_attributes() -> list[tuple[Any, str]]:
    engine_modules = [importlib.import_module(name) for name in speedups._ENGINE_COPYING_MODULES]
    return [
        (Table, "all_items"),
        (Table, "query"),
        (Table, "put_item"),
        (Table, "delete_item"),
        (DynamoDBBackend, "update_item"),
        (DynamoHandler, "call_action"),
        (Item, "project"),
        (table_module, "copy"),
        (States, "get_input"),
        (CommonStateField, "_get_state_entered_event_details"),
        (CommonStateField, "_get_state_exited_event_details"),
        *[(module, "copy") for module in engine_modules],
    ]


@pytest.fixture(autouse=True)
def _moto_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every moto attribute the speedups replace is put back after each test."""
    for owner, name in _patched_attributes():
        monkeypatch.setattr(owner, name, getattr(owner, name))
    serializers = {k: dict(v) for k, v in serialize.SERVICE_SPECIFIC_SERIALIZERS.items()}
    monkeypatch.setattr(serialize, "SERVICE_SPECIFIC_SERIALIZERS", serializers)


def _on_moto(scenario: Callable[[], Any], *patches: str) -> Any:
    """What ``scenario`` returns on a fresh moto, with these speedups installed first."""
    for name in patches:
        getattr(speedups, name)()
    with mock_aws(config=MOTO_CONFIG):
        return scenario()


def _same_with_and_without(scenario: Callable[[], Any], *patches: str) -> Any:
    """Run ``scenario`` without, then with the patches; assert equal results; return them."""
    plain = _on_moto(scenario)
    patched = _on_moto(scenario, *patches)
    assert patched == plain
    return patched


def _dynamodb_patches(patch: str) -> tuple[str, ...]:
    return DYNAMODB_SPEEDUPS if patch == "all" else (patch,)


# --- DynamoDB scenarios ---------------------------------------------------------------------


def _dynamodb() -> Any:
    return boto3.client("dynamodb", region_name=REGION)


def _answer(call: Callable[..., Any], **request: Any) -> Any:
    """A call's response without its metadata, or its error code."""
    try:
        response = call(**request)
    except ClientError as error:
        return {"Error": error.response["Error"]["Code"]}
    response.pop("ResponseMetadata", None)
    return response


def _pages(ddb: Any, **request: Any) -> list[Any]:
    """Every page of a query, following ``LastEvaluatedKey``."""
    pages = []
    while True:
        page = _answer(ddb.query, **request)
        pages.append(page)
        if "LastEvaluatedKey" not in page:
            return pages
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _query(
    ddb: Any,
    index: str | None,
    values: dict[str, Any],
    key: str = "room = :room",
    table: str = "connections",
    **more: Any,
) -> list[Any]:
    """Every page of a query of ``table`` (through ``index`` unless None)."""
    request = {"TableName": table, "KeyConditionExpression": key, **more}
    request["ExpressionAttributeValues"] = values
    if index is not None:
        request["IndexName"] = index
    return _pages(ddb, **request)


def _room(room: str, **values: Any) -> dict[str, Any]:
    return {":room": {"S": room}, **values}


def _key(connection_id: str) -> dict[str, Any]:
    return {"connectionId": {"S": connection_id}}


def _connections_table(ddb: Any) -> None:
    """Keyed by connectionId, with INCLUDE, KEYS_ONLY and ALL indexes on room."""
    room_key = {"AttributeName": "room", "KeyType": "HASH"}
    ddb.create_table(
        TableName="connections",
        KeySchema=[{"AttributeName": "connectionId", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "connectionId", "AttributeType": "S"},
            {"AttributeName": "room", "AttributeType": "S"},
            {"AttributeName": "joined", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=[
            {
                "IndexName": "room-index",
                "KeySchema": [room_key, {"AttributeName": "connectionId", "KeyType": "RANGE"}],
                "Projection": {
                    "ProjectionType": "INCLUDE",
                    "NonKeyAttributes": ["userName", "connectedAt"],
                },
            },
            {
                "IndexName": "room-joined",
                "KeySchema": [room_key, {"AttributeName": "joined", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            },
            {
                "IndexName": "room-all",
                "KeySchema": [room_key],
                "Projection": {"ProjectionType": "ALL"},
            },
        ],
    )


def _connection(index: int, room: str) -> dict[str, Any]:
    return {
        "connectionId": {"S": f"c{index:03d}"},
        "room": {"S": room},
        "userName": {"S": f"user {index}"},
        "connectedAt": {"N": str(1000 + index)},
        "joined": {"N": str(index % 7)},
        "device": {"M": {"kind": {"S": "phone"}, "tags": {"SS": ["a", f"t{index}"]}}},
    }


def _fill_connections(ddb: Any, rooms: int = 4, per_room: int = 9, others: int = 30) -> None:
    for index in range(rooms * per_room):
        ddb.put_item(TableName="connections", Item=_connection(index, f"r{index % rooms}"))
    for index in range(others):
        ddb.put_item(TableName="connections", Item=_connection(500 + index, f"other{index % 5}"))


def _room_queries(ddb: Any, *rooms: str) -> list[Any]:
    """The rooms' members through each index, as the fan-out and presence read them."""
    return [
        [
            _query(ddb, "room-index", _room(room), ProjectionExpression="connectionId"),
            _query(ddb, "room-index", _room(room)),
            _query(ddb, "room-joined", _room(room)),
            _query(ddb, "room-all", _room(room)),
        ]
        for room in rooms
    ]


def _messages_table(ddb: Any) -> None:
    """Keyed by (room, messageId), with a local index on sentAt and a global one on sender."""
    ddb.create_table(
        TableName="messages",
        KeySchema=[
            {"AttributeName": "room", "KeyType": "HASH"},
            {"AttributeName": "messageId", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "room", "AttributeType": "S"},
            {"AttributeName": "messageId", "AttributeType": "S"},
            {"AttributeName": "sentAt", "AttributeType": "N"},
            {"AttributeName": "sender", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
        LocalSecondaryIndexes=[
            {
                "IndexName": "by-time",
                "KeySchema": [
                    {"AttributeName": "room", "KeyType": "HASH"},
                    {"AttributeName": "sentAt", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-sender",
                "KeySchema": [{"AttributeName": "sender", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
    )
    for index in range(60):
        message = {
            "room": {"S": f"room{index % 3}"},
            "messageId": {"S": f"{index:06d}"},
            "sentAt": {"N": str(100 - index)},
            "sender": {"S": f"s{index % 4}"},
            "text": {"S": "hello " * (index % 5)},
        }
        ddb.put_item(TableName="messages", Item=message)


# --- the moto internals the patches rely on -------------------------------------------------


def test_moto_is_the_version_the_speedups_were_checked_against() -> None:
    """The speedups were checked against moto 5.2.5: another version must be checked again."""
    assert moto.__version__ == "5.2.5"


def test_table_query_internals_are_the_patched_ones() -> None:
    """Table.query lists items through all_items() and deep-copies only its page, once."""
    source = inspect.getsource(Table.query)
    assert source.count("self.all_items()") == 2  # one per branch: index, base table
    assert source.count("copy.deepcopy(") == 1
    assert "results = copy.deepcopy(results)" in source
    assert "results = [index.project(r) for r in results]" in source
    parameters = inspect.signature(Table.query).parameters
    assert {"hash_key", "index_name", "hash_key_conditions"} <= set(parameters)
    assert table_module.copy is copy


def test_table_write_internals_are_the_patched_ones() -> None:
    """Items are stored and removed only by the methods whose writes the index tracks."""
    assert list(inspect.signature(Table.put_item).parameters)[:2] == ["self", "item_attrs"]
    delete = list(inspect.signature(Table.delete_item).parameters)
    assert delete == ["self", "hash_key", "range_key"]
    update = list(inspect.signature(DynamoDBBackend.update_item).parameters)
    assert update[:3] == ["self", "table_name", "key"]
    assert "UpdateExpressionExecutor(" in inspect.getsource(DynamoDBBackend.update_item)
    rollback = "self.tables[table_name] = original_table_state[table_name]"
    assert rollback in inspect.getsource(DynamoDBBackend.transact_write_items)
    sources = inspect.getsource(table_module) + inspect.getsource(DynamoDBBackend)
    assert sources.count("self.items[hash_value]") == 2  # both in Table.put_item
    assert sources.count(".pop(range_key)") + sources.count("items.pop(hash_key)") == 2


def test_index_projection_internals_are_the_patched_ones() -> None:
    """KEYS_ONLY and INCLUDE projections build new items with Item.project."""
    source = inspect.getsource(SecondaryIndex.project)
    assert source.count("item = item.project(") == 2
    item = Item(DynamoType({"S": "h"}), None, {})
    assert set(vars(item)) == {"hash_key", "range_key", "attrs"}
    assert issubclass(LimitedSizeDict, dict)


def test_serializer_internals_are_the_patched_ones() -> None:
    """moto picks response serializers from SERVICE_SPECIFIC_SERIALIZERS at call time."""
    assert "SERVICE_SPECIFIC_SERIALIZERS" in inspect.getsource(serialize.get_serializer_class)
    json_serializer = serialize.get_serializer_class("dynamodb", "json")
    parameters = list(inspect.signature(json_serializer._serialize_type_structure).parameters)
    assert parameters == ["self", "serialized", "value", "shape", "key"]


def test_step_functions_internals_are_the_patched_ones() -> None:
    """The engine's copying modules import copy; history events serialize get_input()."""
    for name in speedups._ENGINE_COPYING_MODULES:
        assert importlib.import_module(name).copy is copy
    for method in (
        CommonStateField._get_state_entered_event_details,
        CommonStateField._get_state_exited_event_details,
    ):
        source = inspect.getsource(method)
        assert "to_json_str(env.states.get_input()" in source
        assert source.count("get_input(") == 1
    assert "copy.deepcopy(result)" in inspect.getsource(States._extract)


# --- DynamoDB: query results ------------------------------------------------------------------


@pytest.mark.parametrize("patch", [*DYNAMODB_SPEEDUPS, "all"])
def test_index_query_pages_match_moto(patch: str) -> None:
    """Index queries page the same with Limit, ExclusiveStartKey and ScanIndexForward=False."""

    def scenario() -> list[Any]:
        ddb = _dynamodb()
        _connections_table(ddb)
        _fill_connections(ddb)
        return [
            _query(ddb, index, _room("r1"), Limit=limit, ScanIndexForward=forward)
            for index in ("room-index", "room-joined", "room-all")
            for limit in (1, 2, 4, 100)
            for forward in (True, False)
        ]

    _same_with_and_without(scenario, *_dynamodb_patches(patch))


@pytest.mark.parametrize("patch", [*DYNAMODB_SPEEDUPS, "all"])
def test_index_query_conditions_filters_and_projections_match_moto(patch: str) -> None:
    """Range conditions, filters, projections, Select=COUNT and errors answer as moto does."""

    def scenario() -> list[Any]:
        ddb = _dynamodb()
        _connections_table(ddb)
        _fill_connections(ddb)
        between = "room = :room AND joined BETWEEN :low AND :high"
        low_high = _room("r2", **{":low": {"N": "2"}, ":high": {"N": "5"}})
        prefix = "room = :room AND begins_with(connectionId, :p)"
        equals_r2 = {"room": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "r2"}]}}
        return [
            _query(ddb, "room-joined", low_high, key=between, Limit=2),
            _query(ddb, "room-index", _room("r2", **{":p": {"S": "c01"}}), key=prefix),
            _query(
                ddb,
                "room-all",
                _room("r2", **{":c": {"N": "1010"}}),
                FilterExpression="connectedAt > :c",
                Limit=3,
            ),
            _query(
                ddb,
                "room-all",
                _room("r2"),
                key="#r = :room",
                ExpressionAttributeNames={"#r": "room"},
                ProjectionExpression="connectionId, device.kind, device.tags, userName",
            ),
            _query(ddb, "room-index", _room("r2"), Select="COUNT"),
            _pages(ddb, TableName="connections", IndexName="room-index", KeyConditions=equals_r2),
            _query(ddb, "room-index", _room("none")),
            _query(ddb, "no-such-index", _room("r2")),
        ]

    _same_with_and_without(scenario, *_dynamodb_patches(patch))


@pytest.mark.parametrize("patch", [*DYNAMODB_SPEEDUPS, "all"])
def test_base_table_and_local_index_queries_match_moto(patch: str) -> None:
    """Queries of a hash-and-range table, its local index and a hash-only index match moto."""

    def scenario() -> list[Any]:
        ddb = _dynamodb()
        _messages_table(ddb)
        room = _room("room1")
        return [
            _query(ddb, None, room, table="messages", Limit=limit, ScanIndexForward=forward)
            for limit in (3, 50)
            for forward in (True, False)
        ] + [
            _query(
                ddb,
                None,
                {**room, ":m": {"S": "000030"}},
                key="room = :room AND messageId > :m",
                table="messages",
                Limit=4,
            ),
            _query(
                ddb,
                None,
                {**room, ":m": {"S": "00004"}},
                key="room = :room AND begins_with(messageId, :m)",
                table="messages",
                ProjectionExpression="messageId",
            ),
            _query(
                ddb,
                "by-time",
                {**room, ":t": {"N": "80"}},
                key="room = :room AND sentAt < :t",
                table="messages",
                Limit=5,
                ScanIndexForward=False,
            ),
            _query(
                ddb, "by-sender", {":s": {"S": "s2"}}, key="sender = :s", table="messages", Limit=6
            ),
            _query(ddb, None, _room("nobody"), table="messages"),
            _query(ddb, None, {":room": {"N": "1"}}, table="messages"),
        ]

    _same_with_and_without(scenario, *_dynamodb_patches(patch))


# --- DynamoDB: the room index follows every kind of write --------------------------------------


@pytest.mark.parametrize("patch", ["query_partitions_directly", "all"])
def test_index_queries_follow_puts_updates_and_deletes(patch: str) -> None:
    """After items move between rooms, conditional writes succeed or fail, and deletes: moto's."""

    def scenario() -> list[Any]:
        ddb = _dynamodb()
        _connections_table(ddb)
        _fill_connections(ddb)
        table = {"TableName": "connections"}
        absent = {"ConditionExpression": "attribute_not_exists(connectionId)"}

        def set_room(connection_id: str, room: str, **more: Any) -> tuple[Any, dict[str, Any]]:
            values = {":r": {"S": room}, **more.pop("values", {})}
            expression = {"UpdateExpression": "SET room = :r", "ExpressionAttributeValues": values}
            return ddb.update_item, {"Key": _key(connection_id), **expression, **more}

        writes = [
            set_room("c004", "r3"),
            (ddb.update_item, {"Key": _key("c008"), "UpdateExpression": "REMOVE room"}),
            set_room("new", "r0"),
            (
                ddb.update_item,
                {
                    "Key": _key("c012"),
                    "AttributeUpdates": {"room": {"Value": {"S": "r3"}, "Action": "PUT"}},
                },
            ),
            set_room("c004", "r0", ConditionExpression="room = :old", values={":old": {"S": "r1"}}),
            (ddb.put_item, {"Item": _connection(4, "r0"), **absent}),
            (ddb.put_item, {"Item": _connection(900, "r0"), **absent}),
            (ddb.put_item, {"Item": _connection(16, "r3")}),
            (ddb.put_item, {"Item": _key("c028")}),
            (ddb.delete_item, {"Key": _key("c020")}),
            (
                ddb.delete_item,
                {
                    "Key": _key("c024"),
                    "ConditionExpression": "room = :r",
                    "ExpressionAttributeValues": {":r": {"S": "r9"}},
                },
            ),
            (ddb.delete_item, {"Key": _key("absent")}),
        ]
        seen = [_room_queries(ddb, "r0", "r3")]
        for call, request in writes:
            seen.append(_answer(call, **table, **request))
            seen.append(_room_queries(ddb, "r0", "r3"))
        return seen

    _same_with_and_without(scenario, *_dynamodb_patches(patch))


@pytest.mark.parametrize("patch", ["query_partitions_directly", "all"])
def test_index_queries_follow_batch_writes_and_transactions(patch: str) -> None:
    """After batch writes and a committed and a cancelled transaction, queries match moto."""

    def scenario() -> list[Any]:
        ddb = _dynamodb()
        _connections_table(ddb)
        _fill_connections(ddb)
        seen = [_room_queries(ddb, "r1")]
        puts = [{"PutRequest": {"Item": _connection(700 + n, "r1")}} for n in range(5)]
        deletes = [{"DeleteRequest": {"Key": _key(f"c{n:03d}")}} for n in (1, 5, 9)]
        seen.append(_answer(ddb.batch_write_item, RequestItems={"connections": puts + deletes}))
        seen.append(_room_queries(ddb, "r1"))

        def move(connection_id: str) -> dict[str, Any]:
            update = {"UpdateExpression": "SET room = :r", "ExpressionAttributeValues": _room("r2")}
            return {"Update": {"TableName": "connections", "Key": _key(connection_id), **update}}

        committed = [
            {"Put": {"TableName": "connections", "Item": _connection(800, "r1")}},
            {"Delete": {"TableName": "connections", "Key": _key("c013")}},
            move("c017"),
        ]
        seen.append(_answer(ddb.transact_write_items, TransactItems=committed))
        seen.append(_room_queries(ddb, "r1", "r2"))
        absent = {"ConditionExpression": "attribute_not_exists(connectionId)"}
        cancelled = [
            {"Put": {"TableName": "connections", "Item": _connection(801, "r1")}},
            move("c021"),
            {"ConditionCheck": {"TableName": "connections", "Key": _key("c025"), **absent}},
        ]
        seen.append(_answer(ddb.transact_write_items, TransactItems=cancelled))
        seen.append(_room_queries(ddb, "r1", "r2"))
        ddb.put_item(TableName="connections", Item=_connection(802, "r1"))
        seen.append(_room_queries(ddb, "r1"))
        return seen

    _same_with_and_without(scenario, *_dynamodb_patches(patch))


@pytest.mark.parametrize("patch", ["query_partitions_directly", "all"])
def test_index_queries_follow_partiql_writes(patch: str) -> None:
    """After PartiQL inserts, updates and deletes, queries match moto."""

    def scenario() -> list[Any]:
        ddb = _dynamodb()
        _connections_table(ddb)
        _fill_connections(ddb)
        seen = [_room_queries(ddb, "r1")]
        statements = [
            "INSERT INTO connections VALUE {'connectionId': 'p1', 'room': 'r1', 'joined': 2}",
            "UPDATE connections SET room = 'r1' WHERE connectionId = 'c002'",
            "UPDATE connections SET room = 'r2' WHERE connectionId = 'c005'",
            "DELETE FROM connections WHERE connectionId = 'c009'",
        ]
        for statement in statements:
            seen.append(_answer(ddb.execute_statement, Statement=statement))
            seen.append(_room_queries(ddb, "r1", "r2"))
        return seen

    _same_with_and_without(scenario, *_dynamodb_patches(patch))


@pytest.mark.parametrize("patch", ["query_partitions_directly", "all"])
def test_index_queries_of_odd_key_values_match_moto(patch: str) -> None:
    """Index attributes that moto stores with other types (numbers, lists, maps) query alike."""

    def scenario() -> list[Any]:
        ddb = _dynamodb()
        _connections_table(ddb)
        _fill_connections(ddb, rooms=2, per_room=3, others=0)
        odd = [{"N": "1"}, {"N": "1.0"}, {"L": [{"S": "r0"}]}, {"M": {"r": {"S": "r0"}}}]
        for index, room in enumerate([*odd, {"B": b"r0"}]):
            item = {**_connection(300 + index, "x"), "room": room}
            ddb.put_item(TableName="connections", Item=item)
        rooms = [{"S": "r0"}, {"N": "1"}, {"N": "1.00"}, {"B": b"r0"}, {"S": "1"}]
        seen = [_query(ddb, "room-all", {":room": room}) for room in rooms]
        seen.append(_answer(ddb.delete_item, TableName="connections", Key=_key("c300")))
        for connection_id, room in (("c302", {"S": "r0"}), ("c303", {"L": []})):
            update = {
                "UpdateExpression": "SET room = :r",
                "ExpressionAttributeValues": {":r": room},
            }
            key = _key(connection_id)
            seen.append(_answer(ddb.update_item, TableName="connections", Key=key, **update))
        seen += [_query(ddb, "room-all", {":room": room}) for room in rooms]
        return seen

    _same_with_and_without(scenario, *_dynamodb_patches(patch))


def test_query_work_does_not_grow_with_other_rooms(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the patch, a room's query compares keys of that room only, not of the whole table."""
    comparisons = 0
    less_than = DynamoType.__lt__

    def counting(self: DynamoType, other: DynamoType) -> bool:
        nonlocal comparisons
        comparisons += 1
        return bool(less_than(self, other))

    def scenario() -> int:
        nonlocal comparisons
        ddb = _dynamodb()
        _connections_table(ddb)
        _fill_connections(ddb, rooms=1, per_room=5, others=500)
        _room_queries(ddb, "r0")  # the index is grouped on first use
        monkeypatch.setattr(DynamoType, "__lt__", counting)
        comparisons = 0
        ddb.query(
            TableName="connections",
            IndexName="room-index",
            KeyConditionExpression="room = :room",
            ExpressionAttributeValues=_room("r0"),
        )
        ddb.query(
            TableName="connections",
            KeyConditionExpression="connectionId = :c",
            ExpressionAttributeValues={":c": {"S": "c001"}},
        )
        monkeypatch.setattr(DynamoType, "__lt__", less_than)
        return comparisons

    assert _on_moto(scenario) > 500 * 2
    assert _on_moto(scenario, "query_partitions_directly") < 40


def test_index_queries_stay_right_under_concurrent_writes() -> None:
    """Writes and index queries on many threads at once end with moto's own answer (a scan)."""

    def scenario() -> tuple[list[str], list[str]]:
        speedups.serialize_dynamodb()
        ddb = _dynamodb()
        _connections_table(ddb)
        _fill_connections(ddb, rooms=2, per_room=20, others=40)

        def write(n: int) -> None:
            key = _key(f"c{n % 40:03d}")
            if n % 3 == 0:
                ddb.delete_item(TableName="connections", Key=key)
            elif n % 3 == 1:
                ddb.put_item(TableName="connections", Item=_connection(n % 40, f"r{n % 2}"))
            else:
                room = _room(f"r{(n // 3) % 2}")
                ddb.update_item(
                    TableName="connections",
                    Key=key,
                    UpdateExpression="SET room = :room",
                    ExpressionAttributeValues=room,
                )

        with ThreadPoolExecutor(max_workers=8) as pool:
            futures = [pool.submit(write, n) for n in range(300)]
            futures += [pool.submit(_room_queries, ddb, "r0") for _ in range(100)]
            for future in futures:
                future.result()
        pages = _query(ddb, "room-index", _room("r0"))
        queried = [item["connectionId"]["S"] for page in pages for item in page["Items"]]
        scanned = ddb.scan(
            TableName="connections",
            FilterExpression="room = :room",
            ExpressionAttributeValues=_room("r0"),
        )["Items"]
        return queried, sorted(item["connectionId"]["S"] for item in scanned)

    queried, scanned = _on_moto(scenario, *DYNAMODB_SPEEDUPS)
    assert queried
    assert queried == scanned


# --- DynamoDB: projections and copies --------------------------------------------------------


def test_projected_items_match_moto() -> None:
    """Scalar projections give moto's items; other paths still take moto's own projection."""
    item = Item(
        DynamoType({"S": "h"}),
        DynamoType({"N": "1"}),
        {
            "h": {"S": "h"},
            "r": {"N": "1"},
            "name": {"S": "ana"},
            "ok": {"BOOL": False},
            "none": {"NULL": True},
            "m": {"M": {"a": {"S": "b"}}},
            "l": {"L": [{"S": "x"}, {"N": "2"}]},
        },
    )
    expressions = [
        [["name"]],
        [["name"], ["ok"], ["none"], ["missing"], ["name"]],
        [["h"], ["r"], ["m"]],
        [["m", "a"]],
        [["l[1]"]],
        [],
    ]
    plain = [item.project(expression) for expression in expressions]
    speedups.project_scalars_directly()
    patched = [item.project(expression) for expression in expressions]
    for fast, slow in zip(patched, plain, strict=True):
        assert fast.to_json() == slow.to_json()
        assert list(fast.attrs) == list(slow.attrs)
        assert (fast.hash_key, fast.range_key) == (slow.hash_key, slow.range_key)
        assert type(fast.attrs) is LimitedSizeDict
        assert all(fast.attrs[name] is not item.attrs.get(name) for name in fast.attrs)


def test_query_results_are_never_the_stored_items() -> None:
    """Without its deep copy, an index query still returns new items, never stored ones."""

    def scenario() -> list[bool]:
        ddb = _dynamodb()
        _connections_table(ddb)
        _fill_connections(ddb, rooms=1, per_room=4, others=0)
        backend = dynamodb_backends["123456789012"][REGION]
        table = backend.get_table("connections")
        stored = {id(item) for item in table.items.values()}
        stored |= {id(value) for item in table.items.values() for value in item.attrs.values()}
        queries = [
            ({"S": "r0"}, [("room", {"S": "r0"})], index)
            for index in ("room-index", "room-joined", "room-all")
        ]
        queries.append(({"S": "c000"}, [("connectionId", {"S": "c000"})], None))
        shared = []
        for hash_key, conditions, index in queries:
            results, _, _ = backend.query(
                "connections",
                hash_key,
                None,
                [],
                None,
                None,
                True,
                None,
                index_name=index,
                hash_key_conditions=conditions,
            )
            assert results
            shared.append(any(id(r) in stored for r in results))
            shared.append(any(id(v) in stored for r in results for v in r.attrs.values()))
        return shared

    assert not any(_on_moto(scenario, *DYNAMODB_SPEEDUPS))


# --- DynamoDB: response serialization --------------------------------------------------------


def test_attribute_values_serialize_as_moto() -> None:
    """Response bodies of items with every attribute type are byte for byte moto's."""
    every_type = {
        "s": {"S": "text é ✓"},
        "empty": {"S": ""},
        "n": {"N": "-12.50"},
        "b": {"B": b"\x00\xff"},
        "t": {"BOOL": True},
        "f": {"BOOL": False},
        "null": {"NULL": True},
        "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1", "2.5"]},
        "bs": {"BS": [b"x", b"y"]},
        "l": {"L": [{"S": "x"}, {"N": "1"}, {"L": []}, {"M": {}}, {"NULL": True}]},
        "m": {"M": {"inner": {"M": {"deep": {"S": "d"}, "n": {"N": "3"}}}, "b": {"B": b"1"}}},
    }

    def scenario() -> list[bytes]:
        ddb = _dynamodb()
        _connections_table(ddb)
        bodies: list[bytes] = []

        def keep(response_dict: dict[str, Any], **_: Any) -> None:
            bodies.append(response_dict["body"])

        ddb.meta.events.register("before-parse.dynamodb.*", keep)
        ddb.put_item(TableName="connections", Item={**_connection(1, "r0"), **every_type})
        ddb.put_item(TableName="connections", Item=_connection(2, "r0"))
        ddb.get_item(TableName="connections", Key=_key("c001"))
        _query(ddb, "room-all", _room("r0"))
        ddb.scan(TableName="connections")
        ddb.update_item(
            TableName="connections",
            Key=_key("c001"),
            UpdateExpression="SET n = n + :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="ALL_NEW",
        )
        _answer(
            ddb.put_item,
            TableName="connections",
            Item=_connection(1, "r0"),
            ConditionExpression="attribute_not_exists(connectionId)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
        return bodies

    bodies = _same_with_and_without(scenario, "serialize_attribute_values_directly")
    assert any(b'"f": {"BOOL": false}' in body for body in bodies)


def test_only_dynamodb_gets_the_direct_serializer() -> None:
    """Other JSON services keep moto's serializer class."""
    events = serialize.get_serializer_class("events", "json")
    speedups.serialize_attribute_values_directly()
    assert serialize.get_serializer_class("events", "json") is events
    dynamodb = serialize.get_serializer_class("dynamodb", "json")
    assert dynamodb is not events
    assert issubclass(dynamodb, events)


# --- Step Functions ---------------------------------------------------------------------------


class Colour(enum.Enum):
    RED = "red"


def test_json_deepcopy_copies_as_deepcopy_does() -> None:
    """Same values, no shared containers, shared and cyclic parts kept, other types deep-copied."""
    shared = {"k": [1, 2.5, None, True, "s"]}
    cyclic: list[Any] = [1]
    cyclic.append(cyclic)
    value = {
        "a": shared,
        "b": shared,
        "c": [shared, {"d": {}}],
        "cycle": cyclic,
        "ordered": OrderedDict(x=[1]),
        "when": datetime.datetime(2026, 1, 2, tzinfo=datetime.UTC),
        "colour": Colour.RED,
        "tuple": ([1], "x"),
        7: {"int": "key"},
    }
    copied = speedups.json_deepcopy(value)
    assert repr(copied) == repr(copy.deepcopy(value))
    assert copied["a"] is copied["b"]
    assert copied["a"] is not shared
    assert copied["c"][0] is copied["a"]
    assert copied["cycle"][1] is copied["cycle"]
    assert type(copied["ordered"]) is OrderedDict
    assert copied["ordered"]["x"] is not value["ordered"]["x"]
    assert copied["colour"] is Colour.RED
    assert copied["tuple"][0] is not value["tuple"][0]
    copied["a"]["k"].append("changed")
    assert shared == {"k": [1, 2.5, None, True, "s"]}


def _run_executions(definition: str, inputs: list[Any]) -> list[Any]:
    """Each execution's status, output, error and history (no timestamps), one at a time."""
    sfn = boto3.client("stepfunctions", region_name=REGION)
    machine = sfn.create_state_machine(name="m", definition=definition, roleArn=ROLE)
    seen = []
    for number, execution_input in enumerate(inputs):
        arn = sfn.start_execution(
            stateMachineArn=machine["stateMachineArn"],
            name=f"run{number}",
            input=json.dumps(execution_input),
        )["executionArn"]
        deadline = time.monotonic() + 20
        while (described := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
            assert time.monotonic() < deadline, "the execution did not finish"
            time.sleep(0.01)
        events = sfn.get_execution_history(executionArn=arn)["events"]
        for event in events:
            event.pop("timestamp")
        history = REQUEST_ID.sub("Request ID: -", json.dumps(events))
        seen.append([described["status"], described.get("output"), described.get("error"), history])
    return seen


def _chat_executions() -> list[Any]:
    """The chat's state machine on a 60-member room, a small room and an empty one."""
    ddb = _dynamodb()
    _connections_table(ddb)
    for index in range(60):
        ddb.put_item(TableName="connections", Item=_connection(100 + index, "busy"))
    _fill_connections(ddb, rooms=2, per_room=3, others=10)
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(RoleName="chat", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    function = boto3.client("lambda", region_name=REGION).create_function(
        FunctionName="broadcast",
        Runtime="python3.12",
        Role=role,
        Handler="h.h",
        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
    )["FunctionArn"]
    definition = (
        STATE_MACHINE.read_text()
        .replace("${ConnectionsTableName}", "connections")
        .replace("${RoomIndexName}", "room-index")
        .replace("${BroadcastFunctionArn}", function)
    )
    events = [
        {"source": "chatserver", "detail": {"room": room, "frame": {"type": "message", "n": n}}}
        for n, room in enumerate(["busy", "r0", "empty", "busy"])
    ]
    return _run_executions(definition, events)


@pytest.mark.parametrize("patch", [*STEP_FUNCTIONS_SPEEDUPS, "all"])
def test_chat_state_machine_runs_as_on_moto(patch: str) -> None:
    """The chat's state machine gives moto's status, output and history for every room size."""
    every = (*DYNAMODB_SPEEDUPS, *STEP_FUNCTIONS_SPEEDUPS)
    results = _same_with_and_without(_chat_executions, *(every if patch == "all" else (patch,)))
    assert [status for status, *_ in results] == ["SUCCEEDED"] * 4


OTHER_STATES = {
    "StartAt": "Shape",
    "States": {
        "Shape": {
            "Type": "Pass",
            "InputPath": "$.order",
            "Parameters": {
                "items.$": "$.items",
                "who.$": "$$.Execution.Name",
                "n.$": "States.ArrayLength($.items)",
            },
            "ResultPath": "$.shaped",
            "Next": "Each",
        },
        "Each": {
            "Type": "Map",
            "ItemsPath": "$.shaped.items",
            "MaxConcurrency": 1,
            "Iterator": {
                "StartAt": "Double",
                "States": {
                    "Double": {
                        "Type": "Pass",
                        "Parameters": {"v.$": "States.MathAdd($.v, $.v)"},
                        "End": True,
                    }
                },
            },
            "ResultPath": "$.doubled",
            "Next": "Both",
        },
        "Both": {
            "Type": "Parallel",
            "Branches": [
                {
                    "StartAt": "Only",
                    "States": {"Only": {"Type": "Pass", "OutputPath": "$.doubled", "End": True}},
                },
            ],
            "ResultSelector": {"first.$": "$[0]", "side": "only"},
            "ResultPath": "$.both",
            "Next": "Decide",
        },
        "Decide": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.shaped.n", "NumericGreaterThan": 2, "Next": "Break"}],
            "Default": "Done",
        },
        "Break": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:dynamodb:getItem",
            "Parameters": {"TableName": "missing", "Key": {"k": {"S": "x"}}},
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.caught", "Next": "Done"}],
            "Next": "Done",
        },
        "Done": {"Type": "Pass", "OutputPath": "$.both", "End": True},
    },
}


@pytest.mark.parametrize("patch", [*STEP_FUNCTIONS_SPEEDUPS, "all"])
def test_other_state_types_run_as_on_moto(patch: str) -> None:
    """Pass, Map, Parallel, Choice, a caught Task error and a failure give moto's results."""

    def scenario() -> list[Any]:
        inputs = [
            {"order": {"items": [{"v": 1}, {"v": 2}]}},
            {"order": {"items": [{"v": n} for n in range(5)]}},
            {"order": {}},
        ]
        return _run_executions(json.dumps(OTHER_STATES), inputs)

    patches = STEP_FUNCTIONS_SPEEDUPS if patch == "all" else (patch,)
    results = _same_with_and_without(scenario, *patches)
    assert [status for status, *_ in results] == ["SUCCEEDED", "SUCCEEDED", "FAILED"]


def test_engine_copies_stay_deep() -> None:
    """With the engine's copy module replaced, its copies of state data still share nothing."""
    speedups.copy_state_data_faster()
    data: Any = {"Execution": {"Input": {"a": [{"b": 1}]}}}
    copied = States(context=data).get_input()
    copied["a"][0]["b"] = 2
    assert data["Execution"]["Input"] == {"a": [{"b": 1}]}


def test_state_data_is_still_copied_outside_history_events() -> None:
    """Outside the two history-event methods, get_input() still returns a copy."""
    speedups.record_state_data_without_copies()
    data: Any = {"Execution": {"Input": {"a": [1]}}}
    states = States(context=data)
    assert states.get_input() == {"a": [1]}
    assert states.get_input() is not data["Execution"]["Input"]
    assert states.get_input("$.a") is not data["Execution"]["Input"]["a"]


def test_history_shortcut_applies_to_its_own_thread_only() -> None:
    """While one thread records a history event, another thread's get_input() still copies."""
    speedups.record_state_data_without_copies()
    data: Any = {"Execution": {"Input": {"a": [1]}}}
    states = States(context=data)
    inside, release = threading.Event(), threading.Event()

    class HeldStates:
        def get_input(self) -> Any:
            inside.set()
            release.wait(5)
            return States.get_input(states)

    recorded: dict[str, Any] = {}

    def record() -> None:
        state, env = SimpleNamespace(name="S"), SimpleNamespace(states=HeldStates())
        recorded.update(CommonStateField._get_state_entered_event_details(state, env=env))

    thread = threading.Thread(target=record)
    thread.start()
    try:
        assert inside.wait(5)
        assert states.get_input() is not data["Execution"]["Input"]
    finally:
        release.set()
        thread.join(5)
    assert json.loads(recorded["input"]) == {"a": [1]}


def test_pruning_keeps_the_newest_finished_executions() -> None:
    """prune drops the oldest finished executions beyond the retention, and only those."""
    definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})

    def scenario() -> tuple[int, list[str]]:
        _run_executions(definition, [{"n": n} for n in range(5)])
        dropped = speedups.prune(retention=2)
        sfn = boto3.client("stepfunctions", region_name=REGION)
        machine = sfn.list_state_machines()["stateMachines"][0]["stateMachineArn"]
        kept = sfn.list_executions(stateMachineArn=machine)["executions"]
        return dropped, sorted(execution["name"] for execution in kept)

    dropped, kept = _on_moto(scenario)
    assert dropped == 3
    assert kept == ["run3", "run4"]
