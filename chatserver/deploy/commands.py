"""The ``package`` and ``deploy-frontend`` subcommands of ``chatserver``.

``register`` adds them to the command's parser and ``run`` carries one out; a ``DeployError`` is
printed as one line and exits with 1, a bad option (``ConfigurationError``) reaches the
command's own handler and exits with 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from chatserver.deploy.lambda_package import DEFAULT_OUTPUT, DEFAULT_TARGET, LambdaTarget, build
from chatserver.errors import ConfigurationError, DeployError
from chatserver.settings import load_settings

COMMANDS = ("package", "deploy-frontend")

# boto3, and the gateway for the frontend's folder, are imported by the command that uses them:
# every ``chatserver`` command builds this parser, ``serve`` included, which starts faster
# without them (docs/performance.md, "Start on both cores").


def register(commands: Any) -> None:
    """Add the subcommands to ``commands`` (what ``add_subparsers`` returned)."""
    package = commands.add_parser(
        "package", help="build the Lambda zip that template.yaml deploys (dist/lambda.zip)"
    )
    package.add_argument(
        "--output", type=Path, default=DEFAULT_OUTPUT, help=f"(default {DEFAULT_OUTPUT})"
    )
    package.add_argument(
        "--architecture",
        choices=["arm64", "x86_64"],
        default=DEFAULT_TARGET.architecture,
        help=f"Lambda architecture (default {DEFAULT_TARGET.architecture}, as the template)",
    )
    package.add_argument(
        "--python-version",
        default=DEFAULT_TARGET.python_version,
        help=f"Lambda runtime's Python (default {DEFAULT_TARGET.python_version})",
    )

    upload = commands.add_parser(
        "deploy-frontend", help="upload web/ to the stack's bucket with its WebSocket URL"
    )
    upload.add_argument("--stack", help="read bucket, WebSocket URL and distribution from it")
    upload.add_argument("--bucket", help="the frontend bucket (stack output FrontendBucketName)")
    upload.add_argument("--websocket-url", help="wss://... (stack output WebSocketUrl)")
    upload.add_argument(
        "--distribution-id", help="invalidate this CloudFront distribution's cache afterwards"
    )
    upload.add_argument("--web-dir", type=Path, help="default: the frontend chatserver serves")
    upload.add_argument(
        "--delete", action="store_true", help="remove objects of the bucket that web/ lacks"
    )
    upload.add_argument("--region", help="AWS region (default: your AWS configuration's)")
    upload.add_argument("--endpoint-url", help="an S3-compatible endpoint instead of AWS")


def run(args: argparse.Namespace) -> int:
    try:
        if args.command == "package":
            return _package(args)
        return _deploy_frontend(args)
    except DeployError as exc:
        print(f"chatserver {args.command}: {exc.message}", file=sys.stderr)
        return 1


def _package(args: argparse.Namespace) -> int:
    if not args.python_version.startswith("3."):
        raise ConfigurationError(
            f"--python-version must look like 3.12 (got {args.python_version})"
        )
    target = LambdaTarget(args.python_version, args.architecture)
    built = build(args.output, target)
    print(
        f"built {built.path} ({built.size / 1e6:.1f} MB, {built.files} files) for "
        f"{target.runtime} {target.architecture}: {len(built.modules)} chatserver modules, "
        f"{', '.join(built.requirements)}"
    )
    return 0


def _deploy_frontend(args: argparse.Namespace) -> int:
    import boto3  # noqa: PLC0415 - see COMMANDS

    from chatserver.deploy import frontend  # noqa: PLC0415

    session = boto3.session.Session(region_name=args.region)
    if args.stack and session.region_name is None:
        raise ConfigurationError("--stack needs a region: pass --region or set AWS_REGION")
    clients: dict[str, Any] = {"endpoint_url": args.endpoint_url}
    outputs = (
        frontend.stack_outputs(session.client("cloudformation", **clients), args.stack)
        if args.stack
        else {}
    )
    bucket = args.bucket or outputs.get(frontend.OUTPUT_BUCKET)
    websocket_url = args.websocket_url or outputs.get(frontend.OUTPUT_WEBSOCKET_URL)
    distribution = args.distribution_id or outputs.get(frontend.OUTPUT_DISTRIBUTION)
    if not bucket or not websocket_url:
        raise ConfigurationError("deploy-frontend needs --stack, or --bucket and --websocket-url")
    uploads = frontend.plan(args.web_dir or _served_web_dir(), websocket_url)
    done = frontend.deploy(
        session.client("s3", **clients), bucket, uploads, delete_stale=args.delete
    )
    print(f"uploaded {len(done.uploaded)} files to s3://{bucket} ({websocket_url})")
    if done.deleted:
        print(f"deleted {len(done.deleted)} stale objects")
    if distribution:
        invalidation = frontend.invalidate(session.client("cloudfront", **clients), distribution)
        print(f"invalidated CloudFront distribution {distribution} ({invalidation})")
    return 0


def _served_web_dir() -> Path:
    from chatserver.gateway.app import web_directory  # noqa: PLC0415 - see COMMANDS

    found = web_directory(load_settings())
    if found is None:
        raise ConfigurationError("no web frontend found; pass --web-dir")
    return found
