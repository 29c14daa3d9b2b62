"""CPU of one chat message on the AWS side, in one process, with nothing else running.

Runs what the embedded emulator's process runs for a message (the ``sendMessage`` handler,
its DynamoDB and EventBridge calls served in-process, the rule, the state machine's execution
with its room query, the broadcast handler) against moto with chatserver's bridges and
speedups, for a room of N members; posts are answered by a stand-in for the gateway that counts
them. Prints CPU milliseconds per message (``time.process_time``), and with ``--profile`` the
functions that cost most (yappi, CPU clock). The gateway's own share (WebSocket frames, the
link) is not in it: ``chatserver bench`` measures the whole server.

    .venv/bin/python benchmarks/message_cost.py --members 2 50 --others 500 --messages 300
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import os
import threading
import time
from collections.abc import Sequence
from typing import Any

from chatserver.emulator import speedups

speedups.defer_batch_import()


from chatserver.aws import clients, management  # noqa: E402
from chatserver.aws.connections import Connection, ConnectionStore  # noqa: E402
from chatserver.aws.endpoint import AsyncClients, AwsEndpoint  # noqa: E402
from chatserver.aws.function_config import FunctionConfig  # noqa: E402
from chatserver.aws.names import ResourceNames  # noqa: E402
from chatserver.aws.provision import account_id, provision  # noqa: E402
from chatserver.chat.clock import now_ms  # noqa: E402
from chatserver.chat.ids import new_aws_style_id  # noqa: E402
from chatserver.emulator import inprocess  # noqa: E402
from chatserver.emulator.bridges import install  # noqa: E402
from chatserver.emulator.http_server import MotoHttpServer  # noqa: E402
from chatserver.emulator.moto_process import prepare_moto, prepare_step_functions  # noqa: E402
from chatserver.gateway.events import ConnectionInfo, EventBuilder  # noqa: E402
from chatserver.gateway.lambda_runtime import LocalLambdaRuntime  # noqa: E402
from chatserver.handlers.catalog import FUNCTIONS, by_name  # noqa: E402

MANAGEMENT = "http://127.0.0.1:1/local"


class CountingConnections:
    """Stands in for the gateway: every post succeeds; wakes the waiter once all arrived."""

    def __init__(self) -> None:
        self.posted = 0
        self.expected = 0
        self.done = threading.Event()

    def post_each(self, connection_ids: Sequence[str], data: bytes) -> list[tuple[int, str, str]]:
        self.posted += len(connection_ids)
        if self.posted >= self.expected:
            self.done.set()
        return [(200, "", "")] * len(connection_ids)


class Host:
    """Runs functions for moto's bridges through one local runtime on its own loop."""

    def __init__(self) -> None:
        self.runtime: Any = None
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

    def invoke(
        self, function_name: str, payload: bytes, *, asynchronous: bool = False
    ) -> tuple[bytes, str | None]:
        spec = self.runtime.resolve(function_name.rsplit(":", 1)[-1])
        event = json.loads(payload)
        future = asyncio.run_coroutine_threadsafe(self.runtime.invoke(spec, event), self.loop)
        result, error = future.result().payload(spec)
        return json.dumps(result).encode(), error


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, nargs="+", default=[2, 50])
    parser.add_argument("--others", type=int, default=0, help="rows of other rooms")
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--profile", action="store_true", help="print a yappi profile")
    args = parser.parse_args(argv)
    emulator = Emulator()
    try:
        store = emulator.connection_store()
        for index in range(args.others):
            store.put(Connection(new_aws_style_id(), f"other{index % 50}", f"o{index}", now_ms()))
        for members in args.members:
            room = Room(emulator, members)
            for _ in range(20):  # warm: clients built, state machine parsed, caches filled
                room.send_one()
            profile = _start_profile() if args.profile else None
            started, wall = time.process_time(), time.monotonic()
            for _ in range(args.messages):
                room.send_one()
            cpu_ms = (time.process_time() - started) / args.messages * 1000
            wall_ms = (time.monotonic() - wall) / args.messages * 1000
            print(
                f"{members} members, {args.others} other rows: {cpu_ms:.2f} ms CPU per message "
                f"({wall_ms:.2f} ms wall, one at a time)"
            )
            if profile is not None:
                _print_profile(profile)
    finally:
        emulator.stop()
    return 0


class Emulator:
    """moto with chatserver's bridges and speedups, provisioned, with the functions beside."""

    def __init__(self) -> None:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self.host = Host()
        install(self.host)  # before any resource exists: it turns on state machine execution
        prepare_moto()
        self.server = MotoHttpServer("127.0.0.1", 0)
        self.server.start()
        url = "http://{}:{}".format(*self.server.address)
        os.environ["MOTO_PORT"] = str(self.server.address[1])
        endpoint = AwsEndpoint(url, "us-east-1", "bench", "bench")
        self.names = asyncio.run(_provision(endpoint))
        self.runtime = LocalLambdaRuntime(FUNCTIONS, self.names, concurrency=16)
        self.runtime.environment = FunctionConfig(
            region="us-east-1",
            connections_table=self.names.connections_table,
            messages_table=self.names.messages_table,
            event_bus=self.names.event_bus,
            management_endpoint=MANAGEMENT,
            endpoint_url=url,
            access_key_id="bench",
            secret_access_key="bench",  # noqa: S106 - the emulator's dummy credentials
        ).to_environment()
        self.host.runtime = self.runtime
        prepare_step_functions(self.host)
        clients.register_transport(url, inprocess.attach)
        self.posts = CountingConnections()
        management.register_local(MANAGEMENT, self.posts)

    def connection_store(self) -> ConnectionStore:
        config = FunctionConfig.from_environment(self.runtime.environment)
        return ConnectionStore(clients.clients_for(config).dynamodb, self.names.connections_table)

    def stop(self) -> None:
        self.runtime.shutdown()
        self.server.stop()


class Room:
    """A room of ``members`` registered connections; the first one sends."""

    _ids = itertools.count()

    def __init__(self, emulator: Emulator, members: int) -> None:
        self._emulator = emulator
        self._members = members
        self._events = EventBuilder(api_id="benchbench", stage="local")
        self._send = by_name(FUNCTIONS)["send-message"]
        store = emulator.connection_store()
        self._senders = []
        for index in range(members):
            info = ConnectionInfo(new_aws_style_id(), now_ms(), "127.0.0.1", None, "x:1")
            store.put(Connection(info.connection_id, f"room{members}", f"u{index}", now_ms()))
            self._senders.append(info)

    def send_one(self) -> None:
        """``sendMessage`` from the first member; returns once every member's post arrived."""
        posts = self._emulator.posts
        body = json.dumps(
            {"action": "sendMessage", "text": "hello", "clientMessageId": f"m{next(self._ids)}"}
        )
        posts.expected = posts.posted + self._members
        posts.done.clear()
        event = self._events.message(self._senders[0], route_key="sendMessage", body=body)
        invoked = asyncio.run_coroutine_threadsafe(
            self._emulator.runtime.invoke(self._send, event), self._emulator.host.loop
        ).result()
        if invoked.failed or invoked.result.get("statusCode") != 200:
            raise RuntimeError(f"sendMessage failed: {invoked}")
        if not posts.done.wait(10):
            raise RuntimeError("the broadcast did not arrive")


def _start_profile() -> Any:
    import yappi  # noqa: PLC0415 - optional: only for --profile

    yappi.set_clock_type("cpu")
    yappi.clear_stats()
    yappi.start()
    return yappi


def _print_profile(yappi: Any) -> None:
    yappi.stop()
    stats = yappi.get_func_stats()
    stats.sort("ttot")
    stats.print_all(columns={0: ("name", 100), 1: ("ncall", 8), 2: ("tsub", 8), 3: ("ttot", 8)})


async def _provision(endpoint: AwsEndpoint) -> ResourceNames:
    async with AsyncClients(endpoint) as aws:
        names = ResourceNames(prefix="bench", region="us-east-1", account_id=await account_id(aws))
        await provision(aws, names)
    return names


if __name__ == "__main__":
    raise SystemExit(main())
