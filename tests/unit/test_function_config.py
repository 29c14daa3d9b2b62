"""The function environment: what a handler reads from the variables Lambda and the template set."""

from __future__ import annotations

from chatserver.aws.function_config import FunctionConfig

LAMBDA_ENVIRONMENT = {
    "CHAT_CONNECTIONS_TABLE": "chat-connections",
    "CHAT_MESSAGES_TABLE": "chat-messages",
    "CHAT_EVENT_BUS": "chat-events",
    "AWS_REGION": "eu-west-1",
    "AWS_ACCESS_KEY_ID": "ASIAEXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "secret",
    "AWS_SESSION_TOKEN": "session-token",
}


def test_lambda_session_token_is_read() -> None:
    """Lambda's temporary credentials come with AWS_SESSION_TOKEN, which the config keeps."""
    config = FunctionConfig.from_environment(LAMBDA_ENVIRONMENT)
    assert config.session_token == "session-token"


def test_environment_round_trips() -> None:
    """to_environment gives back the variables from_environment read."""
    config = FunctionConfig.from_environment(LAMBDA_ENVIRONMENT)
    assert config.to_environment() == LAMBDA_ENVIRONMENT
