"""The gateway's ASGI app: ``create_app(settings)`` wires routes, state and lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from chatserver import __version__
from chatserver.emulator.launcher import EmbeddedEmulator
from chatserver.gateway import health, web_config
from chatserver.gateway.dispatch import GatewayApp
from chatserver.gateway.state import Gateway
from chatserver.handlers.catalog import FunctionSpec, load_catalog
from chatserver.settings import Settings

logger = logging.getLogger("chatserver.gateway")


def web_directory(settings: Settings) -> Path | None:
    """The frontend's folder: the setting, the copy in the wheel, or the repository's ``web/``."""
    if settings.web_dir is not None:
        return settings.web_dir
    packaged = Path(str(resources.files("chatserver"))) / "_web"
    if packaged.is_dir():
        return packaged
    repository = Path(__file__).resolve().parents[2] / "web"
    return repository if repository.is_dir() else None


def create_app(
    settings: Settings,
    functions: Sequence[FunctionSpec] | None = None,
    emulator: EmbeddedEmulator | None = None,
) -> FastAPI:
    """The gateway for ``settings`` and a function catalog (default: ``CHAT_FUNCTIONS``, else
    chatserver's own handlers); the backend starts with the app's lifespan. ``emulator``: the
    embedded emulator, when the caller already spawned it."""
    gateway = Gateway(
        settings, load_catalog(settings.functions) if functions is None else functions, emulator
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        gateway.begin_startup()
        try:
            yield
        finally:
            await gateway.stop()

    app = FastAPI(
        title="chatserver gateway",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.gateway = gateway
    app.include_router(health.router)
    web = web_directory(settings)
    if web is None or not (web / "config.json").is_file():
        app.include_router(web_config.router)
    if web is not None:
        app.mount("/", StaticFiles(directory=web, html=True), name="web")
    else:
        logger.warning("no web frontend found; set CHAT_WEB_DIR to serve one")
    return app


def asgi_app(app: FastAPI) -> GatewayApp:
    """The app uvicorn serves: WebSockets and @connections dispatched first, then ``app``."""
    return GatewayApp(app)
