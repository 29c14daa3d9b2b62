"""Invoke one Lambda handler as the Lambda Python runtime does, in a bare interpreter.

Run by tests/deploy/test_lambda_artifact.py with the Python of a virtual environment holding
only what the Lambda runtime provides (boto3), ``PYTHONPATH`` set to the unpacked artifact (as
``/var/task``), the function's environment variables, and ``_HANDLER`` naming the entry point.
Reads the event as JSON on stdin; prints one JSON line: the result (or the error, as Lambda
reports it), every AWS call the handler made, and where chatserver was imported from.
Standard library and boto3 only: nothing else is installed where it runs.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from typing import Any

import botocore.client

from chatserver.aws.management import ConnectionsApi

calls: list[dict[str, Any]] = []
_make_api_call = botocore.client.BaseClient._make_api_call


def _summary(params: dict[str, Any]) -> dict[str, Any]:
    """The parameters that say which resource a call touches."""
    summary = {
        key: params[key] for key in ("TableName", "IndexName", "ConnectionId") if key in params
    }
    if "TransactItems" in params:
        summary["TransactItems"] = [
            {kind: item[kind]["TableName"] for kind in item} for item in params["TransactItems"]
        ]
    if "Entries" in params:
        summary["EventBusNames"] = [
            entry.get("EventBusName", "default") for entry in params["Entries"]
        ]
    return summary


def _recording(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
    service = self.meta.service_model.service_name
    calls.append({"service": service, "operation": operation_name, "params": _summary(api_params)})
    return _make_api_call(self, operation_name, api_params)


botocore.client.BaseClient._make_api_call = _recording

# PostToConnection goes through chatserver's own signed client, not botocore: record it too.
_post = ConnectionsApi.post


def _recording_post(self: ConnectionsApi, connection_id: str, data: bytes) -> bool:
    calls.append(
        {
            "service": "apigatewaymanagementapi",
            "operation": "PostToConnection",
            "params": {"ConnectionId": connection_id},
        }
    )
    return _post(self, connection_id, data)


ConnectionsApi.post = _recording_post  # type: ignore[method-assign]


class LambdaContext:
    """The attributes of the Lambda runtime's context object (no ``environment``: os.environ)."""

    def __init__(self) -> None:
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]
        self.invoked_function_arn = os.environ["INVOKED_FUNCTION_ARN"]
        self.aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e812345678"
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "2026/11/24/[$LATEST]0123456789abcdef"
        self._deadline = time.monotonic() + float(os.environ["FUNCTION_TIMEOUT"])

    def get_remaining_time_in_millis(self) -> int:
        return int((self._deadline - time.monotonic()) * 1000)


def main() -> int:
    module_name, _, attribute = os.environ["_HANDLER"].rpartition(".")
    event = json.loads(sys.stdin.read())
    outcome: dict[str, Any] = {}
    try:
        handler = getattr(importlib.import_module(module_name), attribute)
        outcome["result"] = handler(event, LambdaContext())
    except Exception as exc:  # noqa: BLE001 - reported as Lambda reports a function error
        outcome["error"] = {
            "errorType": type(exc).__name__,
            "errorMessage": str(exc),
            "stackTrace": traceback.format_exc(),
        }
    outcome["calls"] = calls
    outcome["chatserver"] = getattr(sys.modules.get("chatserver"), "__file__", None)
    outcome["modules"] = sorted({name.split(".")[0] for name in sys.modules})
    print(json.dumps(outcome))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
