"""AWS Signature Version 4: the one definition the handlers sign with and the gateway checks.

Canonical request (method, path URI-encoded once more, as every service but S3 expects,
sorted query, signed headers, payload hash), string to sign, and the HMAC-SHA256 key chain
(date, region, service, ``aws4_request``). The derived key depends only on the secret, the
date, the region and the service, so it is cached: signing a request then costs two SHA-256
and one HMAC.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import parse_qsl, quote

ALGORITHM = "AWS4-HMAC-SHA256"


def canonical_request(
    *,
    method: str,
    raw_path: str,
    query_string: str,
    headers: Mapping[str, str],
    signed_headers: list[str],
    payload_hash: str,
) -> str:
    """The canonical form of a request. ``headers`` are keyed by lower-case names."""
    pairs = sorted(parse_qsl(query_string, keep_blank_values=True))
    query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in pairs)
    header_lines = "".join(f"{name}:{' '.join(headers[name].split())}\n" for name in signed_headers)
    return "\n".join(
        [
            method.upper(),
            quote(raw_path or "/", safe="/~"),
            query,
            header_lines,
            ";".join(signed_headers),
            payload_hash,
        ]
    )


@functools.lru_cache(maxsize=64)
def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = f"AWS4{secret}".encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def signature(
    canonical: str, *, amz_date: str, secret: str, region: str, service: str
) -> tuple[str, str]:
    """The credential scope and the hex signature of a canonical request."""
    date = amz_date[:8]
    scope = f"{date}/{region}/{service}/aws4_request"
    to_sign = "\n".join(
        [ALGORITHM, amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = signing_key(secret, date, region, service)
    return scope, hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def sha256_hex(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()
