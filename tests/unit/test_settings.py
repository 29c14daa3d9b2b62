"""Settings: environment variables, aliases and clear errors."""

from __future__ import annotations

import pytest

from chatserver.errors import ConfigurationError
from chatserver.settings import load_settings


def test_defaults_follow_api_gateway_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Frame 32 KB, message and post 128 KB, idle 10 min, duration 2 h, stage local."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    settings = load_settings()
    assert (settings.frame_size_limit, settings.message_size_limit) == (32768, 131072)
    assert settings.post_size_limit == 131072
    assert (settings.idle_timeout, settings.max_connection_duration) == (600, 7200)
    assert (settings.stage, settings.port, settings.host) == ("local", 8080, "127.0.0.1")
    assert settings.uses_embedded_emulator


def test_chat_prefixed_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """CHAT_PORT and CHAT_STAGE set port and stage."""
    monkeypatch.setenv("CHAT_PORT", "9001")
    monkeypatch.setenv("CHAT_STAGE", "dev")
    settings = load_settings()
    assert (settings.port, settings.stage) == (9001, "dev")


def test_standard_aws_endpoint_variable_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    """AWS_ENDPOINT_URL, as boto3 reads it, selects an external emulator."""
    monkeypatch.delenv("CHAT_AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://localhost:4566/")
    settings = load_settings()
    assert settings.aws_endpoint_url == "http://localhost:4566"
    assert not settings.uses_embedded_emulator


def test_invalid_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bad value is reported with the environment variable's name."""
    monkeypatch.setenv("CHAT_PORT", "eighty")
    with pytest.raises(ConfigurationError, match="CHAT_PORT"):
        load_settings()


def test_invalid_endpoint_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """An endpoint that is not an http(s) URL is refused, naming the variable."""
    monkeypatch.setenv("CHAT_AWS_ENDPOINT_URL", "localhost:4566")
    with pytest.raises(ConfigurationError, match="CHAT_AWS_ENDPOINT_URL"):
        load_settings()


def test_bridge_auto_follows_the_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    """auto bridges through Lambda on the embedded emulator, an activity on an endpoint."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("CHAT_AWS_ENDPOINT_URL", raising=False)
    assert load_settings().bridge == "lambda"
    assert load_settings(aws_endpoint_url="http://127.0.0.1:4566").bridge == "activity"
    explicit = load_settings(aws_endpoint_url="http://127.0.0.1:4566", broadcast_bridge="lambda")
    assert explicit.bridge == "lambda"


def test_activity_bridge_on_the_embedded_emulator_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """CHAT_BROADCAST_BRIDGE=activity without an endpoint is refused, naming both settings."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("CHAT_AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("CHAT_BROADCAST_BRIDGE", "activity")
    with pytest.raises(ConfigurationError, match=r"CHAT_BROADCAST_BRIDGE.*CHAT_AWS_ENDPOINT_URL"):
        load_settings()
