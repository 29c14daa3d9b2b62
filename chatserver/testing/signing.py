"""Signing raw HTTP requests with SigV4, as AWS SDKs sign @connections calls."""

from __future__ import annotations

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def sigv4_headers(
    method: str,
    url: str,
    body: bytes = b"",
    *,
    region: str = "us-east-1",
    access_key_id: str = "test",
    secret_access_key: str = "test",
    service: str = "execute-api",
) -> dict[str, str]:
    """The headers (Authorization, X-Amz-Date...) that sign this request."""
    request = AWSRequest(method=method, url=url, data=body)
    SigV4Auth(Credentials(access_key_id, secret_access_key), service, region).add_auth(request)
    return dict(request.headers.items())
