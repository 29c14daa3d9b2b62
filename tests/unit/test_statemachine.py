"""The message-distribution ASL file and its definition substitutions."""

from __future__ import annotations

import json

import pytest

from chatserver.aws.statemachine import definition, placeholders

SUBSTITUTIONS = {
    "ConnectionsTableName": "t",
    "RoomIndexName": "room-index",
    "BroadcastFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:chat-broadcast",
}


def test_placeholders_are_the_three_substitutions() -> None:
    """The ASL needs exactly the table, index and broadcast target substitutions."""
    assert placeholders() == set(SUBSTITUTIONS)


def test_definition_substitutes_every_placeholder() -> None:
    """The substituted definition is JSON with no placeholder left."""
    text = definition(SUBSTITUTIONS)
    assert "${" not in text
    states = json.loads(text)["States"]
    assert states["Broadcast"]["Resource"] == SUBSTITUTIONS["BroadcastFunctionArn"]


def test_missing_substitution_is_an_error() -> None:
    """A substitution left out is reported, never deployed half-done."""
    with pytest.raises(KeyError, match="RoomIndexName"):
        definition({k: v for k, v in SUBSTITUTIONS.items() if k != "RoomIndexName"})


def test_broadcast_is_never_retried_after_running() -> None:
    """Only throttling (nothing posted) is retried, so no frame is delivered twice."""
    broadcast = json.loads(definition(SUBSTITUTIONS))["States"]["Broadcast"]
    retried = {name for retry in broadcast.get("Retry", []) for name in retry["ErrorEquals"]}
    assert retried == {"Lambda.TooManyRequestsException"}
