"""Identifiers: connection and request ids shaped like API Gateway's, sortable message ids."""

from __future__ import annotations

import base64
import re
import secrets

#: API Gateway ids are 11 random bytes in base64: 15 characters and one ``=`` of padding,
#: e.g. ``R1kmxc2VNjMCFIA=``. The ``=`` must be URL-encoded (``%3D``) in @connections paths.
CONNECTION_ID_PATTERN = re.compile(r"^[A-Za-z0-9]{15}=$")

#: Message ids are a per-room sequence number, zero-padded so that string order is store order.
MESSAGE_ID_DIGITS = 12
MESSAGE_ID_PATTERN = re.compile(rf"^\d{{{MESSAGE_ID_DIGITS}}}$")


def new_aws_style_id() -> str:
    """A fresh 16-character id in API Gateway's style, without ``+`` or ``/``.

    Those two base64 characters would need escaping in URLs; real ids are drawn so that the
    ``=`` is the one character clients must encode, which this keeps.
    """
    while True:
        candidate = base64.b64encode(secrets.token_bytes(11)).decode("ascii")
        if CONNECTION_ID_PATTERN.match(candidate):
            return candidate


def message_id(sequence: int) -> str:
    """The message id for the ``sequence``-th message stored in a room."""
    return f"{sequence:0{MESSAGE_ID_DIGITS}d}"
