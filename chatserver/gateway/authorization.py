"""Running the REQUEST authorizer on ``$connect``, with API Gateway's outcomes.

(apigateway-websocket-api-lambda-auth.html, apigateway-use-lambda-authorizer.html)

- The identity source (``route.request.querystring.token``) is missing or empty: 401, and the
  authorizer is not called.
- The authorizer fails with the message ``Unauthorized``: 401.
- It returns a policy that does not allow ``execute-api:Invoke`` on the method ARN: 403.
- It fails otherwise, times out, or returns no policy: 500 (an authorizer configuration error).
- It allows: the connection's ``requestContext.authorizer`` becomes ``principalId``, the
  policy's ``context`` entries and ``integrationLatency``, in every later event.
"""

from __future__ import annotations

import fnmatch
import time
from dataclasses import dataclass
from typing import Any

from chatserver.gateway.events import ConnectionInfo
from chatserver.gateway.state import Gateway
from chatserver.handlers.catalog import AUTHORIZER_IDENTITY_SOURCE, FunctionSpec


@dataclass(frozen=True)
class Decision:
    """The authorizer's verdict: an HTTP status to refuse with, or the authorizer context."""

    status: int
    message: str
    context: dict[str, Any] | None = None

    @property
    def allowed(self) -> bool:
        return self.context is not None


def identity_present(info: ConnectionInfo, source: str = AUTHORIZER_IDENTITY_SOURCE) -> bool:
    """Whether the identity source has a non-empty value in this handshake."""
    _, _, kind, name = [*source.split(".", 3), "", "", "", ""][:4]
    if kind == "querystring":
        return any(key == name and value for key, value in info.query)
    if kind == "header":
        return any(key.lower() == name.lower() and value for key, value in info.headers)
    return True


def method_arn(gateway: Gateway, route_key: str = "$connect") -> str:
    stack = gateway.backend.stack
    region = gateway.settings.aws_region
    account = stack.names.account_id if stack else "000000000000"
    api = f"{gateway.settings.api_id}/{gateway.settings.stage}"
    return f"arn:aws:execute-api:{region}:{account}:{api}/{route_key}"


def allows(policy: Any, resource: str) -> bool:
    """IAM evaluation reduced to what authorizers return: an explicit Deny wins, else an Allow."""
    if not isinstance(policy, dict):
        return False
    statements = policy.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    allowed = False
    for statement in statements:
        if not isinstance(statement, dict):
            continue
        actions = _as_list(statement.get("Action"))
        resources = _as_list(statement.get("Resource"))
        applies = any(fnmatch.fnmatchcase("execute-api:Invoke", a) for a in actions) and any(
            fnmatch.fnmatchcase(resource, r) for r in resources
        )
        if applies and statement.get("Effect") == "Deny":
            return False
        if applies and statement.get("Effect") == "Allow":
            allowed = True
    return allowed


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(item) for item in value] if isinstance(value, list) else []


async def authorize(gateway: Gateway, spec: FunctionSpec, info: ConnectionInfo) -> Decision:
    """Run the authorizer for a handshake and turn its result into a Decision."""
    if not identity_present(info):
        return Decision(401, "Unauthorized")
    assert gateway.runtime is not None
    arn = method_arn(gateway)
    started = time.monotonic()
    invocation = await gateway.runtime.invoke(
        spec,
        gateway.events.authorizer_request(info, method_arn=arn),
        timeout=min(float(spec.timeout), gateway.settings.integration_timeout),
    )
    latency = int((time.monotonic() - started) * 1000)
    if invocation.error is not None:
        if invocation.error.get("errorMessage") == "Unauthorized":
            return Decision(401, "Unauthorized")
        return Decision(500, "Internal server error")
    result = invocation.result
    if invocation.timed_out or not isinstance(result, dict) or "policyDocument" not in result:
        return Decision(500, "Internal server error")
    if not allows(result["policyDocument"], arn):
        return Decision(403, "Forbidden")
    context: dict[str, Any] = {"principalId": str(result.get("principalId", ""))}
    extra = result.get("context")
    if isinstance(extra, dict):
        context.update({k: v for k, v in extra.items() if isinstance(v, str | int | float | bool)})
    context["integrationLatency"] = latency
    return Decision(200, "Allowed", context)
