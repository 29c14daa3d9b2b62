"""The activity bridge: the state machine's broadcast task, run by the gateway on LocalStack.

LocalStack's Step Functions cannot invoke local code (its Lambda needs Docker), so there the
``Broadcast`` state's ``${BroadcastFunctionArn}`` is a Step Functions *activity* ARN instead of a
Lambda ARN: a bare task on an activity has the same input and output as one on a Lambda
function, and the ASL file stays the one that deploys to AWS. This worker plays the activity's
worker fleet inside the gateway process:

- ``pollers`` tasks each long-poll ``GetActivityTask``. LocalStack looks for a queued task when
  a poll arrives and then once a second (answering empty after 60 s), so each poller owns a
  slot, ``index / pollers`` of a second, and sends every poll at its slot: a task waits at most
  ``1 / pollers`` s for a poll to see it. Re-polling at once after a task instead lets the
  pollers' phases drift together (each win moves the winner's phase by the task's duration)
  until they all look at the same instant and a task waits up to a second; measured with 8
  pollers, the median delivery went from 0.4-0.8 s to about 0.1 s.
- A task's input is handed to the broadcast handler through the gateway's local Lambda runtime
  (the same ``invoke`` the Invoke API uses); its result is sent back with ``SendTaskSuccess``.
  A handler error or timeout is sent with ``SendTaskFailure``: the error is the exception's type
  (as a Lambda task reports ``errorType``), the cause its message, never a stack trace.
- An endpoint that does not answer is logged and retried with a growing delay (up to
  ``MAX_BACKOFF`` s); the worker never gives up while the gateway runs.
- ``stop`` cancels the pending long polls at once and gives running tasks ``grace`` seconds to
  report. A task LocalStack hands to a poll that was cancelled in that instant is lost to this
  gateway; Step Functions fails it after the state's ``TimeoutSeconds`` (60 s).

Handlers never see any of this: the broadcast handler is called exactly as Lambda calls it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from chatserver.aws.endpoint import AsyncClients, AwsEndpoint
from chatserver.gateway.lambda_runtime import Invocation, LocalLambdaRuntime
from chatserver.handlers.catalog import FunctionSpec

logger = logging.getLogger("chatserver.activity")

#: LocalStack looks for a queued activity task once per this many seconds in each poll.
POLL_PERIOD = 1.0
#: Longest wait between retries against an endpoint that does not answer.
MAX_BACKOFF = 5.0
FIRST_BACKOFF = 0.2
#: GetActivityTask holds the request for up to 60 s on AWS and LocalStack: read longer.
POLL_READ_TIMEOUT = 75.0
#: Step Functions' limits on SendTaskFailure's error and cause.
MAX_ERROR_LENGTH = 256
MAX_CAUSE_LENGTH = 32_768
#: Attempts to report a result before the task is left to time out.
REPORT_ATTEMPTS = 4

_GONE_TASK_ERRORS = ("TaskDoesNotExist", "TaskTimedOut", "InvalidToken")


class ActivityWorker:
    """Polls one activity with ``pollers`` concurrent long polls and runs ``spec`` for each task."""

    def __init__(
        self,
        endpoint: AwsEndpoint,
        activity_arn: str,
        runtime: LocalLambdaRuntime,
        spec: FunctionSpec,
        *,
        pollers: int,
        grace: float = 5.0,
    ) -> None:
        self._endpoint = endpoint
        self.activity_arn = activity_arn
        self._runtime = runtime
        self._spec = spec
        self._pollers = pollers
        self._grace = grace
        self._clients: AsyncClients | None = None
        self._client: Any = None
        self._loops: list[asyncio.Task[None]] = []
        self._polling: set[asyncio.Task[None]] = set()
        self._stopping = False
        self._epoch = 0.0
        self.worker_name = f"chatserver-{socket.gethostname()}-{os.getpid()}"[:80]
        #: Counters for logs and tests: tasks completed, failed, and failed polls.
        self.succeeded = 0
        self.failed = 0
        self.poll_errors = 0

    @property
    def running(self) -> bool:
        return any(not loop.done() for loop in self._loops)

    async def start(self) -> None:
        """Open the client and start the pollers, spread evenly over LocalStack's 1 s cycle."""
        config = Config(
            retries={"mode": "standard", "max_attempts": 1},
            connect_timeout=5,
            read_timeout=POLL_READ_TIMEOUT,
            max_pool_connections=self._pollers + 4,
        )
        self._clients = AsyncClients(self._endpoint, config=config)
        self._client = await self._clients.client("stepfunctions")
        self._epoch = asyncio.get_running_loop().time()
        for index in range(self._pollers):
            slot = index * POLL_PERIOD / self._pollers
            self._loops.append(
                asyncio.create_task(self._poll_loop(slot), name=f"activity-poller-{index}")
            )
        logger.info("polling %s with %d pollers", self.activity_arn, self._pollers)

    async def stop(self) -> None:
        """Cancel the pending long polls now; give running tasks ``grace`` s to report."""
        self._stopping = True
        for loop in self._polling:
            loop.cancel()
        if self._loops:
            _, late = await asyncio.wait(self._loops, timeout=self._grace)
            for loop in late:
                loop.cancel()
            await asyncio.gather(*self._loops, return_exceptions=True)
            self._loops.clear()
        if self._clients is not None:
            clients, self._clients, self._client = self._clients, None, None
            await clients.__aexit__(None, None, None)

    async def _until_slot(self, slot: float) -> None:
        """Sleep until this poller's slot comes round in LocalStack's one-second cycle."""
        elapsed = asyncio.get_running_loop().time() - self._epoch
        await asyncio.sleep((slot - elapsed) % POLL_PERIOD)

    async def _poll_loop(self, slot: float) -> None:
        current = asyncio.current_task()
        assert current is not None
        backoff = FIRST_BACKOFF
        while not self._stopping:
            self._polling.add(current)
            try:
                await self._until_slot(slot)
                task = await self._client.get_activity_task(
                    activityArn=self.activity_arn, workerName=self.worker_name
                )
            except (BotoCoreError, ClientError, OSError) as exc:
                self.poll_errors += 1
                logger.warning("GetActivityTask failed (retrying in %.1f s): %s", backoff, exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            finally:
                self._polling.discard(current)
            backoff = FIRST_BACKOFF
            token = task.get("taskToken")
            if token:  # an empty answer means the long poll ended without a task
                await self._run(token, task.get("input") or "{}")

    async def _run(self, token: str, raw_input: str) -> None:
        try:
            event = json.loads(raw_input)
        except ValueError:
            await self._report(token, failure=("States.Runtime", "the task input is not JSON"))
            return
        invocation = await self._runtime.invoke(self._spec, event)
        failure = _failure(invocation, self._spec)
        if failure is None:
            await self._report(token, output=json.dumps(invocation.result))
        else:
            await self._report(token, failure=failure)

    async def _report(
        self, token: str, *, output: str | None = None, failure: tuple[str, str] | None = None
    ) -> None:
        """SendTaskSuccess or SendTaskFailure, retried while the endpoint hiccups."""
        backoff = FIRST_BACKOFF
        for attempt in range(1, REPORT_ATTEMPTS + 1):
            try:
                if failure is None:
                    await self._client.send_task_success(taskToken=token, output=output)
                    self.succeeded += 1
                else:
                    error, cause = failure
                    await self._client.send_task_failure(
                        taskToken=token,
                        error=error[:MAX_ERROR_LENGTH],
                        cause=cause[:MAX_CAUSE_LENGTH],
                    )
                    self.failed += 1
                return
            except ClientError as exc:
                code = str(exc.response.get("Error", {}).get("Code", ""))
                if code in _GONE_TASK_ERRORS:
                    logger.warning("the task ended before its result was sent: %s", code)
                    return
                problem: Exception = exc
            except (BotoCoreError, OSError) as exc:
                problem = exc
            if attempt == REPORT_ATTEMPTS:
                logger.error(
                    "could not report a task result after %d attempts: %s", attempt, problem
                )
                return
            logger.warning("reporting a task result failed (retrying): %s", problem)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)


def _failure(invocation: Invocation, spec: FunctionSpec) -> tuple[str, str] | None:
    """The (error, cause) a failed invocation reports, as a Lambda task would; None if it ran."""
    if invocation.timed_out:
        return "Sandbox.Timedout", f"Task timed out after {spec.timeout} seconds"
    if invocation.error is not None:
        error = str(invocation.error.get("errorType") or "Error")
        cause = json.dumps(
            {"errorType": error, "errorMessage": str(invocation.error.get("errorMessage", ""))}
        )
        return error, cause
    return None
