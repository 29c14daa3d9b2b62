"""``GET /healthz``: 200 once the backend is provisioned and answers, 503 otherwise; and
``GET /_chatserver/trace``, the message stage timestamps collected when ``CHAT_TRACE`` is on."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse

from chatserver import __version__
from chatserver.gateway.state import Gateway

router = APIRouter()


@router.get("/healthz")
async def healthz(request: Request) -> JSONResponse:
    gateway: Gateway = request.app.state.gateway
    healthy = gateway.ready and await gateway.backend.healthy()
    body: dict[str, object] = {
        "status": "ok" if healthy else gateway.backend.state.value,
        "version": __version__,
        "backend": gateway.backend.kind,
        "stage": gateway.settings.stage,
        "connections": len(gateway.connections),
    }
    if gateway.backend.endpoint is not None:
        body["endpoint"] = gateway.backend.endpoint.url
    body["broadcastBridge"] = gateway.settings.bridge
    if not healthy:
        if not gateway.accepting:
            body["status"] = "stopping"
        body["detail"] = gateway.backend.detail or "not ready"
    return JSONResponse(body, status_code=200 if healthy else 503)


@router.get("/_chatserver/trace")
async def trace(request: Request) -> JSONResponse:
    """Stage timestamps collected since the last call (CHAT_TRACE=true), oldest first."""
    gateway: Gateway = request.app.state.gateway
    if gateway.traces is None:
        return JSONResponse({"message": "tracing is off; set CHAT_TRACE=true"}, status_code=404)
    return JSONResponse({"marks": await gateway.trace_marks()})
