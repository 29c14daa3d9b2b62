"""Each Lambda handler called directly, as Lambda calls it, with recorded AWS event shapes,
against the embedded emulator (no gateway in between)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from chatserver.chat.clock import now_ms
from chatserver.chat.ids import new_aws_style_id
from chatserver.gateway.lambda_runtime import LocalContext
from chatserver.handlers import (
    broadcast,
    connect,
    default,
    disconnect,
    get_history,
    get_presence,
    send_message,
    whoami,
)
from chatserver.testing import ChatStack
from tests.recorded import recorded


@pytest.fixture
def context(chat_stack: ChatStack) -> LocalContext:
    """A Lambda context carrying the stack's function environment."""
    runtime = chat_stack.gateway.runtime
    assert runtime is not None
    return LocalContext(
        function_name="test",
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:test",
        aws_request_id=str(uuid.uuid4()),
        deadline=time.monotonic() + 30,
        environment=runtime.environment,
    )


@pytest.fixture
def connected(chat_room: str, context: LocalContext) -> dict[str, Any]:
    """A registered connection (through the $connect handler) in a fresh room."""
    event = recorded("apigw-websocket-connect")
    event["requestContext"]["connectionId"] = new_aws_style_id()
    event["requestContext"]["connectedAt"] = now_ms()
    event["queryStringParameters"] = {"name": "alice", "room": chat_room}
    assert connect.handler(event, context) == {"statusCode": 200}
    return event["requestContext"]


def _message(route: str, body: object, connection: dict[str, Any]) -> dict[str, Any]:
    event = recorded("apigw-websocket-message")
    event["requestContext"].update(
        routeKey=route, connectionId=connection["connectionId"], messageId=new_aws_style_id()
    )
    event["body"] = body if isinstance(body, str) else json.dumps(body)
    return event


def _body(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])


Call = Callable[[dict[str, Any], Any], Any]


def test_connect_refuses_a_missing_name_with_400(context: LocalContext) -> None:
    """$connect without a name answers 400 and an InvalidConnectRequest error body."""
    event = recorded("apigw-websocket-connect")
    event["queryStringParameters"] = {"room": "general"}
    response = connect.handler(event, context)
    assert response["statusCode"] == 400
    assert _body(response)["code"] == "InvalidConnectRequest"


def test_whoami_reads_the_connection_back(
    connected: dict[str, Any], context: LocalContext, chat_room: str
) -> None:
    """whoami answers with what $connect stored."""
    response = whoami.handler(_message("whoami", {"action": "whoami"}, connected), context)
    assert _body(response) == {
        "type": "identity",
        "connectionId": connected["connectionId"],
        "user": "alice",
        "room": chat_room,
    }


def test_send_message_stores_and_history_returns_it(
    connected: dict[str, Any], context: LocalContext
) -> None:
    """sendMessage answers nothing on success and the message is in getHistory."""
    frame = {"action": "sendMessage", "text": "stored?", "clientMessageId": "h-1"}
    assert send_message.handler(_message("sendMessage", frame, connected), context) == {
        "statusCode": 200
    }
    history = _body(
        get_history.handler(_message("getHistory", {"action": "getHistory"}, connected), context)
    )
    assert [m["text"] for m in history["messages"]] == ["stored?"]
    assert history["hasMore"] is False


def test_send_message_from_unknown_connection_is_not_connected(
    connected: dict[str, Any], context: LocalContext
) -> None:
    """A frame from a connection with no row gets a NotConnected error frame."""
    stranger = dict(connected, connectionId=new_aws_style_id())
    frame = {"action": "sendMessage", "text": "hi"}
    response = send_message.handler(_message("sendMessage", frame, stranger), context)
    assert _body(response)["code"] == "NotConnected"


def test_get_presence_lists_the_connected_user(
    connected: dict[str, Any], context: LocalContext
) -> None:
    """getPresence answers the room's online list."""
    response = get_presence.handler(
        _message("getPresence", {"action": "getPresence"}, connected), context
    )
    assert _body(response)["online"] == ["alice"]


def test_default_names_the_known_actions(connected: dict[str, Any], context: LocalContext) -> None:
    """$default answers UnknownAction and lists the actions that exist."""
    response = default.handler(_message("$default", {"action": "fly"}, connected), context)
    error = _body(response)
    assert error["code"] == "UnknownAction"
    assert "sendMessage" in error["message"]


def test_disconnect_removes_the_connection(
    connected: dict[str, Any], context: LocalContext
) -> None:
    """$disconnect deletes the row: later frames of that id are NotConnected."""
    event = recorded("apigw-websocket-disconnect")
    event["requestContext"]["connectionId"] = connected["connectionId"]
    assert disconnect.handler(event, context) == {"statusCode": 200}
    response = whoami.handler(_message("whoami", {"action": "whoami"}, connected), context)
    assert _body(response)["code"] == "NotConnected"


def test_broadcast_reports_gone_connections(context: LocalContext) -> None:
    """The broadcast task posts to each id and reports those that are gone."""
    task = recorded("stepfunctions-broadcast-input")
    result = broadcast.handler(task, context)
    assert result == {"delivered": 0, "gone": task["connectionIds"]}


def test_broadcast_accepts_a_lone_id_as_a_string(context: LocalContext) -> None:
    """A single JSONPath match arriving as a bare string (moto) counts as one id."""
    task = recorded("stepfunctions-broadcast-input")
    task["connectionIds"] = "R1kmxc2VNjMCFIA="
    assert broadcast.handler(task, context)["gone"] == ["R1kmxc2VNjMCFIA="]


def test_broadcast_rejects_malformed_input(context: LocalContext) -> None:
    """A task input without a frame fails the task (Step Functions records the error)."""
    with pytest.raises(Exception, match="room, frame and connectionIds"):
        broadcast.handler({"room": "general"}, context)
