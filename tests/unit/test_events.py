"""The gateway's Lambda proxy events have the shape of the ones AWS sends.

apigateway-websocket-api-mapping-template-reference.html; recorded events in tests/events/.
"""

from __future__ import annotations

from chatserver.gateway.events import ConnectionInfo, EventBuilder
from tests.recorded import recorded, shape

INFO = ConnectionInfo(
    connection_id="TWegAcC4EowCHnB=",
    connected_at=1795554806344,
    source_ip="203.0.113.7",
    user_agent="Mozilla/5.0",
    domain_name="127.0.0.1:8080",
    headers=[("Host", "127.0.0.1:8080"), ("User-Agent", "Mozilla/5.0")],
    query=[("name", "alice"), ("room", "general")],
)
BUILDER = EventBuilder(api_id="chatlocal0", stage="local")


def _without_values(event: dict[str, object]) -> object:
    built = shape(event)
    assert isinstance(built, dict)
    # Header names vary by client; their structure (name -> str, name -> [str]) is compared.
    for key in ("headers", "multiValueHeaders"):
        if key in built:
            built[key] = sorted(set(map(str, built[key].values())))
    return built


def test_connect_event_has_the_recorded_shape() -> None:
    """CONNECT events carry every key AWS sends, with the same types."""
    assert _without_values(BUILDER.connect(INFO)) == _without_values(
        recorded("apigw-websocket-connect")
    )


def test_message_event_has_the_recorded_shape() -> None:
    """MESSAGE events carry requestContext, body and isBase64Encoded as AWS sends them."""
    built = BUILDER.message(INFO, route_key="sendMessage", body='{"action": "sendMessage"}')
    assert shape(built) == shape(recorded("apigw-websocket-message"))


def test_disconnect_event_has_the_recorded_shape() -> None:
    """DISCONNECT events carry disconnectStatusCode and disconnectReason, as AWS sends them."""
    built = BUILDER.disconnect(INFO, status_code=1001, reason="")
    assert _without_values(built) == _without_values(recorded("apigw-websocket-disconnect"))


def test_epoch_fields_are_milliseconds_and_request_time_is_clf() -> None:
    """connectedAt and requestTimeEpoch are epoch ms; requestTime is CLF."""
    context = BUILDER.message(INFO, route_key="whoami", body="{}")["requestContext"]
    assert context["connectedAt"] == INFO.connected_at
    assert abs(context["requestTimeEpoch"] - context["connectedAt"]) < 10**13
    assert context["requestTimeEpoch"] > 10**12
    assert context["requestTime"].endswith(" +0000")


def test_query_parameters_keep_repeated_values() -> None:
    """multiValueQueryStringParameters keeps every value; the single map keeps the last."""
    info = ConnectionInfo(**{**INFO.__dict__, "query": [("tag", "a"), ("tag", "b")]})
    event = BUILDER.connect(info)
    assert event["queryStringParameters"] == {"tag": "b"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b"]}


def test_authorizer_context_reaches_later_events() -> None:
    """An authorizer's context is in every event of the connection (requestContext.authorizer)."""
    info = ConnectionInfo(**{**INFO.__dict__, "authorizer": {"principalId": "alice"}})
    assert BUILDER.message(info, route_key="whoami", body="{}")["requestContext"]["authorizer"] == {
        "principalId": "alice"
    }
    assert BUILDER.disconnect(info, status_code=1000, reason="")["requestContext"][
        "authorizer"
    ] == {"principalId": "alice"}
