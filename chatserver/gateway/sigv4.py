"""Checking AWS Signature Version 4 on @connections calls, as API Gateway does.

A call without an ``Authorization`` header is refused (403, "Missing Authentication Token").
When verification is on, the signature is recomputed (``chatserver.aws.sigv4``) from the
request and the configured secret; it must match, with the same access key id and a timestamp
within 15 minutes.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from chatserver.aws import sigv4
from chatserver.errors import Forbidden

MAX_SKEW = timedelta(minutes=15)
_AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<credential>[^,\s]+),\s*"
    r"SignedHeaders=(?P<signed>[^,\s]+),\s*Signature=(?P<signature>[0-9a-f]{64})$"
)


def require_signature(headers: Mapping[str, str]) -> None:
    """Refuse a call that is not signed at all."""
    if not headers.get("authorization"):
        raise Forbidden("Missing Authentication Token")


def verify(
    *,
    method: str,
    raw_path: str,
    query_string: str,
    headers: Mapping[str, str],
    body: bytes,
    access_key_id: str,
    secret_access_key: str,
    now: datetime | None = None,
) -> None:
    """Raise Forbidden unless the request is signed with these credentials. ``headers``
    must be keyed by lower-case names."""
    require_signature(headers)
    match = _AUTHORIZATION.match(headers["authorization"].strip())
    if match is None:
        raise Forbidden(
            "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature'"
        )
    key_id, _, scope = match["credential"].partition("/")
    date, region, service, terminator = [*scope.split("/"), "", "", "", ""][:4]
    if terminator != "aws4_request":
        raise Forbidden("Credential should be scoped to a valid region and service")
    if key_id != access_key_id:
        raise Forbidden("The security token included in the request is invalid")
    amz_date = headers.get("x-amz-date", "")
    try:
        signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise Forbidden("Authorization requires a valid X-Amz-Date header") from None
    if abs((now or datetime.now(UTC)) - signed_at) > MAX_SKEW or not amz_date.startswith(date):
        raise Forbidden("Signature expired or not yet valid")
    signed_headers = match["signed"].split(";")
    if "host" not in signed_headers or any(name not in headers for name in signed_headers):
        raise Forbidden("Signed headers are missing from the request")
    canonical = sigv4.canonical_request(
        method=method,
        raw_path=raw_path,
        query_string=query_string,
        headers=headers,
        signed_headers=signed_headers,
        payload_hash=headers.get("x-amz-content-sha256") or sigv4.sha256_hex(body),
    )
    _, expected = sigv4.signature(
        canonical, amz_date=amz_date, secret=secret_access_key, region=region, service=service
    )
    if not hmac.compare_digest(expected, match["signature"]):
        raise Forbidden(
            "The request signature we calculated does not match the signature you provided"
        )
