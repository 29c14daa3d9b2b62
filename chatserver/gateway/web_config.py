"""``GET /config.json``: where the web frontend finds the WebSocket API when this gateway serves it.

The frontend reads ``config.json`` next to its ``index.html``. Deployed to S3, the deployment
writes that file with the API Gateway URL; served here, this route answers with the URL of this
gateway's own stage, built from the request's host so that it holds for whatever address the
browser used (``127.0.0.1``, a LAN address, a tunnel). A ``config.json`` placed in the web
folder (``CHAT_WEB_DIR``) is served instead, unchanged.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse

from chatserver.gateway.state import Gateway

#: The key the frontend and the S3 deployment agree on.
WEBSOCKET_URL_KEY = "websocketUrl"

router = APIRouter()


def websocket_url(request: Request, stage: str) -> str:
    """``ws://`` (or ``wss://`` behind HTTPS) + the host the request came to + ``/{stage}``."""
    scheme = "wss" if request.url.scheme == "https" else "ws"
    host = request.headers.get("host") or request.url.netloc
    return f"{scheme}://{host}/{stage}"


@router.get("/config.json")
async def web_config(request: Request) -> JSONResponse:
    gateway: Gateway = request.app.state.gateway
    body = {WEBSOCKET_URL_KEY: websocket_url(request, gateway.settings.stage)}
    return JSONResponse(body, headers={"Cache-Control": "no-store"})
