"""boto3 clients for handlers, built once per configuration and reused across invocations.

Reusing clients between invocations is what AWS recommends for Lambda (connection reuse, no
repeated model loading). They are cached per ``FunctionConfig``, not in a global singleton, so
one process can serve several stacks. boto3 clients are thread-safe once built; building them
is not, hence the lock.

A process that serves an AWS endpoint itself (the embedded emulator's) registers a transport
for its URL (``register_transport``); clients built for that endpoint get it, and their calls
are answered in-process instead of over HTTP (``chatserver.emulator.inprocess``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from chatserver.aws.function_config import FunctionConfig
from chatserver.aws.management import ConnectionsApi, LocalConnectionsApi, local_connections
from chatserver.errors import ConfigurationError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient

#: One connection per invocation the local gateway runs at once (CHAT_LAMBDA_CONCURRENCY's
#: default), so that concurrent handlers sharing a client never open and discard connections.
#: (A Lambda execution environment runs one invocation at a time and uses one or two.)
MAX_POOL_CONNECTIONS = 64

_BOTO_CONFIG = Config(
    parameter_validation=False,  # requests are built by this package's own typed code
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=5,
    read_timeout=30,
    max_pool_connections=MAX_POOL_CONNECTIONS,
)
_build_lock = threading.Lock()

#: Endpoint URL -> what prepares a client for it (``register_transport``).
_transports: dict[str, Callable[[Any], Any]] = {}


def register_transport(endpoint_url: str, attach: Callable[[Any], Any]) -> None:
    """Have clients built from now on for ``endpoint_url`` pass through ``attach(client)``."""
    _transports[endpoint_url.rstrip("/")] = attach


@dataclass
class AwsClients:
    """The clients one configuration needs: DynamoDB, EventBridge and @connections."""

    config: FunctionConfig
    _session: boto3.session.Session = field(init=False, repr=False)
    _clients: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self._session = boto3.session.Session(
            aws_access_key_id=self.config.access_key_id,
            aws_secret_access_key=self.config.secret_access_key,
            aws_session_token=self.config.session_token,
            region_name=self.config.region,
        )

    def _client(self, service: str, endpoint_url: str | None) -> Any:
        key = f"{service} {endpoint_url}"
        client = self._clients.get(key)
        if client is None:
            with _build_lock:
                client = self._clients.get(key)
                if client is None:
                    client = self._session.client(
                        service,  # type: ignore[call-overload]
                        endpoint_url=endpoint_url,
                        config=_BOTO_CONFIG,
                    )
                    attach = _transports.get((endpoint_url or "").rstrip("/"))
                    if attach is not None:
                        attach(client)
                    self._clients[key] = client
        return client

    @property
    def dynamodb(self) -> DynamoDBClient:
        client: DynamoDBClient = self._client("dynamodb", self.config.endpoint_url)
        return client

    @property
    def events(self) -> EventBridgeClient:
        client: EventBridgeClient = self._client("events", self.config.endpoint_url)
        return client

    def connections_api(self, endpoint_url: str) -> ConnectionsApi | LocalConnectionsApi:
        """The @connections API of one stage (``https://{domain}/{stage}``), signed with this
        configuration's credentials; called in-process when this process hosts that stage."""
        local = local_connections(endpoint_url)
        if local is not None:
            return LocalConnectionsApi(local)
        key = f"@connections {endpoint_url}"
        api = self._clients.get(key)
        if api is None:
            credentials = self._session.get_credentials()
            if credentials is None:
                raise ConfigurationError("no AWS credentials to sign @connections calls with")
            with _build_lock:
                api = self._clients.setdefault(
                    key,
                    ConnectionsApi(
                        endpoint_url, credentials=credentials, region=self.config.region
                    ),
                )
        return api  # type: ignore[no-any-return]


_by_config: dict[FunctionConfig, AwsClients] = {}


def clients_for(config: FunctionConfig) -> AwsClients:
    """The shared clients of ``config``, built on first use."""
    clients = _by_config.get(config)
    if clients is None:
        with _build_lock:
            clients = _by_config.setdefault(config, AwsClients(config))
    return clients
