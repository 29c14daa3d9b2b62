"""Route selection by $request.body.action (websocket-api-develop-routes.html)."""

from __future__ import annotations

import pytest

from chatserver.gateway.routing import select_route

ROUTES = {"$connect", "$disconnect", "$default", "sendMessage", "whoami"}


def test_action_selects_its_route() -> None:
    """The value of action picks the route with that key."""
    assert select_route('{"action": "whoami"}', ROUTES) == "whoami"


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[1, 2]",
        '"whoami"',
        "{}",
        '{"action": "nope"}',
        '{"action": 5}',
        '{"action": "WhoAmI"}',
        '{"action": "$connect"}',
    ],
)
def test_unmatched_bodies_go_to_default(body: str) -> None:
    """Non-JSON, non-objects, a missing or unknown action, and $ keys go to $default."""
    assert select_route(body, ROUTES) == "$default"


def test_no_default_route_means_no_route() -> None:
    """Without a $default route an unmatched body has no route."""
    assert select_route('{"action": "nope"}', {"whoami"}) is None
