"""The AWS endpoint the gateway talks to, and async clients for it (aioboto3)."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import aioboto3
from botocore.config import Config

_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=5,
    read_timeout=30,
)
_PROBE_CONFIG = Config(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=2)


@dataclass(frozen=True)
class AwsEndpoint:
    """Where AWS is: an emulator's URL (or None for real AWS), a region and credentials."""

    url: str | None
    region: str
    access_key_id: str | None = None
    secret_access_key: str | None = None

    def session(self) -> aioboto3.Session:
        return aioboto3.Session(
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            region_name=self.region,
        )

    def boto3_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``boto3.client(...)`` reaching the same endpoint."""
        return {
            "endpoint_url": self.url,
            "region_name": self.region,
            "aws_access_key_id": self.access_key_id,
            "aws_secret_access_key": self.secret_access_key,
        }


class AsyncClients:
    """aioboto3 clients opened on demand and closed together (``async with``)."""

    def __init__(
        self, endpoint: AwsEndpoint, *, probe: bool = False, config: Config | None = None
    ) -> None:
        self._endpoint = endpoint
        self._session = endpoint.session()
        self._config = config or (_PROBE_CONFIG if probe else _CONFIG)
        self._stack = AsyncExitStack()
        self._clients: dict[str, Any] = {}

    async def __aenter__(self) -> AsyncClients:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every client opened so far."""
        await self._stack.aclose()
        self._clients.clear()

    async def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = await self._stack.enter_async_context(
                self._session.client(  # type: ignore[call-overload]
                    service, endpoint_url=self._endpoint.url, config=self._config
                )
            )
        return self._clients[service]
