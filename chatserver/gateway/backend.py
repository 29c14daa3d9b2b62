"""The AWS side of a running gateway: the emulator (embedded, or an external endpoint), the
provisioned resources, and the health of both."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from enum import StrEnum

from botocore.exceptions import BotoCoreError, ClientError

from chatserver.aws.endpoint import AsyncClients, AwsEndpoint
from chatserver.aws.names import ResourceNames
from chatserver.aws.provision import ProvisionedStack, account_id, provision, retire_activity
from chatserver.emulator.launcher import EmbeddedEmulator
from chatserver.errors import BackendError
from chatserver.settings import Settings

logger = logging.getLogger("chatserver.backend")

HEALTH_CACHE_SECONDS = 1.0


class BackendState(StrEnum):
    STARTING = "starting"
    READY = "ready"
    FAILED = "failed"
    STOPPED = "stopped"


class Backend:
    """Starts (or waits for) the emulator, provisions the stack, reports health."""

    def __init__(self, settings: Settings, emulator: EmbeddedEmulator | None = None) -> None:
        """``emulator``: the embedded emulator, when the caller already spawned it."""
        self._settings = settings
        self.state = BackendState.STARTING
        self.detail: str | None = None
        self.emulator = emulator
        self.endpoint: AwsEndpoint | None = None
        self.stack: ProvisionedStack | None = None
        self.ready = asyncio.Event()
        self._checked_at = 0.0
        self._healthy = False
        self._probe: AsyncClients | None = None
        #: Names this run's broadcast activity (activity bridge), apart from earlier runs'.
        self.run_id = uuid.uuid4().hex[:8]

    @property
    def kind(self) -> str:
        return "embedded" if self._settings.uses_embedded_emulator else "external"

    async def start(self) -> ProvisionedStack:
        """Bring the backend up; the provisioned stack. Raises BackendError on failure."""
        try:
            url = await self._start_endpoint()
            self.endpoint = AwsEndpoint(
                url=url,
                region=self._settings.aws_region,
                access_key_id=self._settings.aws_access_key_id,
                secret_access_key=self._settings.aws_secret_access_key,
            )
            async with AsyncClients(self.endpoint) as clients:
                names = ResourceNames(
                    prefix=self._settings.resource_prefix,
                    region=self._settings.aws_region,
                    account_id=await account_id(clients),
                )
                self.stack = await provision(
                    clients,
                    names,
                    state_machine_type=self._settings.state_machine_type,
                    broadcast_bridge=self._settings.bridge,
                    activity_run=self.run_id,
                )
        except (BackendError, BotoCoreError, ClientError, OSError) as exc:
            self.state = BackendState.FAILED
            self.detail = str(exc)
            raise BackendError(f"backend failed to start: {exc}") from exc
        self.state = BackendState.READY
        self._healthy, self._checked_at = True, time.monotonic()
        self.ready.set()
        return self.stack

    async def _start_endpoint(self) -> str:
        settings = self._settings
        if settings.aws_endpoint_url is None:
            if self.emulator is None:
                self.emulator = EmbeddedEmulator.for_settings(settings)
            return await self.emulator.start()
        await self._wait_for_external(settings.aws_endpoint_url)
        return settings.aws_endpoint_url

    async def _wait_for_external(self, url: str) -> None:
        """An external endpoint (LocalStack in compose) may still be starting: retry a while."""
        deadline = time.monotonic() + self._settings.backend_startup_timeout
        endpoint = AwsEndpoint(
            url,
            self._settings.aws_region,
            self._settings.aws_access_key_id,
            self._settings.aws_secret_access_key,
        )
        delay = 0.2
        while True:
            try:
                async with AsyncClients(endpoint, probe=True) as clients:
                    await account_id(clients)
                return
            except (BotoCoreError, ClientError, OSError) as exc:
                if time.monotonic() + delay > deadline:
                    raise BackendError(
                        f"the AWS endpoint {url} (CHAT_AWS_ENDPOINT_URL / AWS_ENDPOINT_URL) "
                        f"did not answer within {self._settings.backend_startup_timeout:.0f} s "
                        f"(CHAT_BACKEND_STARTUP_TIMEOUT): {exc}"
                    ) from exc
                self.detail = f"waiting for {url}: {exc}"
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def healthy(self) -> bool:
        """Whether the stack is provisioned and the endpoint answers (cached for a second)."""
        if self.state is not BackendState.READY or self.endpoint is None or self.stack is None:
            return False
        if time.monotonic() - self._checked_at < HEALTH_CACHE_SECONDS:
            return self._healthy
        if self.emulator is not None and not self.emulator.running:
            self._healthy, self.detail = False, "the embedded emulator exited"
        else:
            try:
                if self._probe is None:  # one client for the backend's life, not one a probe
                    self._probe = AsyncClients(self.endpoint, probe=True)
                dynamodb = await self._probe.client("dynamodb")
                await dynamodb.describe_table(TableName=self.stack.names.connections_table)
                self._healthy, self.detail = True, None
            except (BotoCoreError, ClientError, OSError) as exc:
                self._healthy, self.detail = False, f"the AWS endpoint does not answer: {exc}"
        self._checked_at = time.monotonic()
        return self._healthy

    async def stop(self) -> None:
        """Stop the embedded emulator, or delete this run's activity on an external endpoint."""
        self.state = BackendState.STOPPED
        if self._probe is not None:
            await self._probe.aclose()
            self._probe = None
        if self.emulator is not None:
            await self.emulator.stop()
        elif self.stack is not None and self.stack.broadcast_bridge == "activity":
            assert self.endpoint is not None
            try:
                async with AsyncClients(self.endpoint, probe=True) as clients:
                    await retire_activity(clients, self.stack.broadcast_arn)
            except (BotoCoreError, ClientError, OSError) as exc:
                logger.warning("could not delete activity %s: %s", self.stack.broadcast_arn, exc)
