"""`chatserver deploy-frontend` against the embedded emulator's S3, CloudFront and
CloudFormation: what lands in the bucket, with which headers, and what it reports."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from chatserver.cli import main
from chatserver.deploy import frontend
from chatserver.testing import ChatStack

WSS = "wss://abcdef1234.execute-api.us-east-1.amazonaws.com/prod"
FILES = {
    "index.html": b"<!doctype html><title>chat</title>",
    "app.mjs": b"export const x = 1;",
    "style.css": b"body {}",
    "icons/logo.svg": b"<svg xmlns='http://www.w3.org/2000/svg'/>",
    "icon.png": b"\x89PNG\r\n\x1a\n",
    "manifest.json": b"{}",
}


@pytest.fixture
def web(tmp_path: Path) -> Path:
    """A frontend folder with one file of each kind, a hidden file and a local config."""
    folder = tmp_path / "web"
    for name, body in {**FILES, ".DS_Store": b"x", "config.json": b'{"local": 1}'}.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(body)
    return folder


@pytest.fixture
def aws(chat_stack: ChatStack, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Credentials for the emulator, as a user would set them; the endpoint options."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    endpoint = chat_stack.endpoint
    return ["--endpoint-url", str(endpoint.url), "--region", endpoint.region]


@pytest.fixture
def bucket(chat_stack: ChatStack) -> str:
    name = f"frontend-{uuid.uuid4().hex[:12]}"
    chat_stack.client("s3").create_bucket(Bucket=name)
    return name


def _objects(chat_stack: ChatStack, bucket: str) -> dict[str, dict[str, Any]]:
    s3 = chat_stack.client("s3")
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    return {key: s3.get_object(Bucket=bucket, Key=key) for key in keys}


def _deploy(*arguments: str) -> int:
    return main(["deploy-frontend", *arguments])


def test_every_file_is_uploaded_with_its_content_type(
    chat_stack: ChatStack, aws: list[str], web: Path, bucket: str
) -> None:
    """Each file of web/ lands under its path with the Content-Type of its kind."""
    assert _deploy("--bucket", bucket, "--websocket-url", WSS, "--web-dir", str(web), *aws) == 0
    types = {key: obj["ContentType"] for key, obj in _objects(chat_stack, bucket).items()}
    assert types == {
        "index.html": "text/html; charset=utf-8",
        "app.mjs": "text/javascript; charset=utf-8",
        "style.css": "text/css; charset=utf-8",
        "icons/logo.svg": "image/svg+xml",
        "icon.png": "image/png",
        "manifest.json": "application/json",
        "config.json": "application/json",
    }


def test_config_json_holds_exactly_the_websocket_url(
    chat_stack: ChatStack, aws: list[str], web: Path, bucket: str
) -> None:
    """config.json is written, not copied: {"websocketUrl": ...} and nothing else."""
    assert _deploy("--bucket", bucket, "--websocket-url", WSS, "--web-dir", str(web), *aws) == 0
    body = _objects(chat_stack, bucket)["config.json"]["Body"].read()
    assert json.loads(body) == {"websocketUrl": WSS}


def test_html_and_config_are_revalidated_and_assets_cached_briefly(
    chat_stack: ChatStack, aws: list[str], web: Path, bucket: str
) -> None:
    """index.html and config.json are no-cache; other files may be cached five minutes."""
    assert _deploy("--bucket", bucket, "--websocket-url", WSS, "--web-dir", str(web), *aws) == 0
    caching = {key: obj["CacheControl"] for key, obj in _objects(chat_stack, bucket).items()}
    assert caching["index.html"] == caching["config.json"] == "no-cache"
    assert caching["app.mjs"] == caching["icon.png"] == "public, max-age=300"


def test_bodies_are_the_files(
    chat_stack: ChatStack, aws: list[str], web: Path, bucket: str
) -> None:
    """What is stored is each file's bytes."""
    assert _deploy("--bucket", bucket, "--websocket-url", WSS, "--web-dir", str(web), *aws) == 0
    stored = {key: obj["Body"].read() for key, obj in _objects(chat_stack, bucket).items()}
    assert {key: stored[key] for key in FILES} == FILES


def test_stale_objects_are_removed_only_with_delete(
    chat_stack: ChatStack, aws: list[str], web: Path, bucket: str
) -> None:
    """An object web/ no longer has stays, unless --delete is given."""
    chat_stack.client("s3").put_object(Bucket=bucket, Key="old.js", Body=b"1")
    common = ["--bucket", bucket, "--websocket-url", WSS, "--web-dir", str(web), *aws]
    assert _deploy(*common) == 0
    assert "old.js" in _objects(chat_stack, bucket)
    assert _deploy(*common, "--delete") == 0
    assert "old.js" not in _objects(chat_stack, bucket)


def test_the_distribution_cache_is_invalidated(
    chat_stack: ChatStack, aws: list[str], web: Path, bucket: str
) -> None:
    """With --distribution-id, one invalidation of every path is created."""
    cloudfront = chat_stack.client("cloudfront")
    distribution = cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": uuid.uuid4().hex,
            "Comment": "test",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "bucket",
                        "DomainName": f"{bucket}.s3.amazonaws.com",
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "bucket",
                "ViewerProtocolPolicy": "redirect-to-https",
                "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
            },
        }
    )["Distribution"]["Id"]
    arguments = ["--bucket", bucket, "--websocket-url", WSS, "--web-dir", str(web)]
    assert _deploy(*arguments, "--distribution-id", distribution, *aws) == 0
    invalidations = cloudfront.list_invalidations(DistributionId=distribution)
    assert invalidations["InvalidationList"]["Quantity"] == 1


def test_stack_outputs_give_bucket_and_websocket_url(
    chat_stack: ChatStack, aws: list[str], web: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With --stack, the bucket and the WebSocket URL come from the stack's outputs."""
    stack_name = f"chat-{uuid.uuid4().hex[:8]}"
    template = {
        "Resources": {"Bucket": {"Type": "AWS::S3::Bucket"}},
        "Outputs": {
            frontend.OUTPUT_BUCKET: {"Value": {"Ref": "Bucket"}},
            frontend.OUTPUT_WEBSOCKET_URL: {"Value": WSS},
        },
    }
    cloudformation = chat_stack.client("cloudformation")
    cloudformation.create_stack(StackName=stack_name, TemplateBody=json.dumps(template))
    outputs = frontend.stack_outputs(cloudformation, stack_name)
    assert _deploy("--stack", stack_name, "--web-dir", str(web), *aws) == 0
    bucket = outputs[frontend.OUTPUT_BUCKET]
    assert json.loads(_objects(chat_stack, bucket)["config.json"]["Body"].read()) == {
        "websocketUrl": WSS
    }
    assert f"s3://{bucket}" in capsys.readouterr().out


def test_the_shipped_frontend_is_the_default(
    chat_stack: ChatStack, aws: list[str], bucket: str
) -> None:
    """Without --web-dir, the frontend chatserver serves is uploaded."""
    assert _deploy("--bucket", bucket, "--websocket-url", WSS, *aws) == 0
    assert {"index.html", "config.json"} <= set(_objects(chat_stack, bucket))


def test_a_missing_bucket_is_reported_without_a_traceback(
    aws: list[str], web: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown bucket: exit 1 and one line naming the bucket and S3's error."""
    arguments = ["--bucket", "no-such-bucket-here", "--websocket-url", WSS, "--web-dir", str(web)]
    assert _deploy(*arguments, *aws) == 1
    error = capsys.readouterr().err
    assert "s3://no-such-bucket-here" in error
    assert "NoSuchBucket" in error


def test_a_websocket_url_is_required(aws: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """Neither --stack nor --websocket-url: exit 2 with what to pass."""
    assert _deploy("--bucket", "b", *aws) == 2
    assert "--stack, or --bucket and --websocket-url" in capsys.readouterr().err


def test_an_http_url_is_refused(
    aws: list[str], web: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A WebSocket URL that is not ws(s):// is refused, naming the option."""
    arguments = ["--bucket", "b", "--websocket-url", "https://x", "--web-dir", str(web)]
    assert _deploy(*arguments, *aws) == 2
    assert "--websocket-url must start with wss://" in capsys.readouterr().err


def test_html_is_uploaded_after_everything_it_references(web: Path) -> None:
    """Assets first, then config.json, then index.html last."""
    keys = [upload.key for upload in frontend.plan(web, WSS)]
    assert keys[-2:] == ["config.json", "index.html"]
    assert set(keys[:-2]) == set(FILES) - {"index.html"}


def test_a_stack_without_a_region_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--stack with no region configured: exit 2 with how to give one."""
    for variable in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    assert _deploy("--stack", "chatserver") == 2
    assert "pass --region or set AWS_REGION" in capsys.readouterr().err
