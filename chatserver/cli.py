"""The ``chatserver`` command.

``chatserver serve`` starts the gateway and, unless an AWS endpoint is configured, the embedded
emulator; every option is also a ``CHAT_`` environment variable (see the README's table).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from chatserver import __version__, heap
from chatserver.bench import commands as bench_commands
from chatserver.deploy import commands as deploy_commands
from chatserver.emulator.launcher import EmbeddedEmulator
from chatserver.errors import BackendError, ChatError, ConfigurationError
from chatserver.settings import Settings, load_settings

if TYPE_CHECKING:
    from chatserver.server import PreparedServer


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chatserver",
        description="A real-time chat on API Gateway, Lambda, DynamoDB, EventBridge and "
        "Step Functions, running offline.",
    )
    parser.add_argument("--version", action="version", version=f"chatserver {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the chat (gateway, handlers, emulator)")
    serve.add_argument("--host", help="interface to listen on (CHAT_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (CHAT_PORT, default 8080)")
    serve.add_argument("--stage", help="API stage (CHAT_STAGE, default local)")
    serve.add_argument(
        "--endpoint-url",
        dest="aws_endpoint_url",
        help="use this AWS endpoint instead of the embedded emulator (CHAT_AWS_ENDPOINT_URL)",
    )
    serve.add_argument(
        "--log-level",
        choices=["critical", "error", "warning", "info", "debug"],
        help="(CHAT_LOG_LEVEL, default info)",
    )
    token = commands.add_parser(
        "token", help="issue a token for connecting when CHAT_AUTH_SECRET is set"
    )
    token.add_argument("--name", required=True, help="the user name the token proves")
    token.add_argument("--ttl", type=int, default=12 * 60 * 60, help="lifetime in seconds (12 h)")
    deploy_commands.register(commands)
    bench_commands.register(commands)
    return parser


def _overrides(args: argparse.Namespace, names: Sequence[str]) -> dict[str, object]:
    return {name: getattr(args, name) for name in names if getattr(args, name, None) is not None}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "serve":
            settings = load_settings(
                **_overrides(args, ("host", "port", "stage", "aws_endpoint_url", "log_level"))
            )
            return _serve(settings)
        if args.command == "token":
            return _token(load_settings(), args.name, args.ttl)
        if args.command in deploy_commands.COMMANDS:
            return deploy_commands.run(args)
        if args.command in bench_commands.COMMANDS:
            return bench_commands.run(args)
    except ConfigurationError as exc:
        print(f"chatserver: {exc.message}", file=sys.stderr)
        return 2
    return 2  # pragma: no cover - argparse requires a command


def _token(settings: Settings, name: str, lifetime: int) -> int:
    from chatserver.handlers.authorizer import issue_token  # noqa: PLC0415 - PyJWT only if used

    if settings.auth_secret is None:
        raise ConfigurationError("CHAT_AUTH_SECRET is not set: there is nothing to sign with")
    if lifetime <= 0:
        raise ConfigurationError("--ttl must be a positive number of seconds")
    try:
        print(issue_token(settings.auth_secret.get_secret_value(), name, lifetime=lifetime))
    except ChatError as exc:
        raise ConfigurationError(f"--name: {exc.message}") from None
    return 0


def _serve(settings: Settings) -> int:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
    try:
        return asyncio.run(_run(settings))
    except KeyboardInterrupt:  # uvicorn re-raises the Ctrl-C it handled, once it is done
        print("chatserver stopped", flush=True)
        return 0


async def _run(settings: Settings) -> int:
    started = time.monotonic()
    # The embedded emulator's process first, and the gateway imported only then: the emulator
    # imports moto while this process imports FastAPI, one on each core.
    emulator = EmbeddedEmulator.for_settings(settings) if settings.uses_embedded_emulator else None
    if emulator is not None:
        await emulator.spawn()
    try:
        from chatserver.server import prepare  # noqa: PLC0415 - after the spawn, see above

        prepared = prepare(settings, emulator=emulator)
    except OSError as exc:
        if emulator is not None:
            await emulator.stop()
        print(
            f"chatserver: cannot listen on {settings.host}:{settings.port} "
            f"(CHAT_HOST / CHAT_PORT): {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 2
    except BaseException:
        if emulator is not None:
            await emulator.stop()
        raise
    serving = asyncio.create_task(prepared.serve(), name="uvicorn")
    ready = asyncio.create_task(prepared.wait_ready(), name="ready")
    await asyncio.wait({serving, ready}, return_when=asyncio.FIRST_COMPLETED)
    if not ready.done():  # stopped before it was ready
        ready.cancel()
        await serving
        return 0
    if ready.exception() is not None:
        error = ready.exception()
        message = error.message if isinstance(error, BackendError) else repr(error)
        print(f"chatserver: {message}", file=sys.stderr)
        prepared.server.should_exit = True
        await serving
        return 1
    _print_ready(prepared, time.monotonic() - started)
    heap.settle()  # the server's own process: what start-up built lives as long as it does
    await serving
    print("chatserver stopped", flush=True)
    return 0


def _print_ready(prepared: PreparedServer, seconds: float) -> None:
    gateway = prepared.gateway
    stage = prepared.settings.stage
    ws_url = gateway.url.replace("http://", "ws://", 1)
    backend = gateway.backend
    endpoint = backend.endpoint.url if backend.endpoint else "AWS"
    where = (
        f"embedded emulator (moto) at {endpoint}"
        if backend.kind == "embedded"
        else f"external endpoint {endpoint}"
    )
    lines = [
        f"chatserver {__version__} ready in {seconds:.2f} s",
        f"  chat (web)         {gateway.url}/",
        f"  WebSocket API      {ws_url}/{stage}?name=NAME&room=ROOM",
        f"  @connections API   {gateway.url}/{stage}/@connections/{{connectionId}}",
        f"  Lambda Invoke API  {gateway.url}/2015-03-31/functions/{{name}}/invocations",
        f"  health             {gateway.url}/healthz",
        f"  AWS backend        {where}",
        "Press Ctrl-C to stop.",
    ]
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
