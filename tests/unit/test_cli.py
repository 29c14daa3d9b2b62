"""The chatserver command's own errors and the token command."""

from __future__ import annotations

import subprocess
import sys

import jwt
import pytest

from chatserver.cli import main

SECRET = "unit-test-secret-0123456789abcdef!"


def test_token_is_signed_for_the_name(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`chatserver token --name` prints an HS256 JWT whose sub is the name."""
    monkeypatch.setenv("CHAT_AUTH_SECRET", SECRET)
    assert main(["token", "--name", "alice", "--ttl", "60"]) == 0
    claims = jwt.decode(capsys.readouterr().out.strip(), SECRET, algorithms=["HS256"])
    assert claims["sub"] == "alice"
    assert claims["exp"] - claims["iat"] == 60


def test_token_without_secret_names_the_setting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without CHAT_AUTH_SECRET the token command exits 2 and says which setting is missing."""
    monkeypatch.delenv("CHAT_AUTH_SECRET", raising=False)
    assert main(["token", "--name", "alice"]) == 2
    assert "CHAT_AUTH_SECRET" in capsys.readouterr().err


def test_short_secret_is_refused_without_showing_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A secret under 32 characters is refused, and its value is not printed."""
    monkeypatch.setenv("CHAT_AUTH_SECRET", "tooshort")
    assert main(["token", "--name", "alice"]) == 2
    error = capsys.readouterr().err
    assert "CHAT_AUTH_SECRET" in error
    assert "tooshort" not in error


def test_token_for_an_invalid_name_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A name the chat would refuse gets no token."""
    monkeypatch.setenv("CHAT_AUTH_SECRET", SECRET)
    assert main(["token", "--name", "<b>"]) == 2
    assert "--name" in capsys.readouterr().err


def test_the_command_imports_neither_the_aws_sdk_nor_the_web_framework() -> None:
    """Importing the command leaves boto3 and FastAPI out, so serve can spawn the emulator first."""
    probe = "import sys, chatserver.cli; print(sorted({'boto3', 'fastapi'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "[]"
