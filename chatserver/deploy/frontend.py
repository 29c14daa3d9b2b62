"""``chatserver deploy-frontend``: upload ``web/`` to the stack's private bucket.

Each file gets its Content-Type from its extension and a Cache-Control header: HTML and
``config.json`` are ``no-cache`` (browsers and CloudFront revalidate them, so a deployment shows
at once); other files (scripts, styles, images) are cached for five minutes, since their names
carry no content hash. ``config.json`` is written, not copied: ``{"websocketUrl": "wss://..."}``
tells the frontend where the WebSocket API is. Assets go first, then ``config.json``, then the
HTML, so a page never references a file that is not there yet. An optional CloudFront
invalidation then drops the edge caches.

It uses boto3 (already a dependency) rather than the AWS CLI, so it runs wherever chatserver
does and is tested against the embedded emulator's S3.
"""

from __future__ import annotations

import json
import mimetypes
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chatserver.errors import ConfigurationError, DeployError

CONFIG_KEY = "config.json"
NO_CACHE = "no-cache"
ASSET_CACHE = "public, max-age=300"

#: The stack outputs (template.yaml) that ``--stack`` reads.
OUTPUT_BUCKET = "FrontendBucketName"
OUTPUT_WEBSOCKET_URL = "WebSocketUrl"
OUTPUT_DISTRIBUTION = "FrontendDistributionId"

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
}


@dataclass(frozen=True)
class Upload:
    """One object to put: its key, body and headers."""

    key: str
    body: bytes
    content_type: str
    cache_control: str


@dataclass
class FrontendDeployment:
    """What ``deploy`` did."""

    bucket: str
    uploaded: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    invalidation_id: str | None = None


def content_type(path: Path) -> str:
    known = CONTENT_TYPES.get(path.suffix.lower())
    if known is not None:
        return known
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


def check_websocket_url(url: str) -> str:
    if not url.startswith(("wss://", "ws://")):
        raise ConfigurationError(f"--websocket-url must start with wss:// (got {url!r})")
    return url


def config_body(websocket_url: str) -> bytes:
    """The ``config.json`` the frontend reads to find the WebSocket API."""
    return json.dumps({"websocketUrl": check_websocket_url(websocket_url)}).encode("utf-8")


def _upload_order(upload: Upload) -> tuple[int, str]:
    if upload.key.endswith(".html"):
        return (3 if upload.key == "index.html" else 2, upload.key)
    return (1 if upload.key == CONFIG_KEY else 0, upload.key)


def plan(web_dir: Path, websocket_url: str) -> list[Upload]:
    """The objects for ``web_dir``, in upload order; hidden files and a local config are left."""
    if not (web_dir / "index.html").is_file():
        raise ConfigurationError(f"--web-dir: {web_dir} has no index.html")
    uploads = [
        Upload(
            key=path.relative_to(web_dir).as_posix(),
            body=path.read_bytes(),
            content_type=content_type(path),
            cache_control=NO_CACHE if path.suffix == ".html" else ASSET_CACHE,
        )
        for path in web_dir.rglob("*")
        if path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(web_dir).parts)
        and path.relative_to(web_dir).as_posix() != CONFIG_KEY
    ]
    uploads.append(Upload(CONFIG_KEY, config_body(websocket_url), CONTENT_TYPES[".json"], NO_CACHE))
    return sorted(uploads, key=_upload_order)


def _failure(action: str, exc: Exception) -> DeployError:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return DeployError(f"{action}: {error.get('Code')} {error.get('Message', '')}".strip())
    return DeployError(f"{action}: {exc}")


def deploy(
    s3: Any,
    bucket: str,
    uploads: Sequence[Upload],
    *,
    delete_stale: bool = False,
) -> FrontendDeployment:
    """Put every upload into ``bucket``; with ``delete_stale``, remove the keys not uploaded."""
    done = FrontendDeployment(bucket)
    try:
        for upload in uploads:
            s3.put_object(
                Bucket=bucket,
                Key=upload.key,
                Body=upload.body,
                ContentType=upload.content_type,
                CacheControl=upload.cache_control,
            )
            done.uploaded.append(upload.key)
        if delete_stale:
            done.deleted = _delete_stale(s3, bucket, {upload.key for upload in uploads})
    except (ClientError, BotoCoreError) as exc:
        raise _failure(f"uploading to s3://{bucket}", exc) from None
    return done


def _delete_stale(s3: Any, bucket: str, keep: set[str]) -> list[str]:
    stale = [
        item["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for item in page.get("Contents", [])
        if item["Key"] not in keep
    ]
    for start in range(0, len(stale), 1000):
        batch = [{"Key": key} for key in stale[start : start + 1000]]
        s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
    return stale


def invalidate(cloudfront: Any, distribution_id: str) -> str:
    """Drop every cached object of the distribution; the invalidation's id."""
    try:
        response = cloudfront.create_invalidation(
            DistributionId=distribution_id,
            InvalidationBatch={
                "Paths": {"Quantity": 1, "Items": ["/*"]},
                "CallerReference": f"chatserver-{time.time_ns()}",
            },
        )
    except (ClientError, BotoCoreError) as exc:
        raise _failure(f"invalidating CloudFront distribution {distribution_id}", exc) from None
    return str(response["Invalidation"]["Id"])


def stack_outputs(cloudformation: Any, stack_name: str) -> dict[str, str]:
    """The outputs of a deployed stack, by key."""
    try:
        stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except (ClientError, BotoCoreError) as exc:
        raise _failure(f"reading the outputs of stack {stack_name}", exc) from None
    outputs = stacks[0].get("Outputs", []) if stacks else []
    return {str(item["OutputKey"]): str(item["OutputValue"]) for item in outputs}
