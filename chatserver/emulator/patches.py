"""Which of chatserver's patches of moto are in place in this process, and in use.

Each patch (listed in ``docs/patches.md``) replaces a moto internal. A moto upgrade can move
that internal (the patch then fails, or on the Step Functions thread only logs a traceback) or
stop calling it (the patch then applies and goes unused): either way the chat keeps working on
moto's slower paths and nothing else notices. The embedded emulator answers ``in_use`` over
the link (operation ``patches``), and a test that sends messages through it checks that every
entry is true.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

from chatserver.emulator import bridges, inprocess, speedups

#: Our modules: a moto attribute defined in one of them is a patch in place.
_OURS = (speedups.__name__, bridges.__name__, inprocess.__name__)
_FOLDER = Path(speedups.__file__).resolve().parent


def _ours(value: Any) -> bool:
    """Whether ``value`` is our code (a wrapper keeps moto's ``__module__``, not its code)."""
    code = getattr(getattr(value, "__func__", value), "__code__", None)
    if code is not None:
        return Path(code.co_filename).resolve().parent == _FOLDER
    return type(value).__module__ in _OURS


def _cache_hits(function: Any) -> int:
    info = getattr(function, "cache_info", None)
    return int(info().hits) if info is not None else 0


def in_use() -> dict[str, bool]:
    """Each patch: installed and, where the chat's message path runs it, used since start."""
    from moto import backends
    from moto.awslambda_simple.models import LambdaSimpleBackend
    from moto.core import responses
    from moto.core.common_models import BaseModel
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.responses import DynamoHandler
    from moto.events.models import Rule
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    from moto.stepfunctions.parser.asl.eval.states import States
    from moto.stepfunctions.parser.asl.utils import boto_client, json_path
    from moto.stepfunctions.parser.backend import execution_worker

    engine_clients = getattr(getattr(boto_client.boto3, "_boto3", None), "_clients", {})
    parser = execution_worker.AmazonStateLanguageParser
    return {
        # a caller that uses Batch loads its models on first use: the deferral itself is checked
        "defer_batch_import": _ours(getattr(sys.modules.get("moto.batch"), "__getattr__", None)),
        "install_request_caches": _ours(backends.list_of_moto_modules)
        and _cache_hits(responses.method_names_from_class) > 0,
        "stop_tracking_transient_models": _ours(BaseModel.__new__)
        and not getattr(Item, "instances_tracked", []),
        "serialize_dynamodb": _ours(DynamoHandler.call_action),
        "project_scalars_directly": _ours(Item.project),
        "query_partitions_directly": _ours(Table.all_items)
        and _ours(Table.put_item)
        and _ours(DynamoDBBackend.update_item),
        "project_index_results_without_copy": _ours(Table.query)
        and _ours(sys.modules[Table.__module__].copy),
        "serialize_attribute_values_directly": speedups.direct_serializer_installed(),
        "bridges.install": _ours(LambdaSimpleBackend.invoke)
        and _ours(Rule.send_to_targets)
        and bridges.BRIDGED["targets"] > 0,
        "bridges.forward_tasks": _ours(lambda_eval_utils._invoke_lambda_function)
        and bridges.BRIDGED["tasks"] > 0,
        "speedups.install (task clients)": bool(engine_clients),
        "speedups.install (ASL parse)": _cache_hits(getattr(parser, "parse", None)) > 0,
        "speedups.install (JSONPath)": _cache_hits(json_path.parse) > 0,
        "copy_state_data_faster": speedups.state_copies_installed(),
        "record_state_data_without_copies": _ours(States.get_input),
        "serve_engine_tasks": inprocess.serving_engine_tasks()
        and inprocess.SERVED["dynamodb"] > 0
        and all(inprocess.attached(client) for client in engine_clients.values()),
        "start_pruning": any(
            thread.name == speedups.PRUNE_THREAD and thread.is_alive()
            for thread in threading.enumerate()
        ),
    }
