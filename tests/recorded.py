"""Access to the recorded AWS events under tests/events/."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).parent / "events"


def recorded(name: str) -> dict[str, Any]:
    """A fresh copy of a recorded event, by file name without ``.json``."""
    return copy.deepcopy(json.loads((EVENTS / f"{name}.json").read_text()))


def shape(value: Any) -> Any:
    """Keys and value types, recursively: what 'same shape' means for events."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__
