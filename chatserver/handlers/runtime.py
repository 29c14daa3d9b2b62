"""What every handler needs around its own logic: configuration, clients, proxy responses.

``services(context)`` reads the function environment (``context.environment`` when the local
gateway invokes, ``os.environ`` on AWS Lambda) and returns the stores and publishers built on
the cached clients of that configuration. ``websocket_route`` turns a route function into a
Lambda entry point that answers every ``ChatError`` with its status and error frame, and every
other exception with a generic one (the traceback goes to the log, never to the client).
"""

from __future__ import annotations

import functools
import json
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from chatserver.aws.clients import AwsClients, clients_for
from chatserver.aws.connections import Connection, ConnectionStore
from chatserver.aws.events import EventPublisher
from chatserver.aws.function_config import FunctionConfig
from chatserver.aws.management import ConnectionsApi, LocalConnectionsApi
from chatserver.aws.messages import MessageStore
from chatserver.errors import ChatError, NotConnected, error_frame_for

logger = logging.getLogger("chatserver.handlers")

Event = dict[str, Any]
ProxyResponse = dict[str, Any]
LambdaHandler = Callable[[Event, Any], Any]


@dataclass(frozen=True)
class Services:
    """The data access a handler uses, for one function configuration."""

    config: FunctionConfig
    clients: AwsClients
    connections: ConnectionStore
    messages: MessageStore
    events: EventPublisher

    def connections_api(self, endpoint_url: str) -> ConnectionsApi | LocalConnectionsApi:
        return self.clients.connections_api(endpoint_url)


_services: dict[FunctionConfig, Services] = {}


def function_environment(context: Any) -> Mapping[str, str]:
    """The invocation's environment: the local gateway passes it on the context."""
    environment = getattr(context, "environment", None)
    return environment if environment is not None else os.environ


def services(context: Any) -> Services:
    config = FunctionConfig.from_environment(function_environment(context))
    found = _services.get(config)
    if found is None:
        clients = clients_for(config)
        found = Services(
            config=config,
            clients=clients,
            connections=ConnectionStore(clients.dynamodb, config.connections_table),
            messages=MessageStore(clients.dynamodb, config.messages_table),
            events=EventPublisher(clients.events, config.event_bus),
        )
        _services[config] = found
    return found


def ok(body: Mapping[str, Any] | None = None) -> ProxyResponse:
    """A 200 proxy response; with ``body`` it is sent to the caller on a two-way route."""
    response: ProxyResponse = {"statusCode": 200}
    if body is not None:
        response["body"] = json.dumps(body, ensure_ascii=False)
    return response


def refuse(error: BaseException) -> ProxyResponse:
    """The proxy response for a failure: its HTTP status and its error frame as the body."""
    status = error.http_status if isinstance(error, ChatError) else 500
    return {"statusCode": status, "body": json.dumps(error_frame_for(error), ensure_ascii=False)}


def websocket_route(route: Callable[[Event, Services], ProxyResponse]) -> LambdaHandler:
    """Wrap ``route(event, services)`` as ``handler(event, context)`` with error mapping."""

    @functools.wraps(route)
    def handler(event: Event, context: Any) -> ProxyResponse:
        try:
            return route(event, services(context))
        except ChatError as exc:
            logger.info("%s refused: %s", route.__module__, exc.message)
            return refuse(exc)
        except Exception as exc:
            logger.exception("%s failed", route.__module__)
            return refuse(exc)

    return handler


def connection_id(event: Event) -> str:
    return str(event["requestContext"]["connectionId"])


def caller(event: Event, services_: Services) -> Connection:
    """The stored connection that sent this frame, or NotConnected."""
    found = services_.connections.get(connection_id(event))
    if found is None:
        raise NotConnected("this connection is not registered; reconnect")
    return found
