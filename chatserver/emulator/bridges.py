"""The two places where moto cannot reach local code, bridged (installed in the moto process).

1. Lambda invoke. moto runs function code only in Docker; its no-Docker backend
   (``LambdaSimpleBackend``) echoes the payload. ``forward_invoke`` replaces that one method:
   every invoke of a function runs the real handler module through ``Functions.invoke``
   (``chatserver.emulator.functions``: in this process, or in the gateway's over the link).

2. EventBridge targets. moto matches rules itself but raises ``NotImplementedError`` for Step
   Functions and Lambda targets, which turns PutEvents into an HTTP 500 (and boto3's retries
   into duplicate deliveries). ``deliver_to_targets`` wraps ``Rule.send_to_targets``: targets
   moto delivers (SQS, logs, buses...) still go to moto; a state machine target starts an
   execution in moto's own Step Functions backend; a Lambda target is invoked through the
   bridge above. Pattern matching and input transformation stay moto's.

3. Lambda tasks of state machines. moto's engine reaches Lambda through a boto3 call back
   into the moto server, which then hits bridge 1; ``forward_tasks`` short-cuts that round
   trip for functions moto knows, running the task's payload directly (same payload, same
   result, same ``FunctionError``). Unknown functions still take moto's own path, so its
   errors stay moto's.

Nothing else of AWS is re-implemented here: DynamoDB, rule matching and state machine
execution are moto's.
"""

from __future__ import annotations

import collections
import copy
import json
import logging
import uuid
from datetime import UTC, datetime
from typing import Any, Protocol

logger = logging.getLogger("chatserver.emulator.bridges")


class Functions(Protocol):
    """Runs the stack's Lambda functions (``chatserver.emulator.functions.FunctionHost``)."""

    def invoke(
        self, function_name: str, payload: bytes, *, asynchronous: bool = False
    ) -> tuple[bytes, str | None]:
        """The function's result payload and its ``X-Amz-Function-Error`` (None if it
        succeeded)."""
        ...


def _plain_event(event: dict[str, Any]) -> dict[str, Any]:
    """moto's internal event in AWS's shape: ISO ``time``, no ``ingestion-time``."""
    shaped = {key: value for key, value in event.items() if key != "ingestion-time"}
    if isinstance(shaped.get("time"), int | float):
        moment = datetime.fromtimestamp(shaped["time"], tz=UTC)
        shaped["time"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return shaped


def _decoded(payload: bytes) -> Any:
    """A Lambda result as moto's engine represents it: JSON if it parses, else text."""
    text = payload.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


#: How often each bridge ran ("invoke", "targets", "tasks"): ``patches.in_use`` reads it.
BRIDGED: collections.Counter[str] = collections.Counter()


def forward_tasks(forwarder: Functions) -> None:
    """Bridge 3: run Step Functions Lambda tasks directly (import the engine first)."""
    from moto.awslambda.utils import get_backend as lambda_backend
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    from moto.utilities.arns import parse_arn

    through_moto = lambda_eval_utils._invoke_lambda_function

    def invoke_task(parameters: dict[str, Any], region: str, state_credentials: Any) -> Any:
        name = str(parameters.get("FunctionName", ""))
        account = parse_arn(name).account if name.startswith("arn:") else DEFAULT_ACCOUNT_ID
        try:
            lambda_backend(account, region).get_function(name, None)
        except Exception:  # noqa: BLE001 - unknown to moto: its own path reports the error
            return through_moto(
                parameters=parameters, region=region, state_credentials=state_credentials
            )
        BRIDGED["tasks"] += 1
        payload = parameters.get("Payload") or b"{}"
        if isinstance(payload, str):
            payload = payload.encode()
        result, function_error = forwarder.invoke(name, payload)
        response: dict[str, Any] = {
            "StatusCode": 200,
            "ExecutedVersion": "$LATEST",
            "Payload": _decoded(result),
        }
        if function_error:
            response["FunctionError"] = function_error
        return response

    lambda_eval_utils._invoke_lambda_function = invoke_task


def install(forwarder: Functions) -> None:
    """Configure moto to run state machines and bridge Lambda and EventBridge targets."""
    from moto.awslambda_simple.models import LambdaSimpleBackend
    from moto.core.config import default_user_config
    from moto.events import models as events_models
    from moto.events.models import EventTemplateParser
    from moto.stepfunctions.responses import get_backend as stepfunctions_backend
    from moto.utilities.arns import parse_arn

    default_user_config.setdefault("lambda", {})["use_docker"] = False
    default_user_config.setdefault("stepfunctions", {})["execute_state_machine"] = True

    def forward_invoke(  # noqa: PLR0917 - moto's signature
        self: Any,
        function_name: str,
        qualifier: str | None,
        body: Any,
        headers: Any,
        response_headers: dict[str, str],
    ) -> bytes:
        self.get_function(function_name, qualifier)  # ResourceNotFound for unknown functions
        BRIDGED["invoke"] += 1
        payload = body if isinstance(body, bytes) else (body or "{}").encode()
        asynchronous = str(headers.get("X-Amz-Invocation-Type", "")).lower() == "event"
        result, function_error = forwarder.invoke(function_name, payload, asynchronous=asynchronous)
        if function_error:
            response_headers["x-amz-function-error"] = function_error
        return result

    original_send = events_models.Rule.send_to_targets

    def deliver_to_targets(
        self: Any, original_event: dict[str, Any], transform_input: bool = True
    ) -> None:
        if not self.event_pattern.matches_event(original_event):
            return
        bridged = [t for t in self.targets if parse_arn(t["Arn"]).service in ("states", "lambda")]
        if len(bridged) < len(self.targets):
            rest = copy.copy(self)
            rest.targets = [t for t in self.targets if t not in bridged]
            original_send(rest, original_event, transform_input)
        for target in bridged:
            BRIDGED["targets"] += 1
            event = _plain_event(original_event)
            if "Input" in target:
                payload = target["Input"]
            elif "InputTransformer" in target:
                transformer = target["InputTransformer"]
                payload = EventTemplateParser.parse(
                    input_template=transformer.get("InputTemplate"),
                    input_paths_map=transformer.get("InputPathsMap", {}),
                    event=event,
                )
                payload = payload if isinstance(payload, str) else json.dumps(payload)
            else:
                payload = json.dumps(event)
            arn = parse_arn(target["Arn"])
            try:
                if arn.service == "states":
                    backend = stepfunctions_backend(self.account_id, self.region_name)
                    backend.start_execution(
                        target["Arn"], name=str(uuid.uuid4()), execution_input=payload
                    )
                else:  # an asynchronous invoke: queued, never waited for
                    forwarder.invoke(target["Arn"], payload.encode(), asynchronous=True)
            except Exception:
                # EventBridge counts a failed target invocation; PutEvents itself succeeds.
                logger.exception("delivering event %s to %s failed", event.get("id"), target["Arn"])

    LambdaSimpleBackend.invoke = forward_invoke
    events_models.Rule.send_to_targets = deliver_to_targets
