"""The activity bridge: the gateway's worker that runs the broadcast task on LocalStack."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from chatserver.aws.endpoint import AwsEndpoint
from chatserver.gateway.activity_worker import ActivityWorker
from chatserver.handlers.catalog import by_name
from chatserver.testing import ChatClient, ChatStack, of_type
from chatserver.testing.backends import TestBackend
from chatserver.testing.plugin import ClientFactory

pytestmark = pytest.mark.asyncio

NEEDS_ACTIVITIES = "moto has no GetActivityTask: the embedded emulator bridges through Lambda"


def _worker(chat_stack: ChatStack, endpoint: AwsEndpoint, activity_arn: str) -> ActivityWorker:
    runtime = chat_stack.gateway.runtime
    assert runtime is not None
    return ActivityWorker(endpoint, activity_arn, runtime, by_name()["broadcast"], pollers=3)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _wait_for(condition, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        await asyncio.sleep(0.05)


async def test_broadcast_failure_fails_the_execution_with_error_and_cause(
    chat_stack: ChatStack, chat_client: ClientFactory, chat_room: str
) -> None:
    """A broadcast handler error fails the execution with its type and message, no traceback."""
    await chat_client("alice", chat_room)
    sfn = chat_stack.client("stepfunctions")
    event = {"detail": {"room": chat_room, "frame": "not an object"}}
    started = await asyncio.to_thread(
        sfn.start_execution,
        stateMachineArn=chat_stack.state_machine_arn,
        name=f"bad-{uuid.uuid4().hex}",
        input=json.dumps(event),
    )
    deadline = time.monotonic() + 20
    while True:
        described = await asyncio.to_thread(
            sfn.describe_execution, executionArn=started["executionArn"]
        )
        if described["status"] != "RUNNING":
            break
        assert time.monotonic() < deadline, "the execution did not finish"
        await asyncio.sleep(0.2)
    assert described["status"] == "FAILED"
    assert described["error"] == "InvalidMessage"
    assert "wrong types" in described["cause"]
    assert "Traceback" not in described["cause"]


@pytest.mark.backend("localstack", reason=NEEDS_ACTIVITIES)
async def test_chat_stack_broadcasts_through_the_activity(chat_stack: ChatStack) -> None:
    """On LocalStack the state machine's broadcast task is the activity the gateway polls."""
    sfn = chat_stack.client("stepfunctions")
    machine = await asyncio.to_thread(
        sfn.describe_state_machine, stateMachineArn=chat_stack.state_machine_arn
    )
    resource = json.loads(machine["definition"])["States"]["Broadcast"]["Resource"]
    assert resource.startswith("arn:aws:states:")
    assert ":activity:" in resource
    worker = chat_stack.gateway.activity_worker
    assert worker is not None
    assert worker.activity_arn == resource


async def test_worker_keeps_retrying_an_unreachable_endpoint_and_stops_at_once(
    chat_stack: ChatStack,
) -> None:
    """With nothing listening it logs, backs off and retries; stop() returns without delay."""
    nowhere = AwsEndpoint(f"http://127.0.0.1:{_free_port()}", "us-east-1", "test", "test")
    arn = "arn:aws:states:us-east-1:000000000000:activity:nowhere"

    async def scenario() -> tuple[int, bool, float]:
        worker = _worker(chat_stack, nowhere, arn)
        await worker.start()
        await _wait_for(lambda: worker.poll_errors >= 4)
        began = time.monotonic()
        await worker.stop()
        return worker.poll_errors, worker.running, time.monotonic() - began

    errors, running, stop_seconds = chat_stack.call(scenario())
    print(f"stopped in {stop_seconds * 1000:.0f} ms after {errors} failed polls")
    assert errors >= 4
    assert not running
    assert stop_seconds < 5  # a hang guard: stop() must not wait for a backoff or a poll


@pytest.mark.backend("localstack", reason=NEEDS_ACTIVITIES)
async def test_stop_cancels_pending_long_polls(chat_stack: ChatStack) -> None:
    """stop() ends pollers waiting in GetActivityTask (up to 60 s) without waiting for them."""
    sfn = chat_stack.client("stepfunctions")
    activity = await asyncio.to_thread(sfn.create_activity, name=f"idle-{uuid.uuid4().hex[:12]}")

    async def scenario() -> tuple[bool, float]:
        worker = _worker(chat_stack, chat_stack.endpoint, activity["activityArn"])
        await worker.start()
        await asyncio.sleep(1.5)  # every poller is inside a long poll by now
        began = time.monotonic()
        await worker.stop()
        return worker.running, time.monotonic() - began

    running, stop_seconds = chat_stack.call(scenario())
    await asyncio.to_thread(sfn.delete_activity, activityArn=activity["activityArn"])
    print(f"stopped in {stop_seconds * 1000:.0f} ms with long polls pending")
    assert not running
    assert stop_seconds < 5  # a hang guard against waiting out the 60 s poll


class Interruptible:
    """A TCP forwarder to an endpoint that can be cut off (listener and connections) and
    restored on the same port: an endpoint that hiccups."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = _free_port()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def up(self) -> None:
        self._server = await asyncio.start_server(self._forward, "127.0.0.1", self.port)

    async def down(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_writer))

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.CancelledError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers.difference_update((writer, up_writer))


@pytest.fixture
async def single_task_machine(chat_stack: ChatStack) -> AsyncIterator[tuple[str, str]]:
    """An activity and a state machine whose only state is a bare task on it."""
    sfn = chat_stack.client("stepfunctions")
    name = f"hiccup-{uuid.uuid4().hex[:12]}"
    activity = (await asyncio.to_thread(sfn.create_activity, name=name))["activityArn"]
    definition = {
        "StartAt": "Broadcast",
        "States": {"Broadcast": {"Type": "Task", "Resource": activity, "End": True}},
    }
    machine = await asyncio.to_thread(
        sfn.create_state_machine,
        name=name,
        definition=json.dumps(definition),
        roleArn=chat_stack.names.role_arn,
    )
    yield activity, machine["stateMachineArn"]
    await asyncio.to_thread(sfn.delete_state_machine, stateMachineArn=machine["stateMachineArn"])
    await asyncio.to_thread(sfn.delete_activity, activityArn=activity)


@pytest.mark.backend("localstack", reason=NEEDS_ACTIVITIES)
async def test_worker_resumes_after_the_endpoint_comes_back(
    chat_stack: ChatStack, single_task_machine: tuple[str, str], chat_room: str
) -> None:
    """Polls fail while the endpoint does not answer; once it does, tasks are run and reported.

    The endpoint is down from the start: a connection cut while polls are pending would leave
    LocalStack holding those polls for up to 60 s and handing them tasks nobody reads.
    """
    activity, machine = single_task_machine
    target_port = int(str(chat_stack.endpoint.url).rsplit(":", 1)[1])
    proxy = Interruptible(target_port)
    through_proxy = AwsEndpoint(f"http://127.0.0.1:{proxy.port}", "us-east-1", "test", "test")
    sfn = chat_stack.client("stepfunctions")

    async def down_then_up() -> ActivityWorker:
        worker = _worker(chat_stack, through_proxy, activity)
        await worker.start()
        await _wait_for(lambda: worker.poll_errors >= 3)
        await proxy.up()
        return worker

    worker = chat_stack.call(down_then_up())
    try:
        task_input = {"room": chat_room, "frame": {"type": "notice"}, "connectionIds": []}
        started = await asyncio.to_thread(
            sfn.start_execution, stateMachineArn=machine, input=json.dumps(task_input)
        )
        deadline = time.monotonic() + 30
        while True:
            described = await asyncio.to_thread(
                sfn.describe_execution, executionArn=started["executionArn"]
            )
            if described["status"] != "RUNNING":
                break
            assert time.monotonic() < deadline, "the task was never completed"
            await asyncio.sleep(0.2)
        assert described["status"] == "SUCCEEDED"
        assert json.loads(described["output"]) == {"delivered": 0, "gone": []}
        assert worker.succeeded == 1
    finally:
        chat_stack.call(worker.stop())
        chat_stack.call(proxy.down())


@pytest.mark.backend("localstack", reason=NEEDS_ACTIVITIES)
async def test_healthz_reports_the_endpoint_and_the_bridge(chat_stack: ChatStack) -> None:
    """/healthz names the external endpoint and answers 200 while LocalStack answers."""
    async with httpx.AsyncClient() as http:
        health = (await http.get(f"{chat_stack.http_url}/healthz")).json()
    assert health["status"] == "ok"
    assert health["backend"] == "external"
    assert health["endpoint"] == chat_stack.endpoint.url
    assert health["broadcastBridge"] == "activity"


@pytest.mark.backend("localstack", reason=NEEDS_ACTIVITIES)
async def test_a_restarted_gateway_loses_no_broadcast_to_its_predecessors_polls(
    chat_backend: TestBackend, chat_room: str
) -> None:
    """A gateway restarted on the same prefix delivers every message, although the polls of
    the one before are still pending in LocalStack (it keeps them up to 60 s)."""
    settings = chat_backend.settings(suffix="restart")
    with ChatStack(**settings) as first:
        first_activity = first.gateway.backend.stack.broadcast_arn  # type: ignore[union-attr]
        await asyncio.sleep(1.5)  # every poller is inside a long poll when it stops
    with ChatStack(**settings) as second:
        assert second.gateway.backend.stack.broadcast_arn != first_activity  # type: ignore[union-attr]
        alice = await ChatClient.connect(second.ws_url, "alice", chat_room)
        bob = await ChatClient.connect(second.ws_url, "bob", chat_room)
        try:
            for index in range(6):
                sent = await alice.say(f"after restart {index}", timeout=15)
                await bob.expect(of_type("message", messageId=sent["messageId"]), timeout=15)
            frames = bob.matching(of_type("message"))
            assert len(frames) == 6
        finally:
            await alice.close()
            await bob.close()
