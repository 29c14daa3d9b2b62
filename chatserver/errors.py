"""The one error hierarchy of chatserver, and its mapping to what clients see.

Every error a client can cause or observe is a ``ChatError``. Each class carries, in one place,
the error frame ``code`` sent on the WebSocket, the HTTP status (handshake refusal or
@connections answer) and, for the management API, the AWS error type that SDKs parse into
exceptions such as ``GoneException``. Anything that is not a ``ChatError`` is internal: clients
get a generic message and the details stay in the log.
"""

from __future__ import annotations

from typing import Any, ClassVar


class ChatError(Exception):
    """Base of every error chatserver reports to a client."""

    code: ClassVar[str] = "InternalError"
    http_status: ClassVar[int] = 500
    aws_error_type: ClassVar[str] = "InternalServerErrorException"
    close_code: ClassVar[int] = 1011

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_frame(self) -> dict[str, Any]:
        """The error frame sent to a WebSocket client; the connection stays open."""
        return {"type": "error", "code": self.code, "message": self.message}


# -- Errors in what a client sent (error frames; the connection stays open) --------------------


class InvalidJson(ChatError):
    """A frame that is not JSON."""

    code = "InvalidJson"
    http_status = 400
    aws_error_type = "BadRequestException"


class UnknownAction(ChatError):
    """A JSON frame whose action no route handles."""

    code = "UnknownAction"
    http_status = 400
    aws_error_type = "BadRequestException"


class InvalidMessage(ChatError):
    """A known action with a missing, mistyped or out-of-range field."""

    code = "InvalidMessage"
    http_status = 400
    aws_error_type = "BadRequestException"


class NotConnected(ChatError):
    """A frame from a connection the connections table no longer knows."""

    code = "NotConnected"
    http_status = 410
    aws_error_type = "GoneException"


# -- Handshake refusals ----------------------------------------------------------------------


class InvalidConnectRequest(ChatError):
    """A $connect with a missing or invalid name or room: the handshake is refused with 400."""

    code = "InvalidConnectRequest"
    http_status = 400
    aws_error_type = "BadRequestException"


class Unauthorized(ChatError):
    """No credentials where the authorizer needs some: 401."""

    code = "Unauthorized"
    http_status = 401
    aws_error_type = "UnauthorizedException"


class Forbidden(ChatError):
    """Credentials that do not hold (bad signature, expired token): 403."""

    code = "Forbidden"
    http_status = 403
    aws_error_type = "ForbiddenException"


class LimitExceeded(ChatError):
    """A rate limit was passed: 429, as API Gateway throttles."""

    code = "LimitExceeded"
    http_status = 429
    aws_error_type = "LimitExceededException"


class ServiceUnavailable(ChatError):
    """The backend is not provisioned or not reachable yet: 503."""

    code = "ServiceUnavailable"
    http_status = 503
    aws_error_type = "ServiceUnavailableException"


# -- The @connections management API ---------------------------------------------------------


class ConnectionGone(ChatError):
    """A connection id that is closed or never existed: 410 GoneException, as on AWS."""

    code = "Gone"
    http_status = 410
    aws_error_type = "GoneException"


class PayloadTooLarge(ChatError):
    """A PostToConnection body over the limit: 413 PayloadTooLargeException."""

    code = "PayloadTooLarge"
    http_status = 413
    aws_error_type = "PayloadTooLargeException"


class MethodNotAllowed(ChatError):
    """A method @connections does not support: 405."""

    code = "MethodNotAllowed"
    http_status = 405
    aws_error_type = "MethodNotAllowedException"


class BadRequest(ChatError):
    """A management API call whose path or id is malformed: 400 BadRequestException."""

    code = "BadRequest"
    http_status = 400
    aws_error_type = "BadRequestException"


# -- The Lambda Invoke API ---------------------------------------------------------------------


class FunctionNotFound(ChatError):
    """Invoke of a function the local runtime does not have: 404 ResourceNotFoundException."""

    code = "ResourceNotFound"
    http_status = 404
    aws_error_type = "ResourceNotFoundException"


class InvalidRequestContent(ChatError):
    """An Invoke payload that is not JSON: 400 InvalidRequestContentException."""

    code = "InvalidRequestContent"
    http_status = 400
    aws_error_type = "InvalidRequestContentException"


class RequestTooLarge(ChatError):
    """An Invoke payload over Lambda's 6 MB: 413 RequestTooLargeException."""

    code = "RequestTooLarge"
    http_status = 413
    aws_error_type = "RequestTooLargeException"


# -- Reasons the gateway closes a WebSocket (close code and reason sent to the client) ---------


class ConnectionClosing(ChatError):
    """Base of the reasons the gateway ends a connection; ``close_code`` is what the client sees."""

    code = "ConnectionClosed"


class MessageTooBig(ConnectionClosing):
    """A frame or a message over the size limits: 1009, as API Gateway does."""

    code = "MessageTooBig"
    close_code = 1009


class UnsupportedData(ConnectionClosing):
    """A binary frame on this text-only API: 1003."""

    code = "UnsupportedData"
    close_code = 1003


class GoingAway(ConnectionClosing):
    """Idle timeout, maximum duration reached, or the server shutting down: 1001."""

    code = "GoingAway"
    close_code = 1001


class SlowConsumer(ConnectionClosing):
    """A client that does not read what it is sent: 1013, so it reconnects and catches up."""

    code = "SlowConsumer"
    close_code = 1013


class ClosedByApi(ConnectionClosing):
    """DeleteConnection on the @connections API: a normal closure, 1000."""

    code = "ClosedByApi"
    close_code = 1000


# -- Operator errors (CLI messages, not client-facing) -----------------------------------------


class ConfigurationError(ChatError):
    """A setting that cannot work; the message names the setting."""

    code = "ConfigurationError"


class BackendError(ChatError):
    """The AWS backend (emulator or endpoint) failed to start, provision or answer."""

    code = "BackendError"
    http_status = 503
    aws_error_type = "ServiceUnavailableException"


class DeployError(ChatError):
    """Building the Lambda artifact or deploying to AWS failed; the message says what to fix."""

    code = "DeployError"


def internal_error_frame() -> dict[str, Any]:
    """The frame sent when something unexpected failed: no details leave the server."""
    return {"type": "error", "code": "InternalError", "message": "internal error"}


def error_frame_for(exc: BaseException) -> dict[str, Any]:
    """The error frame for any exception: its own for a ChatError, a generic one otherwise."""
    if isinstance(exc, ChatError):
        return exc.to_frame()
    return internal_error_frame()
