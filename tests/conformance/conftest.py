"""Stacks for the conformance suite: each with the settings its behaviours need.

Every conformance test carries ``@pytest.mark.aws_doc(page)``, the AWS documentation page
(docs.aws.amazon.com/apigateway/latest/developerguide/<page>) whose behaviour it checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chatserver.testing import ChatStack
from tests.conformance.handlers import CATALOG

AUTH_SECRET = "conformance-secret-0123456789abcdef"


def _stack(**settings: Any) -> Iterator[ChatStack]:
    # The recording handlers share RECORDED with the tests: they run in the gateway's process.
    with ChatStack(functions=CATALOG, lambda_placement="gateway", **settings) as stack:
        yield stack


@pytest.fixture(scope="session")
def routes_stack() -> Iterator[ChatStack]:
    """Recording handlers, test routes, no $default, a 2 s integration timeout."""
    yield from _stack(integration_timeout=2.0)


@pytest.fixture(scope="session")
def timers_stack() -> Iterator[ChatStack]:
    """Short idle timeout, connection duration and keepalive, to watch them act."""
    yield from _stack(
        idle_timeout=1.0, max_connection_duration=2.5, ping_interval=0.3, ping_timeout=0.3
    )


@pytest.fixture(scope="session")
def auth_stack() -> Iterator[ChatStack]:
    """The REQUEST authorizer on $connect."""
    yield from _stack(auth_secret=AUTH_SECRET)


@pytest.fixture(scope="session")
def guarded_stack() -> Iterator[ChatStack]:
    """@connections signature verification against configured credentials."""
    yield from _stack(
        verify_signatures=True,
        aws_access_key_id="AKIDCONFORMANCE",
        aws_secret_access_key="conformance-secret-key",
    )


@pytest.fixture(scope="session")
def throttled_stack() -> Iterator[ChatStack]:
    """Low rate limits: new connections, @connections calls, frames of one connection."""
    yield from _stack(
        management_rate_limit=0.5,
        management_burst=4,
        connection_rate_limit=0.5,
        connection_burst=3,
        max_inflight_per_connection=1,
        frame_backlog_per_connection=2,
    )
