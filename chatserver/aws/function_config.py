"""The configuration a Lambda function reads from its environment variables.

On AWS the SAM template sets these variables on every function. Locally the gateway builds the
same mapping from its settings and hands it to each invocation through the Lambda context
(``context.environment``), because one process may host several stacks with different settings
and must not rely on process-wide ``os.environ``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from chatserver.errors import ConfigurationError

CONNECTIONS_TABLE = "CHAT_CONNECTIONS_TABLE"
MESSAGES_TABLE = "CHAT_MESSAGES_TABLE"
EVENT_BUS = "CHAT_EVENT_BUS"
MANAGEMENT_ENDPOINT = "CHAT_MANAGEMENT_ENDPOINT"
ENDPOINT_URL = "AWS_ENDPOINT_URL"
REGION = "AWS_REGION"
ACCESS_KEY_ID = "AWS_ACCESS_KEY_ID"
SECRET_ACCESS_KEY = "AWS_SECRET_ACCESS_KEY"  # noqa: S105 - a variable name, not a secret
#: The authorizer's HS256 key; only the authorizer function gets it.
AUTH_SECRET = "CHAT_AUTH_SECRET"  # noqa: S105 - a variable name, not a secret
#: Lambda runs functions with its role's temporary credentials: key, secret and this token.
SESSION_TOKEN = "AWS_SESSION_TOKEN"  # noqa: S105 - a variable name, not a secret

#: Variables every function needs; the SAM template must set each of them.
REQUIRED = (CONNECTIONS_TABLE, MESSAGES_TABLE, EVENT_BUS)


@dataclass(frozen=True)
class FunctionConfig:
    """Where a handler finds its tables, bus, @connections API and AWS endpoint."""

    region: str
    connections_table: str
    messages_table: str
    event_bus: str
    management_endpoint: str | None = None
    endpoint_url: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    session_token: str | None = None

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> FunctionConfig:
        missing = [name for name in REQUIRED if not env.get(name)]
        if missing:
            raise ConfigurationError("the function environment lacks " + ", ".join(missing))
        return cls(
            region=env.get(REGION) or env.get("AWS_DEFAULT_REGION") or "us-east-1",
            connections_table=env[CONNECTIONS_TABLE],
            messages_table=env[MESSAGES_TABLE],
            event_bus=env[EVENT_BUS],
            management_endpoint=env.get(MANAGEMENT_ENDPOINT) or None,
            endpoint_url=env.get(ENDPOINT_URL) or None,
            access_key_id=env.get(ACCESS_KEY_ID) or None,
            secret_access_key=env.get(SECRET_ACCESS_KEY) or None,
            session_token=env.get(SESSION_TOKEN) or None,
        )

    def to_environment(self) -> dict[str, str]:
        """The variables that ``from_environment`` reads back into this configuration."""
        env = {
            REGION: self.region,
            CONNECTIONS_TABLE: self.connections_table,
            MESSAGES_TABLE: self.messages_table,
            EVENT_BUS: self.event_bus,
        }
        optional = {
            MANAGEMENT_ENDPOINT: self.management_endpoint,
            ENDPOINT_URL: self.endpoint_url,
            ACCESS_KEY_ID: self.access_key_id,
            SECRET_ACCESS_KEY: self.secret_access_key,
            SESSION_TOKEN: self.session_token,
        }
        env.update({name: value for name, value in optional.items() if value})
        return env
