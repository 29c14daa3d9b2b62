"""The REQUEST authorizer of ``$connect``: a token proves who the user is.

Deployed as an API Gateway Lambda REQUEST authorizer with identity source
``route.request.querystring.token``; the local gateway calls it the same way when
``CHAT_AUTH_SECRET`` is set. The token is an HS256-signed JWT whose ``sub`` is the user's
name and which has an ``exp``; ``chatserver token --name alice`` issues one.

Outcomes, as API Gateway maps them:

- no token, or an expired one: the function fails with ``Unauthorized`` (HTTP 401);
- a token that is forged, malformed or names an invalid user: a Deny policy (HTTP 403);
- a valid token: an Allow policy for this ``$connect``, with ``principalId`` = the user name
  and a context that API Gateway passes to every later event of the connection as
  ``requestContext.authorizer``.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import jwt

from chatserver.aws.function_config import AUTH_SECRET
from chatserver.chat.requests import validate_name
from chatserver.errors import ChatError, ConfigurationError
from chatserver.handlers.runtime import function_environment

logger = logging.getLogger("chatserver.handlers.authorizer")

SECRET_VARIABLE = AUTH_SECRET
ALGORITHM = "HS256"
DEFAULT_TOKEN_LIFETIME = 12 * 60 * 60


class Unauthorized(Exception):
    """Raised to make API Gateway answer 401: the function's error message is "Unauthorized"."""

    def __init__(self) -> None:
        super().__init__("Unauthorized")


def issue_token(secret: str, name: str, *, lifetime: int = DEFAULT_TOKEN_LIFETIME) -> str:
    """A token for ``name``, valid for ``lifetime`` seconds."""
    validate_name(name)
    now = int(time.time())
    return jwt.encode({"sub": name, "iat": now, "exp": now + lifetime}, secret, ALGORITHM)


def policy(
    principal: str, effect: str, resource: str, context: dict[str, Any] | None = None
) -> dict[str, Any]:
    response: dict[str, Any] = {
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
    }
    if context is not None:
        response["context"] = context
    return response


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    secret = function_environment(context).get(SECRET_VARIABLE)
    if not secret:
        raise ConfigurationError(f"{SECRET_VARIABLE} is not set for the authorizer")
    method_arn = str(event.get("methodArn", ""))
    token = (event.get("queryStringParameters") or {}).get("token")
    if not token:
        raise Unauthorized
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["sub", "exp"]}
        )
    except jwt.ExpiredSignatureError:
        logger.info("expired token refused")
        raise Unauthorized from None
    except jwt.InvalidTokenError as exc:
        logger.info("invalid token refused: %s", exc)
        return policy("anonymous", "Deny", method_arn)
    try:
        name = validate_name(str(claims["sub"]))
    except ChatError:
        return policy("anonymous", "Deny", method_arn)
    return policy(name, "Allow", method_arn, {"user": name, "expiresAt": int(claims["exp"])})
