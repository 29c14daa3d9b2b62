"""Send-to-delivery latency of a chat message in a small room, and memory, per AWS backend.

    CHAT_TEST_BACKEND=embedded   .venv/bin/python benchmarks/backend_latency.py
    CHAT_TEST_BACKEND=localstack .venv/bin/python benchmarks/backend_latency.py [--pollers 8]

Starts the whole stack (and, for ``localstack``, LocalStack without Docker unless
``CHAT_TEST_LOCALSTACK_URL`` names one), joins ``--members`` clients to one room, and sends
``--messages`` messages one after another from the first member; a message's latency is from
its send until the last member has it. Prints the figures as JSON, with the resident memory of
the gateway process and of the backend's processes (moto's child, or LocalStack and its
DynamoDB Local JVM). Loopback only; bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from pathlib import Path

from chatserver.testing import ChatClient, ChatStack, of_type
from chatserver.testing.backends import TestBackend


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def backend_processes(stack: ChatStack) -> dict[str, float]:
    """RSS (MB) of the emulator child, or of the LocalStack processes on the endpoint's port."""
    emulator = stack.gateway.backend.emulator
    if emulator is not None and emulator.pid is not None:
        return {"moto": rss_mb(emulator.pid)}
    port = str(stack.endpoint.url).rsplit(":", 1)[1]
    found: dict[str, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if f"GATEWAY_LISTEN=127.0.0.1:{port}".encode() in environ:
            name = "dynamodb-local-jvm" if b"DynamoDBLocal" in cmdline else "localstack"
            found[name] = found.get(name, 0.0) + rss_mb(int(entry.name))
    return found


async def measure(stack: ChatStack, members: int, messages: int) -> list[float]:
    room = f"bench-{time.monotonic_ns()}"
    clients = [await ChatClient.connect(stack.ws_url, f"user{i}", room) for i in range(members)]
    try:
        last = clients[-1]
        for client in clients:
            await client.expect(of_type("presence", user=last.name, status="online"), 30)
        latencies = []
        for index in range(messages):
            began = time.perf_counter()
            client_message_id = await clients[0].send_message(f"bench {index}")
            for client in clients:
                await client.expect(of_type("message", clientMessageId=client_message_id), 30)
            latencies.append((time.perf_counter() - began) * 1000)
        return latencies
    finally:
        for client in clients:
            await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=3)
    parser.add_argument("--messages", type=int, default=50)
    parser.add_argument("--pollers", type=int, default=None, help="CHAT_ACTIVITY_POLLERS")
    args = parser.parse_args()
    with TestBackend() as backend:
        overrides = backend.settings()
        if args.pollers is not None:
            overrides["activity_pollers"] = args.pollers
        with ChatStack(**overrides) as stack:
            asyncio.run(measure(stack, args.members, 5))  # warm-up
            latencies = asyncio.run(measure(stack, args.members, args.messages))
            figures = {
                "backend": backend.name,
                "bridge": stack.settings.bridge,
                "activity_pollers": stack.settings.activity_pollers,
                "members": args.members,
                "messages": args.messages,
                "latency_ms": {
                    "p50": round(statistics.median(latencies), 1),
                    "p95": round(statistics.quantiles(latencies, n=20)[18], 1),
                    "max": round(max(latencies), 1),
                    "mean": round(statistics.fmean(latencies), 1),
                },
                "rss_mb": {
                    "gateway": round(rss_mb(os.getpid()), 1),
                    **{k: round(v, 1) for k, v in backend_processes(stack).items()},
                },
            }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
