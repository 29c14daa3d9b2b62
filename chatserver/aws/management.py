"""PostToConnection, the one call of API Gateway's @connections API the fan-out makes per
recipient: a SigV4-signed HTTP POST over pooled keep-alive connections.

boto3's ``apigatewaymanagementapi`` client does the same request with about three times the
CPU per call (event hooks, user-agent assembly, endpoint rules, response parsing), and the
broadcast makes one call per member of the room: on Lambda that is billed duration, locally it
is most of the gateway's CPU. So this sends the identical request itself: signed by botocore's
SigV4 signer with the function's own credentials, to the same endpoint, answered with the same
status codes. 410 (GoneException) is an expected outcome; throttling (429) and server errors
are retried with backoff as the AWS SDKs do; anything else raises ``ConnectionsApiError``.
"""

from __future__ import annotations

import random
import time
from urllib.parse import quote

import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from chatserver.errors import BackendError

SERVICE = "execute-api"
MAX_ATTEMPTS = 3
_RETRYABLE = frozenset({429, 500, 502, 503, 504})


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
        http: urllib3.PoolManager,
        timeout: float = 10.0,
    ) -> None:
        self._endpoint = endpoint_url.rstrip("/")
        self._credentials = credentials
        self._region = region
        self._http = http
        self._timeout = urllib3.Timeout(connect=5.0, read=timeout)

    def post(self, connection_id: str, data: bytes) -> bool:
        """Send ``data`` to one connection; False if the connection is gone (410)."""
        url = f"{self._endpoint}/%40connections/{quote(connection_id, safe='')}"
        for attempt in range(1, MAX_ATTEMPTS + 1):
            request = AWSRequest(method="POST", url=url, data=data)
            SigV4Auth(self._credentials.get_frozen_credentials(), SERVICE, self._region).add_auth(
                request
            )
            response = self._http.request(
                "POST",
                url,
                body=data,
                headers=dict(request.headers.items()),
                timeout=self._timeout,
                retries=False,
            )
            if response.status == 200:
                return True
            if response.status == 410:
                return False
            if response.status not in _RETRYABLE or attempt == MAX_ATTEMPTS:
                break
            time.sleep(random.uniform(0, 0.05 * 2**attempt))  # noqa: S311 - jitter, not crypto
        raise ConnectionsApiError(
            response.status,
            response.headers.get("x-amzn-ErrorType", "").split(":")[0] or "Unknown",
            response.data.decode("utf-8", errors="replace")[:300],
        )
