"""PostToConnection, the one call of API Gateway's @connections API the fan-out makes per
recipient: a SigV4-signed HTTP POST over a kept-alive connection per thread.

boto3's ``apigatewaymanagementapi`` client sends the same request with about eight times the
CPU per call (event hooks, user-agent assembly, endpoint rules, a new HMAC key chain, urllib3's
pool and response wrapping): measured here, 600 us against 70 us. The broadcast makes one call
per member of the room, which is billed duration on Lambda and most of the gateway's CPU
locally, so this module sends the identical request itself: same endpoint and path, signed
with the function's own credentials (session token included) by ``chatserver.aws.sigv4``,
answered with the same status codes. 410 (GoneException) is an expected outcome; throttling
(429) and server errors are retried with jittered backoff as the AWS SDKs do; anything else
raises ``ConnectionsApiError``. TLS uses the CA bundle botocore uses.

A process that hosts the API's connections itself (the local gateway, or the embedded
emulator linked to it) registers a ``LocalConnections`` for the endpoint URL
(``register_local``): handlers in that process then reach the connections with a function
call per page of recipients instead of a signed HTTP request per recipient, with the same
outcomes (200, 410, 413, 429 and their retries), checked by the same code as the HTTP API.
"""

from __future__ import annotations

import http.client
import random
import ssl
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Protocol
from urllib.parse import quote, urlsplit

from botocore.credentials import Credentials
from botocore.httpsession import get_cert_path

from chatserver.aws import sigv4
from chatserver.errors import BackendError

SERVICE = "execute-api"
MAX_ATTEMPTS = 3
_RETRYABLE = frozenset({429, 500, 502, 503, 504})
#: Posts of one page sent at once over HTTP (one slow client costs its own post only).
MAX_PARALLEL_POSTS = 32

_pool = ThreadPoolExecutor(max_workers=MAX_PARALLEL_POSTS, thread_name_prefix="post")

#: One post's outcome: HTTP status, AWS error type ("" on success), message.
Outcome = tuple[int, str, str]


def _back_off(attempt: int) -> None:
    """Wait before retry ``attempt + 1``: jittered and growing, as the AWS SDKs wait."""
    time.sleep(random.uniform(0, 0.05 * 2**attempt))  # noqa: S311 - jitter, not crypto


class ConnectionsApiError(BackendError):
    """The @connections API refused a post for a reason other than a gone connection."""

    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(f"PostToConnection answered {status} {error_type}: {message}")
        self.status = status
        self.error_type = error_type


class ConnectionsApi:
    """Posts to the connections of one API stage (``https://{api}.execute-api.../{stage}``)."""

    def __init__(
        self,
        endpoint_url: str,
        *,
        credentials: Credentials,
        region: str,
        timeout: float = 10.0,
    ) -> None:
        parts = urlsplit(endpoint_url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BackendError(f"not an @connections endpoint: {endpoint_url!r}")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._netloc = parts.netloc
        self._base_path = parts.path
        self._credentials = credentials
        self._region = region
        self._timeout = timeout
        self._local = threading.local()
        self._tls = ssl.create_default_context(cafile=get_cert_path(True)) if self._https else None

    def post(self, connection_id: str, data: bytes) -> bool:
        """Send ``data`` to one connection; False if the connection is gone (410)."""
        path = f"{self._base_path}/%40connections/{quote(connection_id, safe='')}"
        for attempt in range(1, MAX_ATTEMPTS + 1):
            status, error_type, body = self._send(path, data)
            if status == 200:
                return True
            if status == 410:
                return False
            if status not in _RETRYABLE or attempt == MAX_ATTEMPTS:
                break
            _back_off(attempt)
        raise ConnectionsApiError(status, error_type or "Unknown", body[:300])

    def post_all(self, connection_ids: Sequence[str], data: bytes) -> list[str]:
        """Send ``data`` to every connection at once; the ids found gone (410)."""
        delivered = list(_pool.map(lambda cid: self.post(cid, data), connection_ids))
        return [cid for cid, ok in zip(connection_ids, delivered, strict=True) if not ok]

    def _signed_headers(self, path: str, data: bytes) -> dict[str, str]:
        credentials = self._credentials.get_frozen_credentials()
        if not credentials.access_key or not credentials.secret_key:
            raise BackendError("no AWS credentials to sign @connections calls with")
        amz_date = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        payload_hash = sigv4.sha256_hex(data)
        headers = {"host": self._netloc, "x-amz-date": amz_date}
        if credentials.token:
            headers["x-amz-security-token"] = credentials.token
        signed = sorted(headers)
        canonical = sigv4.canonical_request(
            method="POST",
            raw_path=path,
            query_string="",
            headers=headers,
            signed_headers=signed,
            payload_hash=payload_hash,
        )
        scope, signature = sigv4.signature(
            canonical,
            amz_date=amz_date,
            secret=credentials.secret_key,
            region=self._region,
            service=SERVICE,
        )
        headers["authorization"] = (
            f"{sigv4.ALGORITHM} Credential={credentials.access_key}/{scope}, "
            f"SignedHeaders={';'.join(signed)}, Signature={signature}"
        )
        headers["x-amz-content-sha256"] = payload_hash
        headers["content-type"] = "application/json"
        return headers

    def _send(self, path: str, data: bytes) -> tuple[int, str, str]:
        """One POST on this thread's connection, reconnecting once if the server closed it."""
        headers = self._signed_headers(path, data)
        for reuse in (True, False):
            connection = self._connection(fresh=not reuse)
            try:
                connection.request("POST", path, body=data, headers=headers)
                response = connection.getresponse()
                body = response.read().decode("utf-8", errors="replace")
            except (http.client.HTTPException, ConnectionError, TimeoutError):
                connection.close()
                if not reuse:
                    raise
                continue
            if response.will_close:
                connection.close()
            error_type = (response.getheader("x-amzn-ErrorType") or "").split(":")[0]
            return response.status, error_type, body
        raise AssertionError("unreachable")  # pragma: no cover

    def _connection(self, *, fresh: bool) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is None or fresh:
            if self._https:
                connection = http.client.HTTPSConnection(
                    self._host, self._port, timeout=self._timeout, context=self._tls
                )
            else:
                connection = http.client.HTTPConnection(
                    self._host, self._port, timeout=self._timeout
                )
            self._local.connection = connection
        return connection


class LocalConnections(Protocol):
    """The connections of an API stage hosted by this process (or reached through its link)."""

    def post_each(self, connection_ids: Sequence[str], data: bytes) -> list[Outcome]:
        """Post ``data`` to each connection; one outcome per id, as the HTTP API answers."""
        ...


class LocalConnectionsApi:
    """``ConnectionsApi`` over a ``LocalConnections``: same answers, same retries, no HTTP."""

    def __init__(self, connections: LocalConnections) -> None:
        self._connections = connections

    def post(self, connection_id: str, data: bytes) -> bool:
        """Send ``data`` to one connection; False if the connection is gone (410)."""
        return not self.post_all([connection_id], data)

    def post_all(self, connection_ids: Sequence[str], data: bytes) -> list[str]:
        """Send ``data`` to every connection; the ids found gone (410)."""
        gone: list[str] = []
        pending = list(connection_ids)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            outcomes = self._connections.post_each(pending, data)
            retry: list[str] = []
            for connection_id, (status, error_type, message) in zip(pending, outcomes, strict=True):
                if status == 200:
                    continue
                if status == 410:
                    gone.append(connection_id)
                elif status in _RETRYABLE and attempt < MAX_ATTEMPTS:
                    retry.append(connection_id)
                else:
                    raise ConnectionsApiError(status, error_type or "Unknown", message[:300])
            if not retry:
                break
            pending = retry
            _back_off(attempt)
        return gone


_local: dict[str, LocalConnections] = {}


def _endpoint_key(endpoint_url: str) -> str:
    return endpoint_url.rstrip("/")


def register_local(endpoint_url: str, connections: LocalConnections) -> None:
    """Serve posts to ``endpoint_url`` made in this process by ``connections``."""
    _local[_endpoint_key(endpoint_url)] = connections


def unregister_local(endpoint_url: str, connections: LocalConnections) -> None:
    """Stop serving ``endpoint_url`` locally (if ``connections`` still serves it)."""
    key = _endpoint_key(endpoint_url)
    if _local.get(key) is connections:
        del _local[key]


def local_connections(endpoint_url: str) -> LocalConnections | None:
    """What serves ``endpoint_url`` in this process, if anything."""
    return _local.get(_endpoint_key(endpoint_url))
