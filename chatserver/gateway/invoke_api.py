"""Lambda's Invoke API, served by the gateway for its local functions.

``POST /2015-03-31/functions/{name}/invocations`` is the path boto3's ``lambda`` client and
the AWS CLI call. The embedded emulator's bridge sends every invoke here (a Step Functions
task reaching the broadcast handler); developers can also call a handler by hand::

    aws lambda invoke --endpoint-url http://127.0.0.1:8080 --function-name chat-broadcast ...

As on AWS, a handler that raises answers 200 with ``X-Amz-Function-Error: Unhandled`` and an
error payload; ``X-Amz-Invocation-Type: Event`` answers 202 at once and runs in background.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from chatserver.gateway.lambda_runtime import UnknownFunction
from chatserver.gateway.state import Gateway

router = APIRouter()
logger = logging.getLogger("chatserver.lambda")


def _lambda_error(status: int, error_type: str, message: str) -> JSONResponse:
    return JSONResponse(
        {"Type": "User", "message": message},
        status_code=status,
        headers={"x-amzn-ErrorType": error_type},
    )


@router.post("/2015-03-31/functions/{function_name}/invocations")
async def invoke(request: Request, function_name: str) -> Response:
    gateway: Gateway = request.app.state.gateway
    if gateway.runtime is None:
        return _lambda_error(503, "ServiceException", "the local Lambda runtime is starting")
    try:
        spec = gateway.runtime.resolve(function_name)
    except UnknownFunction:
        return _lambda_error(
            404, "ResourceNotFoundException", f"Function not found: {function_name}"
        )
    raw = await request.body()
    try:
        event = json.loads(raw) if raw else {}
    except ValueError:
        return _lambda_error(400, "InvalidRequestContentException", "Could not parse payload")
    if request.headers.get("X-Amz-Invocation-Type", "").lower() == "event":
        gateway.runtime.invoke_later(spec, event)
        return Response(status_code=202)
    invocation = await gateway.runtime.invoke(spec, event)
    headers = {"X-Amz-Executed-Version": "$LATEST"}
    if invocation.timed_out:
        headers["X-Amz-Function-Error"] = "Unhandled"
        payload: Any = {
            "errorMessage": f"Task timed out after {spec.timeout} seconds",
            "errorType": "Sandbox.Timedout",
        }
    elif invocation.error is not None:
        headers["X-Amz-Function-Error"] = "Unhandled"
        payload = invocation.error
    else:
        payload = invocation.result
    return Response(json.dumps(payload), media_type="application/json", headers=headers)
