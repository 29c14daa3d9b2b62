"""Caches and housekeeping for moto, installed in the emulator process.

For every request moto's server lists its own package folder (a directory scan) to find the
backend, and lists the methods of the response class (``inspect.getmembers``) to find the
action; both answers never change, so ``install_request_caches`` memoizes them.

Measured on the chat's state machine, moto spent most of each execution redoing the same
work: it parses the ASL with ANTLR again for every execution, builds a new boto3 client for
every task it runs (service model loading, endpoint rules, an SSL context), and parses every
JSONPath again on every evaluation. None of that depends on the execution, so each is cached
here by its input. Behaviour is unchanged: the same parsed program, client and JSONPath
objects moto would build, reused (moto keeps execution state in its per-execution
``Environment``, not in the parsed program, and boto3 clients are thread-safe).

moto also keeps every execution (and its thread object) forever; ``prune`` trims finished
executions beyond a retention count, so a long demo or a benchmark does not grow without
bound. Executions still running are never touched.
"""

from __future__ import annotations

import functools
import logging
import threading
from typing import Any

logger = logging.getLogger("chatserver.emulator.speedups")

#: Finished executions kept per state machine (the newest ones).
DEFAULT_RETENTION = 2000
PRUNE_INTERVAL_SECONDS = 10.0


class _CachingBoto3:
    """Stands in for the ``boto3`` module inside moto's task-client factory."""

    def __init__(self, boto3_module: Any) -> None:
        self._boto3 = boto3_module
        self._clients: dict[tuple[Any, ...], Any] = {}
        self._lock = threading.Lock()

    def client(self, *args: Any, **kwargs: Any) -> Any:
        key = (
            args,
            kwargs.get("service_name"),
            kwargs.get("region_name"),
            kwargs.get("endpoint_url"),
            kwargs.get("aws_access_key_id"),
        )
        with self._lock:
            found = self._clients.get(key)
            if found is None:
                found = self._boto3.client(*args, **kwargs)
                self._clients[key] = found
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self._boto3, name)


class _CachingParser:
    """Stands in for moto's ``AmazonStateLanguageParser``: one parse per definition."""

    def __init__(self, parser: Any) -> None:
        self._parser = parser
        self.parse = functools.lru_cache(maxsize=64)(parser.parse)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._parser, name)


def install_request_caches() -> None:
    """Memoize moto's per-request backend and action lookups."""
    from moto import backends
    from moto.core import responses

    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules
    responses.method_names_from_class = functools.lru_cache(maxsize=None)(
        responses.method_names_from_class
    )


def install() -> None:
    """Patch the three caches into moto's Step Functions engine (import it first)."""
    from moto.stepfunctions.parser.asl.utils import boto_client, json_path
    from moto.stepfunctions.parser.backend import execution_worker

    boto_client.boto3 = _CachingBoto3(boto_client.boto3)
    json_path.parse = functools.lru_cache(maxsize=1024)(json_path.parse)
    execution_worker.AmazonStateLanguageParser = _CachingParser(
        execution_worker.AmazonStateLanguageParser
    )


def prune(retention: int = DEFAULT_RETENTION) -> int:
    """Drop the oldest finished executions beyond ``retention``; how many were dropped."""
    from moto.stepfunctions.parser import models
    from moto.stepfunctions.parser.backend.execution_worker import TMP_THREADS

    dropped = 0
    for regions in models.stepfunctions_parser_backends.values():
        for backend in regions.values():
            for machine in list(backend.state_machines):
                executions = getattr(machine, "executions", None)
                if not executions:
                    continue
                excess = len(executions) - retention
                finished = 0
                while finished < excess and _finished(executions[finished]):
                    finished += 1
                if finished:
                    del executions[:finished]
                    dropped += finished
    TMP_THREADS[:] = [thread for thread in TMP_THREADS if thread.is_alive()]
    return dropped


def _finished(execution: Any) -> bool:
    status = getattr(execution, "exec_status", None)
    return status is not None and status.value != "RUNNING"


def start_pruning(stop: threading.Event, retention: int = DEFAULT_RETENTION) -> threading.Thread:
    """Prune every few seconds until ``stop`` is set."""

    def loop() -> None:
        while not stop.wait(PRUNE_INTERVAL_SECONDS):
            try:
                dropped = prune(retention)
            except Exception:  # housekeeping must never take the emulator down
                logger.exception("pruning executions failed")
                continue
            if dropped:
                logger.debug("pruned %d finished executions", dropped)

    thread = threading.Thread(target=loop, name="prune-executions", daemon=True)
    thread.start()
    return thread
