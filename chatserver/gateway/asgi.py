"""Bare ASGI plumbing for the gateway's hot HTTP paths (no framework on the way)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

JSON_TYPE = (b"content-type", b"application/json")


async def read_body(receive: Receive, limit: int) -> tuple[bytes, int]:
    """The request body and its size; past ``limit`` the rest is read but not kept."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size <= limit:
            chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks), size


async def respond(
    send: Send, status: int, body: bytes = b"", headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*(headers or []), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def respond_aws_error(send: Send, status: int, error_type: str, body: Any) -> None:
    """An error as AWS's REST-JSON services send it: a JSON body and ``x-amzn-ErrorType``."""
    await respond(
        send,
        status,
        json.dumps(body).encode(),
        [JSON_TYPE, (b"x-amzn-errortype", error_type.encode())],
    )


def header(scope: Scope, name: bytes) -> str:
    """A request header's value ('' if absent); ``name`` in lower case."""
    for key, value in scope["headers"]:
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return ""
