"""The embedded emulator's HTTP server: moto's WSGI app on werkzeug, with keep-alive.

werkzeug's development server ends every response with ``Connection: close`` (http.server
cannot tell where an unread request body ends, so the next request line would be read from
the middle of it). Each AWS call then paid for a new TCP connection, a new server thread and,
on the client, a fresh urllib3 connection: measured on the chat's message path, about 3.6 new
connections per chat message and a large share of the emulator's CPU.

``KeepAliveRequestHandler`` reads a request's whole body (its ``Content-Length``) before moto
sees it, so the stream is always at the next request line, and then leaves the connection open
as HTTP/1.1 allows. werkzeug's clean-up after a response reads whatever the socket still holds
(harmless when the connection is closing, but it would swallow the next request, or block on
it): it is given an empty stream instead. A request whose end is not known that way (a chunked
body, a malformed length) is answered as before, with ``Connection: close``.
"""

from __future__ import annotations

import io
import threading
from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

#: A body larger than this is not buffered: that request closes its connection instead.
MAX_BUFFERED_BODY = 64 * 1024 * 1024


class KeepAliveRequestHandler(MotoRequestHandler):  # type: ignore[misc]  # moto is untyped
    """moto's request handler, keeping HTTP/1.1 connections open when the body is framed."""

    #: headers and body go out in two writes; on an open connection Nagle's algorithm would
    #: hold the body back for the client's delayed ACK (40 ms a request, measured)
    disable_nagle_algorithm = True
    _keep_alive = False
    _socket_rfile: Any = None

    def handle_one_request(self) -> None:
        self._keep_alive = False
        try:
            super().handle_one_request()
        finally:
            if self._socket_rfile is not None:
                self.rfile, self._socket_rfile = self._socket_rfile, None

    def make_environ(self) -> dict[str, Any]:
        environ: dict[str, Any] = super().make_environ()
        if environ.get("wsgi.input_terminated") or self.request_version != "HTTP/1.1":
            return environ
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return environ
        if not 0 <= length <= MAX_BUFFERED_BODY:
            return environ
        body = self.rfile.read(length) if length else b""
        if len(body) != length:  # the client went away mid-body
            return environ
        environ["wsgi.input"] = io.BytesIO(body)
        self._keep_alive = True
        # What werkzeug reads after the response would be the next request: hide the socket.
        self._socket_rfile, self.rfile = self.rfile, io.BytesIO()
        return environ

    def send_header(self, keyword: str, value: str) -> None:
        closing = keyword.lower() == "connection" and value.lower() == "close"
        if closing and self._keep_alive and not self.close_connection:
            return
        super().send_header(keyword, value)


class MotoHttpServer:
    """moto's server app on a thread of its own, served with ``KeepAliveRequestHandler``."""

    def __init__(self, host: str, port: int) -> None:
        app = DomainDispatcherApplication(create_backend_app)
        self._server: BaseWSGIServer = make_server(
            host, port, app, threaded=True, request_handler=KeepAliveRequestHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="moto-http", daemon=True
        )

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()
