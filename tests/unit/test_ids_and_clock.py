"""Identifier and timestamp formats shared with AWS."""

from __future__ import annotations

import re

from chatserver.chat.clock import clf, iso_ms
from chatserver.chat.ids import CONNECTION_ID_PATTERN, message_id, new_aws_style_id


def test_connection_ids_look_like_api_gateway_ids() -> None:
    """Ids are 16 characters, 15 alphanumerics and '=' (like R1kmxc2VNjMCFIA=)."""
    ids = {new_aws_style_id() for _ in range(500)}
    assert len(ids) == 500
    assert all(CONNECTION_ID_PATTERN.match(i) and len(i) == 16 for i in ids)


def test_message_ids_sort_as_numbers() -> None:
    """Zero-padded sequence numbers sort as strings in numeric order."""
    ids = [message_id(n) for n in (1, 2, 10, 99, 100, 12345)]
    assert ids == sorted(ids)
    assert message_id(42) == "000000000042"


def test_iso_ms_has_milliseconds_and_z() -> None:
    """sentAt is ISO-8601 UTC with milliseconds."""
    assert iso_ms(1795554806344) == "2026-11-24T21:13:26.344Z"


def test_clf_is_common_log_format() -> None:
    """requestTime is in CLF, as API Gateway writes it."""
    assert clf(1795554806344) == "24/Nov/2026:21:13:26 +0000"
    assert re.fullmatch(r"\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} \+0000", clf(0))
