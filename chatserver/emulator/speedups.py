"""Caches, shortcuts, housekeeping and a deferred import for moto, installed in the emulator
process.

For every request moto's server lists its own package folder (a directory scan) to find the
backend, and lists the methods of the response class (``inspect.getmembers``) to find the
action; both answers never change, so ``install_request_caches`` memoizes them.

Measured on the chat's state machine, moto spent most of each execution redoing the same
work: it parses the ASL with ANTLR again for every execution, builds a new boto3 client for
every task it runs (service model loading, endpoint rules, an SSL context), and parses every
JSONPath again on every evaluation. None of that depends on the execution, so each is cached
here by its input. Behaviour is unchanged: the same parsed program, client and JSONPath
objects moto would build, reused (moto keeps execution state in its per-execution
``Environment``, not in the parsed program, and boto3 clients are thread-safe).

moto also keeps every execution (and its thread object) forever; ``prune`` trims finished
executions beyond a retention count, so a long demo or a benchmark does not grow without
bound. Executions still running are never touched.

The rest removes work whose result moto throws away or that it repeats, and leaves moto's
answers as they were (each function says what it keeps identical; the tests in
``tests/integration/test_moto_speedups.py`` compare moto with and without each one): a DynamoDB
Query reads only the partition it asks for instead of sorting the whole table, projections and
responses skip a copy and a generic serializer walk per item, and the Step Functions engine
copies its JSON state data with a copy made for JSON and writes history without copying first.
"""

from __future__ import annotations

import copy
import functools
import importlib.util
import logging
import sys
import threading
import types
import weakref
from typing import Any

logger = logging.getLogger("chatserver.emulator.speedups")

#: Finished executions kept per state machine (the newest ones).
DEFAULT_RETENTION = 200
PRUNE_INTERVAL_SECONDS = 1.0
PRUNE_THREAD = "prune-executions"


class _CachingBoto3:
    """Stands in for the ``boto3`` module inside moto's task-client factory."""

    def __init__(self, boto3_module: Any) -> None:
        self._boto3 = boto3_module
        self._clients: dict[tuple[Any, ...], Any] = {}
        self._lock = threading.Lock()

    def client(self, *args: Any, **kwargs: Any) -> Any:
        key = (
            args,
            kwargs.get("service_name"),
            kwargs.get("region_name"),
            kwargs.get("endpoint_url"),
            kwargs.get("aws_access_key_id"),
        )
        with self._lock:
            found = self._clients.get(key)
            if found is None:
                found = self._boto3.client(*args, **kwargs)
                self._clients[key] = found
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self._boto3, name)


class _CachingParser:
    """Stands in for moto's ``AmazonStateLanguageParser``: one parse per definition."""

    def __init__(self, parser: Any) -> None:
        self._parser = parser
        self.parse = functools.lru_cache(maxsize=64)(parser.parse)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._parser, name)


def defer_batch_import() -> None:
    """Keep moto's Batch models (and, through them, all of EC2's) out of memory until used.

    moto's Step Functions engine imports ``moto.batch.utils`` for one enum, and importing that
    runs ``moto/batch/__init__.py``, which loads the Batch backend and EC2's instance-type and
    AMI catalogues: about 110 MB, a third of the emulator's memory, for a service the chat never
    calls. Registering the package without running its ``__init__`` lets ``moto.batch.utils``
    load alone; ``batch_backends`` is still there, imported on first use (module ``__getattr__``).
    Call before anything imports moto's Step Functions.
    """
    if "moto.batch" in sys.modules:
        return
    spec = importlib.util.find_spec("moto.batch")
    if spec is None or spec.submodule_search_locations is None:
        return
    package = types.ModuleType("moto.batch")
    package.__path__ = list(spec.submodule_search_locations)
    package.__spec__ = spec
    package.__file__ = spec.origin
    package.__package__ = "moto.batch"

    def load_on_first_use(name: str) -> Any:
        if name == "batch_backends":
            from moto.batch.models import batch_backends

            return batch_backends
        raise AttributeError(f"module 'moto.batch' has no attribute {name!r}")

    package.__getattr__ = load_on_first_use  # type: ignore[method-assign]
    sys.modules["moto.batch"] = package


#: moto services whose model instances are not recorded for its dashboard.
UNTRACKED_SERVICES = ("moto.dynamodb.", "moto.stepfunctions.")


def stop_tracking_transient_models() -> None:
    """Stop moto from keeping every DynamoDB item and state machine copy it ever built.

    moto records each instance of its models in a class-level list, for its web dashboard
    (``/moto-api/``). Each query builds new projected items and each execution start deep-copies
    the state machine, so in a long-running server that list grows without end: 1,000
    executions left 31,000 items and 1,000 state machine copies behind. Instances of DynamoDB
    and Step Functions models are no longer recorded (the dashboard omits them); the others,
    S3's included, which rely on the list, are unchanged.
    """
    from moto.core.common_models import BaseModel

    def create(cls: Any, *args: Any, **kwargs: Any) -> Any:
        instance = object.__new__(cls)
        if not cls.__module__.startswith(UNTRACKED_SERVICES):
            cls.instances_tracked.append(instance)
        return instance

    BaseModel.__new__ = create


def serialize_dynamodb() -> None:
    """Run moto's DynamoDB requests one at a time.

    moto's tables are plain dictionaries that a query iterates while another request thread
    inserts: under load a query failed with "dictionary changed size during iteration" (an
    HTTP 500, then a failed fan-out execution). DynamoDB itself is safe under concurrent
    requests, so the emulator must be too; one lock around each request does it (moto holds
    the GIL for nearly all of a request anyway).
    """
    from moto.dynamodb.responses import DynamoHandler

    lock = threading.RLock()
    dispatch = DynamoHandler.call_action

    def call_action(self: Any) -> Any:
        with lock:
            return dispatch(self)

    DynamoHandler.call_action = call_action


#: Attribute types whose value is immutable: projecting one is a plain copy of type and value.
_SCALAR_TYPES = frozenset({"S", "N", "BOOL", "NULL"})


def project_scalars_directly() -> None:
    """Project top-level scalar attributes without a JSON round trip.

    moto's ``Item.project`` converts the whole item to plain JSON (boto3's deserializer) once
    per projected attribute, then serializes the result back: a query of a room's connections
    did that for the index's key attributes and again for ``ProjectionExpression``, for every
    member. When every projected path is a top-level name and every value found is a string,
    number, boolean or null, the projected item is the same attributes copied; anything else
    (nested paths, list indexes, maps, lists, sets, binary) takes moto's own path.

    The copy is built the way moto's own ``Item.__deepcopy__`` builds one: without
    ``LimitedSizeDict``'s 400 KB check, which re-adds the sizes of all attributes so far on
    every insert (quadratic in the attributes). A projection holds a subset of an item that is
    stored, so within the limit: the check cannot fail. Checked against moto 5.2.5.
    """
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict

    project = Item.project
    new_item = Item.__new__
    new_value = DynamoType.__new__
    new_attrs = LimitedSizeDict.__new__
    put = dict.__setitem__

    def project_fast(self: Any, projection_expressions: list[list[str]]) -> Any:
        attrs = new_attrs(LimitedSizeDict)
        dict.__init__(attrs)
        for expression in projection_expressions:
            if len(expression) != 1 or "[" in expression[0]:
                return project(self, projection_expressions)
            found = self.attrs.get(expression[0])
            if found is None:
                continue
            if found.type not in _SCALAR_TYPES:
                return project(self, projection_expressions)
            value = new_value(DynamoType)
            value.type = found.type
            value.value = found.value
            put(attrs, expression[0], value)
        item = new_item(Item)
        item.hash_key = self.hash_key
        item.range_key = self.range_key
        item.attrs = attrs
        return item

    Item.project = project_fast


#: Attribute value members written as they are: (type, Python type of a valid value).
_PLAIN_MEMBERS = {"S": str, "N": str, "BOOL": bool, "NULL": bool}


def serialize_attribute_values_directly() -> None:
    """Write DynamoDB's scalar attribute values into responses without the generic walk.

    moto serializes every response against botocore's model: for each ``AttributeValue`` it
    visits all ten members (S, N, B, SS, ..., BOOL) and, for each, tries up to a dozen aliases
    of the member's name on the value. A query returning 50 items spent more time there than in
    the query itself. A DynamoDB-only serializer class (moto's own JSON one, registered for
    ``dynamodb`` in its table of service-specific serializers) writes a value whose only member
    is a string ``S`` or ``N`` or a boolean ``BOOL`` or ``NULL`` as that one member, which is
    what the walk produces for it; every other value (maps, lists, sets, binary, anything
    unexpected), and any response with key transformers, takes moto's walk. Checked against
    moto 5.2.5 and its botocore model of ``AttributeValue``.
    """
    from moto.core import serialize
    from moto.core.utils import get_service_model

    base = serialize.get_serializer_class("dynamodb", "json")
    shape = get_service_model("dynamodb").shape_for("AttributeValue")
    for name, python_type in _PLAIN_MEMBERS.items():
        member = shape.members.get(name)
        expected = "string" if python_type is str else "boolean"
        if member is None or member.type_name != expected or "name" in member.serialization:
            logger.warning("moto's AttributeValue model changed; serializing it moto's way")
            return

    walk = base._serialize_type_structure

    def serialize_structure(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        if (
            key
            and shape.name == "AttributeValue"
            and type(value) is dict
            and len(value) == 1
            and not getattr(self._value_picker, "response_transformers", None)
        ):
            ((member, inner),) = value.items()
            if type(inner) is _PLAIN_MEMBERS.get(member):
                serialized[shape.serialization.get("name", key)] = {member: inner}
                return
        walk(self, serialized, value, shape, key)

    serializer = type(
        "DynamoJSONSerializer", (base,), {"_serialize_type_structure": serialize_structure}
    )
    serialize.SERVICE_SPECIFIC_SERIALIZERS.setdefault("dynamodb", {})["json"] = serializer


def direct_serializer_installed() -> bool:
    """Whether DynamoDB responses go through ``serialize_attribute_values_directly``'s class."""
    from moto.core import serialize

    found = serialize.SERVICE_SPECIFIC_SERIALIZERS.get("dynamodb", {}).get("json")
    return getattr(found, "__module__", None) == __name__


#: Keys written between two queries beyond which a table's grouping is dropped and redone.
MAX_DIRTY_KEYS = 4096


class _Partitions:
    """One moto table's items grouped by the value of each attribute a query selected on.

    ``buckets[attribute][value]`` maps each item's primary key to the item, for the items whose
    ``attribute`` equals ``value``; items whose value cannot be a dictionary key (lists, maps,
    sets: never valid index keys, but moto stores them) are in ``odd[attribute]``, candidates of
    every partition. Writes only record the key they touched (``dirty``); the next ``members``
    re-reads those keys from the table first. ``items`` is the table's item dictionary this
    was built from.
    """

    def __init__(self, table: Any) -> None:
        self.items = table.items
        self.buckets: dict[str, dict[Any, dict[Any, Any]]] = {}
        self.odd: dict[str, dict[Any, Any]] = {}
        self.placed: dict[str, dict[Any, Any]] = {}
        self.dirty: set[Any] = set()

    def members(self, table: Any, attribute: str, value: Any) -> list[Any]:
        """The items whose ``attribute`` may equal ``value`` (a superset: moto filters)."""
        if self.dirty:
            for key in self.dirty:
                item = _stored_item(table, key)
                for tracked in self.buckets:
                    self._unplace(tracked, key)
                    self._place(tracked, key, item)
            self.dirty.clear()
        if attribute not in self.buckets:
            self.buckets[attribute], self.odd[attribute], self.placed[attribute] = {}, {}, {}
            for item in _table_items(table):
                self._place(attribute, (item.hash_key, item.range_key), item)
        found = list(self.buckets[attribute].get(value, {}).values())
        found.extend(self.odd[attribute].values())
        return found

    def _place(self, attribute: str, key: Any, item: Any) -> None:
        value = item.attrs.get(attribute) if item is not None else None
        if value is None:
            return
        try:
            bucket = self.buckets[attribute].setdefault(value, {})
        except TypeError:  # a list, map or set: unhashable
            self.odd[attribute][key] = item
            self.placed[attribute][key] = _ODD
            return
        bucket[key] = item
        self.placed[attribute][key] = value

    def _unplace(self, attribute: str, key: Any) -> None:
        value = self.placed[attribute].pop(key, None)
        if value is None:
            return
        if value is _ODD:
            del self.odd[attribute][key]
            return
        bucket = self.buckets[attribute][value]
        del bucket[key]
        if not bucket:
            del self.buckets[attribute][value]


#: Where ``_Partitions.placed`` records an item kept in ``odd``.
_ODD = object()


class _PartitionIndexes:
    """The ``_Partitions`` of every table queried through an index, kept under one lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tables: weakref.WeakKeyDictionary[Any, _Partitions] = weakref.WeakKeyDictionary()

    def members(self, table: Any, attribute: str, value: Any) -> list[Any]:
        with self._lock:
            partitions = self._tables.get(table)
            if partitions is None or partitions.items is not table.items:
                partitions = self._tables[table] = _Partitions(table)
            return partitions.members(table, attribute, value)

    def touched(self, table: Any, key: Any | None) -> None:
        """A write changed, or may have changed, the item at ``key`` (None: any item)."""
        with self._lock:
            partitions = self._tables.get(table)
            if partitions is None:
                return
            if key is None or len(partitions.dirty) >= MAX_DIRTY_KEYS:
                del self._tables[table]
            else:
                partitions.dirty.add(key)


def _stored_item(table: Any, key: Any) -> Any:
    """The item stored in a moto table under the primary key ``(hash, range)``, or None."""
    found = table.items.get(key[0])
    if table.range_key_attr is None or found is None:
        return found
    return found.get(key[1])


def _table_items(table: Any) -> list[Any]:
    """Every item of a moto table, unsorted."""
    if table.range_key_attr is None:
        return list(table.items.values())
    partitions = list(table.items.values())
    return [item for partition in partitions for item in list(partition.values())]


def _ordered(all_items: Any, table: Any, items: list[Any]) -> list[Any]:
    """``items`` in the order moto's ``all_items`` lists them (it is run on them alone)."""
    layout: dict[Any, Any] = {}
    for item in items:
        if table.range_key_attr is None:
            layout[item.hash_key] = item
        else:
            layout.setdefault(item.hash_key, {})[item.range_key] = item
    return list(all_items(types.SimpleNamespace(items=layout, range_key_attr=table.range_key_attr)))


def _key_of(table: Any, attributes: Any) -> Any | None:
    """The primary key ``(hash, range)`` that ``attributes`` (DynamoDB JSON) name, or None."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    try:
        hash_value = DynamoType(attributes[table.hash_key_attr])
        if table.range_key_attr is None:
            return (hash_value, None)
        return (hash_value, DynamoType(attributes[table.range_key_attr]))
    except Exception:  # noqa: BLE001 - not a key moto could have stored anything under
        return None


def _query_candidates(
    indexes: _PartitionIndexes, all_items: Any, table: Any, arguments: dict[str, Any]
) -> list[Any] | None:
    """What ``all_items()`` must list for a query with these arguments; None: everything."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    if arguments.get("index_name"):
        conditions = arguments.get("hash_key_conditions")
        if not conditions:
            return None
        attribute, value = conditions[0]
    else:
        attribute, value = None, arguments.get("hash_key")
    if type(value) is not DynamoType:
        return None
    try:
        hash(value)
    except TypeError:  # an unhashable value: let moto compare it
        return None
    if attribute is not None:
        return _ordered(all_items, table, indexes.members(table, attribute, value))
    found = table.items.get(value)
    if found is None:
        return []
    return _ordered(
        all_items, table, [found] if table.range_key_attr is None else [*found.values()]
    )


def _track_writes(indexes: _PartitionIndexes) -> None:
    """Tell ``indexes`` the primary key of each item moto writes, once it is written."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    original_put = Table.put_item
    original_delete = Table.delete_item
    original_update = DynamoDBBackend.update_item

    @functools.wraps(original_put)
    def put_item(self: Any, item_attrs: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return original_put(self, item_attrs, *args, **kwargs)
        finally:
            indexes.touched(self, _key_of(self, item_attrs))

    @functools.wraps(original_delete)
    def delete_item(self: Any, hash_key: Any, range_key: Any) -> Any:
        try:
            return original_delete(self, hash_key, range_key)
        finally:
            indexes.touched(self, (hash_key, range_key if self.range_key_attr else None))

    @functools.wraps(original_update)
    def update_item(self: Any, table_name: str, key: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return original_update(self, table_name, key, *args, **kwargs)
        finally:
            table = self.tables.get(table_name)
            if table is None:  # an ARN, or no such table (then nothing was written)
                table = next((t for t in self.tables.values() if t.table_arn == table_name), None)
            if table is not None:
                indexes.touched(table, _key_of(table, key) if isinstance(key, dict) else None)

    Table.put_item = put_item
    Table.delete_item = delete_item
    DynamoDBBackend.update_item = update_item


def query_partitions_directly() -> None:
    """Make a DynamoDB Query read the partition it asks for, not the whole table.

    moto's ``Table.query`` starts from ``Table.all_items()``: every item of the table, sorted by
    primary key (``DynamoType`` comparisons, each casting its value), then keeps those of the
    queried partition. Fanning out to a 2-member room of a 1,000-row connections table sorted
    1,000 rows. moto's query is unchanged; during a query, and for that table only,
    ``all_items()`` returns just the candidate items, in the order it would have listed them
    (moto's own ``all_items`` run on them): the base table's items under the queried hash key,
    or for an index the items whose attribute of the first hash key condition holds the queried
    value (grouped once per attribute, then kept current from the keys that writes touch). moto
    still filters the candidates by every key condition, sorts, pages and projects them, so the
    results, ``LastEvaluatedKey`` and errors are the ones it gives on the whole table.

    Writes mark the primary key they touched, after writing: ``Table.put_item``,
    ``Table.delete_item`` and ``DynamoDBBackend.update_item`` (which changes items in place);
    batch writes, transactions and PartiQL go through them. A table object replaced
    (transaction rollback, restore) or given a new item dictionary is grouped again. Anything
    else (no hash key condition, an unhashable value, a scan) takes moto's path. Checked
    against moto 5.2.5.
    """
    import inspect

    from moto.dynamodb.models.table import Table

    original_all_items = Table.all_items
    original_query = Table.query
    query_signature = inspect.signature(original_query)
    indexes = _PartitionIndexes()
    scope = threading.local()

    @functools.wraps(original_all_items)
    def all_items(self: Any) -> Any:
        restricted = getattr(scope, "restricted", None)
        if restricted is not None and restricted[0] is self:
            return list(restricted[1])
        return original_all_items(self)

    @functools.wraps(original_query)
    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            arguments = query_signature.bind(self, *args, **kwargs).arguments
        except TypeError:
            return original_query(self, *args, **kwargs)
        picked = _query_candidates(indexes, original_all_items, self, arguments)
        if picked is None:
            return original_query(self, *args, **kwargs)
        outer = getattr(scope, "restricted", None)
        scope.restricted = (self, picked)
        try:
            return original_query(self, *args, **kwargs)
        finally:
            scope.restricted = outer

    _track_writes(indexes)
    Table.all_items = all_items
    Table.query = query


#: Index projections that build new items from each result (``ALL`` returns the result).
_PROJECTIONS_THAT_COPY = frozenset({"KEYS_ONLY", "INCLUDE"})


class _QueryCopyModule(types.ModuleType):
    """Stands in for the ``copy`` module in moto's ``table`` module: see
    ``project_index_results_without_copy``."""

    def __init__(self, scope: threading.local) -> None:
        super().__init__("copy")
        self._scope = scope
        self.copy = copy.copy

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        scope = self._scope
        if memo is None and type(value) is list and getattr(scope, "projecting", False):
            scope.projecting = False
            return list(value)
        return copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def project_index_results_without_copy() -> None:
    """Skip the deep copy of a page of index query results that projection then replaces.

    moto's ``Table.query`` deep-copies the page of items it found, then, on an index, replaces
    each copy by the index's projection of it: for a ``KEYS_ONLY`` or ``INCLUDE`` index that
    is a new item built from the copy (``SecondaryIndex.project``, which reads it), so the
    copies are thrown away unread by anything else. For a query on such an index, that one
    copy (the first and only deep copy ``query`` makes) is a shallow list copy instead; the
    projection reads the stored items and builds the same new items from them. Base-table
    queries, ``ALL`` indexes and everything else in the module keep ``copy.deepcopy``.
    Checked against moto 5.2.5.
    """
    import inspect

    from moto.dynamodb.models import table as table_module
    from moto.dynamodb.models.table import Table

    original_query = Table.query
    query_signature = inspect.signature(original_query)
    scope = threading.local()
    if table_module.copy is not copy:
        logger.warning("moto's table module no longer imports copy; its copies stay moto's")
        return

    def projecting(table: Any, bound: Any) -> bool:
        index_name = bound.arguments.get("index_name")
        if not index_name:
            return False
        try:
            index = table.get_index(index_name)
        except Exception:  # noqa: BLE001 - moto reports the unknown index itself
            return False
        projection = index.projection or {}
        return projection.get("ProjectionType") in _PROJECTIONS_THAT_COPY

    @functools.wraps(original_query)
    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            bound = query_signature.bind(self, *args, **kwargs)
        except TypeError:
            return original_query(self, *args, **kwargs)
        scope.projecting = projecting(self, bound)
        try:
            return original_query(self, *args, **kwargs)
        finally:
            scope.projecting = False

    table_module.copy = _QueryCopyModule(scope)
    Table.query = query


def install_request_caches() -> None:
    """Memoize moto's per-request backend and action lookups."""
    from moto import backends
    from moto.core import responses

    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules
    responses.method_names_from_class = functools.lru_cache(maxsize=None)(
        responses.method_names_from_class
    )


def install() -> None:
    """Patch the caches into moto's Step Functions engine (import it first)."""
    from moto.stepfunctions.parser.asl.component.common.path import result_path
    from moto.stepfunctions.parser.asl.utils import boto_client, json_path
    from moto.stepfunctions.parser.backend import execution_worker

    boto_client.boto3 = _CachingBoto3(boto_client.boto3)
    json_path.parse = functools.lru_cache(maxsize=1024)(json_path.parse)
    result_path.parse = functools.lru_cache(maxsize=1024)(result_path.parse)
    execution_worker.AmazonStateLanguageParser = _CachingParser(
        execution_worker.AmazonStateLanguageParser
    )


#: Values ``copy.deepcopy`` returns as they are.
_ATOMIC_TYPES = frozenset({str, int, float, bool, type(None)})


def json_deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """``copy.deepcopy`` for JSON-shaped data, without its generic dispatch.

    Plain ``dict`` and ``list`` are copied here, strings, numbers, booleans and None are shared
    (``copy.deepcopy`` shares them too); everything else, subclasses of dict and list included,
    goes to ``copy.deepcopy`` with the same memo. Containers are recorded in the memo before
    their contents are copied, as ``copy.deepcopy`` does, so a value reached twice is copied
    once and a cycle stays a cycle.
    """
    if memo is None:
        memo = {}
    return _deepcopy_json(value, memo)


def _deepcopy_json(value: Any, memo: dict[int, Any]) -> Any:
    kind = type(value)
    if kind in _ATOMIC_TYPES:
        return value
    if kind is dict:
        found = memo.get(id(value))
        if found is not None:
            return found
        copied: dict[Any, Any] = {}
        memo[id(value)] = copied
        for key, item in value.items():
            copied[key if type(key) is str else copy.deepcopy(key, memo)] = (
                item if type(item) in _ATOMIC_TYPES else _deepcopy_json(item, memo)
            )
        return copied
    if kind is list:
        found = memo.get(id(value))
        if found is not None:
            return found
        listed: list[Any] = []
        memo[id(value)] = listed
        for item in value:
            listed.append(item if type(item) in _ATOMIC_TYPES else _deepcopy_json(item, memo))
        return listed
    return copy.deepcopy(value, memo)


class _JsonCopyModule(types.ModuleType):
    """Stands in for the ``copy`` module inside moto's Step Functions engine."""

    def __init__(self) -> None:
        super().__init__("copy")
        self.deepcopy = json_deepcopy
        self.copy = copy.copy

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


#: moto's Step Functions modules that deep-copy state data while an execution runs.
_ENGINE_COPYING_MODULES = (
    "moto.stepfunctions.parser.asl.eval.states",
    "moto.stepfunctions.parser.asl.eval.environment",
    "moto.stepfunctions.parser.asl.eval.event.event_manager",
    "moto.stepfunctions.parser.asl.component.common.string.string_expression",
    "moto.stepfunctions.parser.asl.component.common.path.result_path",
    "moto.stepfunctions.parser.asl.component.state.exec.execute_state",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service",
)


def copy_state_data_faster() -> None:
    """Deep-copy Step Functions state data with ``json_deepcopy`` (import the engine first).

    moto's engine copies the state's data at nearly every step (each state's input, the input
    path's and output path's result, the result path's merge, the state's output, the task's
    frame), about 60 copies per execution of the chat's state machine, each of the whole data
    once a page of 50 connections is in it: ``copy.deepcopy`` was the engine's largest cost.
    The data is JSON (parsed input, task results), which ``json_deepcopy`` copies a few times
    faster, to the same result; the copies are all still made. Only the engine's modules that
    copy while executing see it (their ``copy`` name). Checked against moto 5.2.5.
    """
    shim = _JsonCopyModule()
    for name in _ENGINE_COPYING_MODULES:
        module = importlib.import_module(name)
        if getattr(module, "copy", None) is not copy:
            logger.warning("%s no longer imports copy; its copies stay moto's", name)
            continue
        setattr(module, "copy", shim)  # noqa: B010 - ModuleType declares no such attribute


def state_copies_installed() -> bool:
    """Whether every engine module that copies state data copies it with ``json_deepcopy``."""
    return all(
        isinstance(getattr(sys.modules.get(name), "copy", None), _JsonCopyModule)
        for name in _ENGINE_COPYING_MODULES
    )


def record_state_data_without_copies() -> None:
    """Write a state's input and output into its history events without deep-copying them.

    For each state's ``StateEntered`` and ``StateExited`` history events, moto's engine takes
    the state's data with ``States.get_input()``, which returns a deep copy, and only turns that
    copy into a JSON string (``to_json_str``): the copy is never kept. While those two methods
    (``_get_state_entered_event_details`` and ``_get_state_exited_event_details``) run,
    ``get_input()`` without a query returns the data itself; the JSON written from it is the
    same. Every other ``get_input`` call, in those methods' thread or any other, still copies.
    Checked against moto 5.2.5.
    """
    from moto.stepfunctions.parser.asl.component.state.state import CommonStateField
    from moto.stepfunctions.parser.asl.eval.states import States

    scope = threading.local()
    original_get_input = States.get_input

    @functools.wraps(original_get_input)
    def get_input(self: Any, query: str | None = None) -> Any:
        if query is None and getattr(scope, "recording", False):
            return self._states_data["input"]
        return original_get_input(self, query)

    def recording(method: Any) -> Any:
        @functools.wraps(method)
        def record(*args: Any, **kwargs: Any) -> Any:
            scope.recording = True
            try:
                return method(*args, **kwargs)
            finally:
                scope.recording = False

        return record

    States.get_input = get_input
    CommonStateField._get_state_entered_event_details = recording(
        CommonStateField._get_state_entered_event_details
    )
    CommonStateField._get_state_exited_event_details = recording(
        CommonStateField._get_state_exited_event_details
    )


def prune(retention: int = DEFAULT_RETENTION) -> int:
    """Drop the oldest finished executions beyond ``retention``; how many were dropped."""
    from moto.stepfunctions.parser import models
    from moto.stepfunctions.parser.backend.execution_worker import TMP_THREADS

    dropped = 0
    for regions in models.stepfunctions_parser_backends.values():
        for backend in regions.values():
            for machine in list(backend.state_machines):
                executions = getattr(machine, "executions", None)
                if not executions:
                    continue
                excess = len(executions) - retention
                finished = 0
                while finished < excess and _finished(executions[finished]):
                    finished += 1
                if finished:
                    del executions[:finished]
                    dropped += finished
    TMP_THREADS[:] = [thread for thread in TMP_THREADS if thread.is_alive()]
    return dropped


def _finished(execution: Any) -> bool:
    status = getattr(execution, "exec_status", None)
    return status is not None and status.value != "RUNNING"


def start_pruning(stop: threading.Event, retention: int = DEFAULT_RETENTION) -> threading.Thread:
    """Prune every few seconds until ``stop`` is set."""

    def loop() -> None:
        while not stop.wait(PRUNE_INTERVAL_SECONDS):
            try:
                dropped = prune(retention)
            except Exception:  # housekeeping must never take the emulator down
                logger.exception("pruning executions failed")
                continue
            if dropped:
                logger.debug("pruned %d finished executions", dropped)

    thread = threading.Thread(target=loop, name=PRUNE_THREAD, daemon=True)
    thread.start()
    return thread
