"""Route selection, as API Gateway evaluates ``$request.body.action``.

The value of ``action`` in a JSON object body picks the route with that key (exact match).
A body that is not JSON, not an object, or has no such route goes to ``$default``; without a
``$default`` route there is no route (API Gateway answers the client with an error).
Route keys starting with ``$`` are API Gateway's own and are never selected by a body.
"""

from __future__ import annotations

import json
from collections.abc import Container

DEFAULT_ROUTE = "$default"


def select_route(body: str, routes: Container[str]) -> str | None:
    """The route key for a message ``body``, or None if no route takes it."""
    try:
        value = json.loads(body)
    except ValueError:
        value = None
    if isinstance(value, dict):
        action = value.get("action")
        if isinstance(action, str) and not action.startswith("$") and action in routes:
            return action
    return DEFAULT_ROUTE if DEFAULT_ROUTE in routes else None
