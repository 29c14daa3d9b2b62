"""API Gateway WebSocket proxy events, built key for key like the ones AWS sends to Lambda.

Shapes follow the recorded events under ``tests/events/`` (AWS samples and the mapping
template reference, apigateway-websocket-api-mapping-template-reference.html). One local
difference, on purpose: ``domainName`` carries the port (``127.0.0.1:8080``), so an endpoint
built from the event, as handlers do on AWS, reaches this gateway.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from chatserver.chat.clock import clf, now_ms
from chatserver.chat.ids import new_aws_style_id


@dataclass
class ConnectionInfo:
    """What API Gateway knows of a connection from its handshake, for every later event."""

    connection_id: str
    connected_at: int  # epoch ms
    source_ip: str
    user_agent: str | None
    domain_name: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    query: list[tuple[str, str]] = field(default_factory=list)
    authorizer: dict[str, Any] | None = None


def _single_and_multi(
    pairs: Iterable[tuple[str, str]],
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """API Gateway's pair of maps: the last value of each name, and every value in order."""
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        single[name] = value
        multi.setdefault(name, []).append(value)
    return single, multi


class EventBuilder:
    """Builds the CONNECT, MESSAGE and DISCONNECT events of one API stage."""

    def __init__(self, *, api_id: str, stage: str) -> None:
        self.api_id = api_id
        self.stage = stage

    def _request_context(
        self, info: ConnectionInfo, *, route_key: str, event_type: str, now: int
    ) -> dict[str, Any]:
        request_id = new_aws_style_id()
        identity: dict[str, str] = {"sourceIp": info.source_ip}
        if info.user_agent is not None:
            identity["userAgent"] = info.user_agent
        context: dict[str, Any] = {
            "routeKey": route_key,
            "eventType": event_type,
            "extendedRequestId": request_id,
            "requestTime": clf(now),
            "messageDirection": "IN",
            "stage": self.stage,
            "connectedAt": info.connected_at,
            "requestTimeEpoch": now,
            "identity": identity,
            "requestId": request_id,
            "domainName": info.domain_name,
            "connectionId": info.connection_id,
            "apiId": self.api_id,
        }
        if info.authorizer is not None and event_type != "CONNECT":
            context["authorizer"] = dict(info.authorizer)
        return context

    def connect(self, info: ConnectionInfo) -> dict[str, Any]:
        now = now_ms()
        headers, multi_headers = _single_and_multi(info.headers)
        event: dict[str, Any] = {
            "headers": headers,
            "multiValueHeaders": multi_headers,
            "requestContext": self._request_context(
                info, route_key="$connect", event_type="CONNECT", now=now
            ),
            "isBase64Encoded": False,
        }
        if info.query:
            params, multi_params = _single_and_multi(info.query)
            event["queryStringParameters"] = params
            event["multiValueQueryStringParameters"] = multi_params
        if info.authorizer is not None:
            event["requestContext"]["authorizer"] = dict(info.authorizer)
        return event

    def authorizer_request(self, info: ConnectionInfo, *, method_arn: str) -> dict[str, Any]:
        """The REQUEST authorizer's input: the $connect event plus ``type`` and ``methodArn``."""
        event = self.connect(ConnectionInfo(**{**info.__dict__, "authorizer": None}))
        event["requestContext"].pop("authorizer", None)
        return {
            "type": "REQUEST",
            "methodArn": method_arn,
            **event,
            "queryStringParameters": event.get("queryStringParameters", {}),
            "multiValueQueryStringParameters": event.get("multiValueQueryStringParameters", {}),
            "stageVariables": {},
        }

    def message(self, info: ConnectionInfo, *, route_key: str, body: str) -> dict[str, Any]:
        now = now_ms()
        context = self._request_context(info, route_key=route_key, event_type="MESSAGE", now=now)
        context["messageId"] = new_aws_style_id()
        return {"requestContext": context, "body": body, "isBase64Encoded": False}

    def disconnect(self, info: ConnectionInfo, *, status_code: int, reason: str) -> dict[str, Any]:
        now = now_ms()
        headers = {
            "Host": info.domain_name,
            "x-api-key": "",
            "X-Forwarded-For": "",
            "x-restapi": "",
        }
        context = self._request_context(
            info, route_key="$disconnect", event_type="DISCONNECT", now=now
        )
        context["disconnectStatusCode"] = status_code
        context["disconnectReason"] = reason
        return {
            "headers": headers,
            "multiValueHeaders": {name: [value] for name, value in headers.items()},
            "requestContext": context,
            "isBase64Encoded": False,
        }
