"""Validation of what clients send: connect parameters and action frames."""

from __future__ import annotations

import json

import pytest

from chatserver.chat.requests import (
    GetHistory,
    SendMessage,
    parse_action,
    validate_name,
    validate_room,
)
from chatserver.errors import InvalidConnectRequest, InvalidJson, InvalidMessage


@pytest.mark.parametrize("name", ["alice", "Bob Smith", "x", "a.b-c_d", "Zoë", "李雷", "n" * 32])
def test_valid_names_are_accepted(name: str) -> None:
    """Names of 1 to 32 letters (any script), digits, spaces, '-', '_', '.' are accepted."""
    assert validate_name(name) == name


@pytest.mark.parametrize("name", [None, "", "n" * 33, "a<b", "tab\there", " lead", "trail ", "a:b"])
def test_invalid_names_are_refused(name: str | None) -> None:
    """A missing, long, blank-edged or oddly charactered name is refused."""
    with pytest.raises(InvalidConnectRequest):
        validate_name(name)


def test_room_defaults_to_general() -> None:
    """Without a room parameter the user joins 'general'."""
    assert validate_room(None) == "general"


@pytest.mark.parametrize("room", ["", "r" * 65, "with space", "a#b", "ü"])
def test_invalid_rooms_are_refused(room: str) -> None:
    """Rooms are 1 to 64 of [A-Za-z0-9_-]; anything else is refused."""
    with pytest.raises(InvalidConnectRequest):
        validate_room(room)


def test_send_message_parses_text_and_client_message_id() -> None:
    """A well-formed sendMessage yields its text and clientMessageId."""
    body = json.dumps({"action": "sendMessage", "text": "hi", "clientMessageId": "c1"})
    request = parse_action(SendMessage, body)
    assert (request.text, request.client_message_id) == ("hi", "c1")


@pytest.mark.parametrize(
    ("frame", "field"),
    [
        ({"action": "sendMessage"}, "text"),
        ({"action": "sendMessage", "text": ""}, "text"),
        ({"action": "sendMessage", "text": "   "}, "text"),
        ({"action": "sendMessage", "text": "x" * 4001}, "text"),
        ({"action": "sendMessage", "text": 5}, "text"),
        ({"action": "sendMessage", "text": "hi", "clientMessageId": "c" * 65}, "clientMessageId"),
        ({"action": "sendMessage", "text": "hi", "clientMessageId": 7}, "clientMessageId"),
        ({"action": "getHistory", "limit": 0}, "limit"),
        ({"action": "getHistory", "limit": 101}, "limit"),
        ({"action": "getHistory", "limit": "5"}, "limit"),
        ({"action": "getHistory", "limit": True}, "limit"),
        ({"action": "getHistory", "limit": 2.5}, "limit"),
        ({"action": "getHistory", "before": "abc"}, "before"),
    ],
)
def test_bad_fields_are_named_in_invalid_message(frame: dict[str, object], field: str) -> None:
    """A missing, mistyped or out-of-range field is InvalidMessage naming the field."""
    model = SendMessage if frame["action"] == "sendMessage" else GetHistory
    with pytest.raises(InvalidMessage) as caught:
        parse_action(model, json.dumps(frame))
    assert field in caught.value.message


def test_history_limit_defaults_to_50() -> None:
    """getHistory without a limit asks for 50 messages."""
    assert parse_action(GetHistory, '{"action": "getHistory"}').limit == 50


def test_text_at_the_limit_is_accepted() -> None:
    """Exactly 4000 characters is still a valid message."""
    body = json.dumps({"action": "sendMessage", "text": "é" * 4000})
    assert len(parse_action(SendMessage, body).text) == 4000


def test_non_json_is_invalid_json() -> None:
    """A body that is not JSON is InvalidJson."""
    with pytest.raises(InvalidJson):
        parse_action(SendMessage, "not json")


def test_non_object_is_invalid_message() -> None:
    """A JSON body that is not an object is InvalidMessage."""
    with pytest.raises(InvalidMessage):
        parse_action(SendMessage, "[1, 2]")
