"""LocalStack init hook (ready stage): fix a race that loses activity tasks in LocalStack 4.14.0.

``GetActivityTask`` takes a task off the activity's queue and then looks for its execution by
walking every execution of the region, reading ``execution.exec_worker.env``. StartExecution
stores an execution before it creates its worker, and the worker's thread sets ``env`` later
still, so a poll answered while any execution is being started (EventBridge starts one per
chat frame) fails with HTTP 500 ("'NoneType' object has no attribute
'callback_pool_manager'"), and the task it took is lost: its execution fails 60 s later.
``SendTaskSuccess``, ``SendTaskFailure`` and ``SendTaskHeartbeat`` walk the executions the same
way. Measured here: 5 to 10 of 300 to 800 executions started at once were lost.

The fix leaves out of that walk the executions whose worker or its environment does not exist
yet: they cannot own a task token. Nothing else changes. LocalStack runs ``.py`` hooks inside
its own process, in Docker (compose mounts this folder) and in host mode
(``localstack/run-local.sh``) alike.
"""

from localstack.services.stepfunctions.provider import StepFunctionsProvider

_get_executions = StepFunctionsProvider._get_executions


def _started_executions(self, context, execution_status=None):
    executions = _get_executions(self, context, execution_status)
    return [
        execution
        for execution in executions
        if execution.exec_worker is not None and execution.exec_worker.env is not None
    ]


if not getattr(_get_executions, "chatserver_fix", False):
    _started_executions.chatserver_fix = True
    StepFunctionsProvider._get_executions = _started_executions
    print("chatserver init: activity task race fixed", flush=True)
