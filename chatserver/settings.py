"""Every setting of chatserver, in one object that is passed down (never a module global).

Each field reads from an environment variable named ``CHAT_`` + the field name in capitals
(``port`` from ``CHAT_PORT``); a few also honour the standard AWS variable that boto3 reads
(``AWS_ENDPOINT_URL``, ``AWS_REGION``). The groups below follow the README's table.
Limits default to what API Gateway enforces on AWS, so that code which works here works there;
tests and demos may relax or shorten them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from chatserver.errors import ConfigurationError

ENV_PREFIX = "CHAT_"


class Settings(BaseSettings):
    """chatserver's configuration: server, backend, resource names, limits."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        populate_by_name=True,
        extra="ignore",
        frozen=True,
    )

    # -- Server -------------------------------------------------------------------------------
    host: str = Field("127.0.0.1", description="Interface the gateway listens on.")
    port: int = Field(8080, ge=0, le=65535, description="TCP port; 0 picks a free one.")
    stage: str = Field(
        "local",
        pattern=r"^[A-Za-z0-9_-]{1,128}$",
        description="API stage: the WebSocket API is served at /{stage}.",
    )
    api_id: str = Field(
        "chatlocal0",
        pattern=r"^[a-z0-9]{10}$",
        description="The apiId put in events, as API Gateway's ten-character id.",
    )
    web_dir: Path | None = Field(
        None, description="Folder of the web frontend; default: the one shipped with chatserver."
    )
    log_level: Literal["critical", "error", "warning", "info", "debug"] = "info"

    # -- AWS backend --------------------------------------------------------------------------
    aws_endpoint_url: str | None = Field(
        None,
        validation_alias=AliasChoices("CHAT_AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL"),
        description="An AWS-compatible endpoint (LocalStack, a moto server). "
        "Unset: chatserver starts its embedded emulator.",
    )
    aws_region: str = Field(
        "us-east-1",
        pattern=r"^[a-z]{2}(-[a-z]+)+-\d$",
        validation_alias=AliasChoices(
            "CHAT_AWS_REGION", "AWS_REGION", "AWS_DEFAULT_REGION", "aws_region"
        ),
    )
    aws_access_key_id: str = Field(
        "test",
        validation_alias=AliasChoices("CHAT_AWS_ACCESS_KEY_ID", "aws_access_key_id"),
        description="Credentials chatserver signs emulator calls with (emulators accept any).",
    )
    aws_secret_access_key: str = Field(
        "test",
        validation_alias=AliasChoices("CHAT_AWS_SECRET_ACCESS_KEY", "aws_secret_access_key"),
    )
    emulator_host: str = Field("127.0.0.1", description="Interface of the embedded emulator.")
    emulator_port: int = Field(0, ge=0, le=65535, description="Its port; 0 picks a free one.")
    emulator_startup_timeout: float = Field(30.0, gt=0)
    emulator_execution_retention: int = Field(
        200,
        ge=10,
        description="Finished Step Functions executions the embedded emulator keeps (newest).",
    )
    backend_startup_timeout: float = Field(
        60.0, gt=0, description="How long to wait for an external endpoint to answer at start."
    )
    broadcast_bridge: Literal["auto", "lambda", "activity"] = Field(
        "auto",
        description="How the state machine's broadcast task reaches the local handler: "
        "'lambda' (a function record whose invokes the embedded emulator forwards to the "
        "gateway), 'activity' (a Step Functions activity the gateway polls, for LocalStack), "
        "'auto' (lambda for the embedded emulator, activity for an external endpoint).",
    )
    lambda_placement: Literal["emulator", "gateway"] = Field(
        "emulator",
        description="Where the functions run with the embedded emulator: 'emulator' (in its "
        "process, so that their AWS calls are function calls: the fast path), or 'gateway' "
        "(in the gateway's process, for handlers that share memory with it, such as test "
        "doubles). With an external endpoint they always run in the gateway.",
    )
    activity_pollers: int = Field(
        8,
        ge=1,
        le=64,
        description="Concurrent GetActivityTask long polls of the activity bridge, each at its "
        "own slot of LocalStack's one-second check cycle: a task waits about 1/pollers s.",
    )

    # -- Resources ----------------------------------------------------------------------------
    resource_prefix: str = Field(
        "chat",
        pattern=r"^[A-Za-z][A-Za-z0-9-]{0,39}$",
        description="Prefix of every table, bus, rule, state machine and function name.",
    )
    state_machine_type: Literal["STANDARD", "EXPRESS"] = Field(
        "STANDARD",
        description="STANDARD keeps executions inspectable locally; the SAM template uses EXPRESS.",
    )

    # -- Limits and timeouts (API Gateway's defaults) -----------------------------------------
    frame_size_limit: int = Field(32 * 1024, ge=1, description="Largest frame (1009 beyond).")
    message_size_limit: int = Field(
        128 * 1024, ge=1, description="Largest message, all its frames (1009 beyond)."
    )
    post_size_limit: int = Field(
        128 * 1024, ge=1, description="Largest PostToConnection body (413 beyond)."
    )
    idle_timeout: float = Field(600.0, gt=0, description="Seconds without a frame before 1001.")
    max_connection_duration: float = Field(
        7200.0, gt=0, description="Seconds a connection may last before 1001."
    )
    ping_interval: float | None = Field(
        20.0, gt=0, description="Seconds between keepalive pings; a silent peer is dropped."
    )
    ping_timeout: float | None = Field(20.0, gt=0)
    integration_timeout: float = Field(29.0, gt=0, description="Longest a handler may run.")
    send_buffer_limit: int = Field(
        1024 * 1024,
        ge=1024,
        description="Bytes waiting to be written to one client before it is dropped (1013).",
    )
    max_inflight_per_connection: int = Field(
        10, ge=1, description="Frames of one connection whose handlers may run at once."
    )
    frame_backlog_per_connection: int = Field(
        100,
        ge=0,
        description="Frames of one connection waiting for a handler; beyond, they are answered "
        "'Too Many Requests' and dropped.",
    )
    lambda_concurrency: int = Field(64, ge=1, description="Handler invocations running at once.")
    shutdown_timeout: float = Field(
        5.0, ge=0, description="Seconds to wait for closes and $disconnect handlers on Ctrl-C."
    )
    connection_rate_limit: float = Field(
        500.0, gt=0, description="New connections per second before 429, as AWS's account quota."
    )
    connection_burst: int = Field(500, ge=1, description="New connections accepted at once.")
    management_rate_limit: float = Field(
        10000.0, gt=0, description="@connections calls per second before 429."
    )
    management_burst: int = Field(5000, ge=1, description="@connections calls accepted at once.")

    # -- Authorization --------------------------------------------------------------------------
    auth_secret: SecretStr | None = Field(
        None,
        description="Set: $connect requires a token (HS256 JWT, sub = user name) checked by the "
        "REQUEST authorizer. Unset: names are taken as given.",
    )
    verify_signatures: bool = Field(
        False,
        description="Verify @connections SigV4 signatures against CHAT_AWS_ACCESS_KEY_ID and "
        "CHAT_AWS_SECRET_ACCESS_KEY (an Authorization header is always required).",
    )
    trace: bool = Field(
        False,
        description="Collect stage timestamps of messages, served at /_chatserver/trace "
        "(for benchmarks).",
    )
    functions: str | None = Field(
        None,
        description="The Lambda function catalog, as package.module:ATTRIBUTE; "
        "default: chatserver's own handlers.",
    )

    @field_validator("aws_endpoint_url")
    @classmethod
    def _endpoint_is_http(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("auth_secret")
    @classmethod
    def _secret_is_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError(
                "must be at least 32 characters: an HS256 key shorter than the hash is weak"
            )
        return value

    @model_validator(mode="after")
    def _bridge_fits_the_backend(self) -> Settings:
        if self.broadcast_bridge == "activity" and self.aws_endpoint_url is None:
            raise ValueError(
                "CHAT_BROADCAST_BRIDGE=activity needs an external endpoint such as LocalStack "
                "(CHAT_AWS_ENDPOINT_URL): the embedded emulator (moto) has no GetActivityTask"
            )
        return self

    @property
    def uses_embedded_emulator(self) -> bool:
        """True when no external endpoint is configured, so chatserver runs its own emulator."""
        return self.aws_endpoint_url is None

    @property
    def bridge(self) -> Literal["lambda", "activity"]:
        """The broadcast bridge in use: ``auto`` resolved for the backend."""
        if self.broadcast_bridge != "auto":
            return self.broadcast_bridge
        return "lambda" if self.uses_embedded_emulator else "activity"


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment, turning validation errors into one clear message."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            if not error["loc"]:  # a check across settings: its message names them
                problems.append(str(error["msg"]).removeprefix("Value error, "))
                continue
            field = str(error["loc"][0])
            name = field if field.startswith(ENV_PREFIX) else ENV_PREFIX + field.upper()
            shown = "hidden" if "secret" in name.lower() else repr(error.get("input"))
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"{name}: {message} (got {shown})")
        raise ConfigurationError("invalid settings: " + "; ".join(problems)) from None
