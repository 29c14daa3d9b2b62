"""Entry point of the embedded emulator's process: a moto server with chatserver's bridges.

Run by ``EmbeddedEmulator`` as ``python -m chatserver.emulator.moto_process``. It prints one
line ``READY <url>`` on stdout once it listens (HTTP for outside callers, and the link's socket
for the gateway), and exits when its standard input closes, so it never outlives the
chatserver that started it, even one killed with SIGKILL.

It runs in its own process so that moto's CPU work (it holds the GIL for every request) stays
off the gateway's event loop and the two processes use two cores. The chat's functions run
here too (``chatserver.emulator.functions``), so that their AWS calls are function calls.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chatserver.emulator.bridges import Functions
    from chatserver.emulator.functions import FunctionHost


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="chatserver-emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--link", required=True, help="the gateway link's socket path")
    parser.add_argument("--log-level", default="warning")
    parser.add_argument(
        "--execution-retention", type=int, default=200, help="finished executions to keep"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="emulator %(levelname)s %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    from chatserver.emulator import speedups

    speedups.defer_batch_import()

    from chatserver.emulator.bridges import install
    from chatserver.emulator.functions import FunctionHost
    from chatserver.emulator.http_server import MotoHttpServer
    from chatserver.emulator.link import TOKEN_ENV

    prepare_moto()
    server = MotoHttpServer(args.host, args.port)
    server.start()
    host, port = server.address
    # Step Functions task integrations call back into moto on this port.
    os.environ["MOTO_PORT"] = str(port)
    url = f"http://{host}:{port}"
    functions = FunctionHost(Path(args.link), os.environ.pop(TOKEN_ENV, ""), url)
    install(functions)
    functions.start()
    print(f"READY {url}", flush=True)

    stop = threading.Event()
    # Step Functions' engine takes about a second to import: load it while the gateway
    # provisions the tables, then cache what it recomputes for every execution.
    threading.Thread(
        target=_prepare_step_functions,
        args=(stop, functions, args.execution_retention),
        daemon=True,
    ).start()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threading.Thread(target=_exit_on_stdin_close, args=(stop,), daemon=True).start()
    stop.wait()
    functions.stop()
    server.stop()
    # Handlers still running are abandoned, as Lambda freezes a sandbox: exiting must not wait
    # for their threads (a $disconnect handler may run longer than the gateway's shutdown).
    sys.stdout.flush()
    os._exit(0)


def prepare_moto() -> None:
    """Every speedup of moto's request path and DynamoDB (after ``defer_batch_import``)."""
    from chatserver.emulator import speedups

    speedups.install_request_caches()
    speedups.stop_tracking_transient_models()
    speedups.serialize_dynamodb()
    speedups.project_scalars_directly()
    speedups.query_partitions_directly()
    speedups.project_index_results_without_copy()
    speedups.serialize_attribute_values_directly()


def prepare_step_functions(functions: Functions) -> None:
    """Load moto's Step Functions engine, bridge its Lambda tasks to ``functions``, install its
    speedups, and serve its SDK tasks in-process."""
    import moto.stepfunctions.parser.models  # noqa: F401

    from chatserver.emulator import inprocess, speedups
    from chatserver.emulator.bridges import forward_tasks

    forward_tasks(functions)
    speedups.install()
    speedups.copy_state_data_faster()
    speedups.record_state_data_without_copies()
    inprocess.serve_engine_tasks()


def _prepare_step_functions(stop: threading.Event, functions: FunctionHost, retention: int) -> None:
    from chatserver import heap
    from chatserver.emulator import speedups

    prepare_step_functions(functions)
    heap.settle()
    speedups.start_pruning(stop, retention)


def _exit_on_stdin_close(stop: threading.Event) -> None:
    try:
        while sys.stdin.buffer.read(1024):
            pass
    finally:
        stop.set()


if __name__ == "__main__":
    raise SystemExit(main())
