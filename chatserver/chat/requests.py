"""What clients send: the $connect parameters and the frames of each action, validated strictly.

A known action with a missing, mistyped or out-of-range field is refused with a message that
names the field; nothing is clamped or coerced silently (``"limit": "5"`` is an error, not 5).
Unknown extra fields are ignored, so clients may add their own without breaking.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
)

from chatserver.chat.ids import MESSAGE_ID_PATTERN
from chatserver.errors import InvalidConnectRequest, InvalidJson, InvalidMessage

NAME_MAX = 32
ROOM_MAX = 64
TEXT_MAX = 4000
CLIENT_MESSAGE_ID_MAX = 64
HISTORY_LIMIT_DEFAULT = 50
HISTORY_LIMIT_MAX = 100
DEFAULT_ROOM = "general"

# Letters (any script), digits, space, '-', '_' and '.'.
_NAME_CHARS = re.compile(r"^[\w .-]+$")
_ROOM = re.compile(rf"^[A-Za-z0-9_-]{{1,{ROOM_MAX}}}$")


def validate_name(value: str | None) -> str:
    """A user name: 1 to 32 letters, digits, spaces, '-', '_' or '.', not blank at either end."""
    if value is None or value == "":
        raise InvalidConnectRequest("name is required: connect with ?name=<your name>")
    if len(value) > NAME_MAX:
        raise InvalidConnectRequest(f"name must be at most {NAME_MAX} characters")
    if not _NAME_CHARS.match(value):
        raise InvalidConnectRequest("name may hold only letters, digits, spaces, '-', '_' and '.'")
    if value != value.strip():
        raise InvalidConnectRequest("name must not start or end with a space")
    return value


def validate_room(value: str | None) -> str:
    """A room: 1 to 64 of ``[A-Za-z0-9_-]``; ``general`` when not given."""
    if value is None:
        return DEFAULT_ROOM
    if not _ROOM.match(value):
        raise InvalidConnectRequest(
            f"room must be 1 to {ROOM_MAX} characters of letters, digits, '-' and '_'"
        )
    return value


class _Action(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class SendMessage(_Action):
    """``{"action": "sendMessage", "text": "...", "clientMessageId": "..."}``"""

    action: Literal["sendMessage"]
    text: StrictStr = Field(min_length=1, max_length=TEXT_MAX)
    client_message_id: StrictStr | None = Field(
        None,
        alias="clientMessageId",
        min_length=1,
        max_length=CLIENT_MESSAGE_ID_MAX,
        pattern=r"^[^\x00-\x1f\x7f]+$",
    )

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value


class GetHistory(_Action):
    """``{"action": "getHistory", "limit": 50, "before": "<messageId>"}``"""

    action: Literal["getHistory"]
    limit: StrictInt = Field(HISTORY_LIMIT_DEFAULT, ge=1, le=HISTORY_LIMIT_MAX)
    before: StrictStr | None = Field(None, pattern=MESSAGE_ID_PATTERN.pattern)


class GetPresence(_Action):
    """``{"action": "getPresence"}``"""

    action: Literal["getPresence"]


class WhoAmI(_Action):
    """``{"action": "whoami"}``"""

    action: Literal["whoami"]


ActionT = TypeVar("ActionT", bound=_Action)


def parse_body(body: str | None) -> Any:
    """The JSON value of a frame's body, or InvalidJson."""
    if body is None:
        raise InvalidJson("the frame is empty; send a JSON object with an action")
    try:
        return json.loads(body)
    except ValueError:
        raise InvalidJson("the frame is not valid JSON") from None


def parse_action(model: type[ActionT], body: str | None) -> ActionT:
    """Validate a frame's body as ``model``; InvalidMessage names every field that is wrong."""
    value = parse_body(body)
    if not isinstance(value, dict):
        raise InvalidMessage("a frame must be a JSON object")
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise InvalidMessage(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "frame"
        parts.append(f"{field}: {_plain(error)}")
    return "; ".join(parts)


def _plain(error: Any) -> str:
    """pydantic's message, reworded where it would puzzle a chat client."""
    kind = error["type"]
    context = error.get("ctx") or {}
    if kind == "missing":
        return "is required"
    if kind == "value_error":
        return str(context.get("error", "is invalid"))
    if kind == "string_pattern_mismatch":
        return "has an invalid format"
    if kind in {"string_too_short", "string_too_long"}:
        low, high = context.get("min_length"), context.get("max_length")
        return f"must be {'at least ' + str(low) if low else 'at most ' + str(high)} characters"
    return str(error["msg"]).lower() if error["msg"] else kind


__all__ = [
    "DEFAULT_ROOM",
    "HISTORY_LIMIT_MAX",
    "TEXT_MAX",
    "GetHistory",
    "GetPresence",
    "SendMessage",
    "WhoAmI",
    "parse_action",
    "parse_body",
    "validate_name",
    "validate_room",
]
