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
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import sys
import threading
import types
from typing import Any

logger = logging.getLogger("chatserver.emulator.speedups")

#: Finished executions kept per state machine (the newest ones).
DEFAULT_RETENTION = 200
PRUNE_INTERVAL_SECONDS = 1.0


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
    """
    from moto.dynamodb.models.dynamo_type import Item

    project = Item.project

    def project_fast(self: Any, projection_expressions: list[list[str]]) -> Any:
        picked: dict[str, dict[str, Any]] = {}
        for expression in projection_expressions:
            if len(expression) != 1 or "[" in expression[0]:
                return project(self, projection_expressions)
            found = self.attrs.get(expression[0])
            if found is None:
                continue
            if found.type not in _SCALAR_TYPES:
                return project(self, projection_expressions)
            picked[expression[0]] = {found.type: found.value}
        return Item(hash_key=self.hash_key, range_key=self.range_key, attrs=picked)

    Item.project = project_fast


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

    thread = threading.Thread(target=loop, name="prune-executions", daemon=True)
    thread.start()
    return thread
