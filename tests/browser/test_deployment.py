"""The web folder served as static files elsewhere (as from S3), talking to the gateway."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.async_api import expect

from chatserver.gateway.app import web_directory
from chatserver.testing import ChatStack
from tests.browser.conftest import OpenChat

pytestmark = pytest.mark.asyncio


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def static_site(tmp_path: Path, chat_stack: ChatStack) -> Iterator[tuple[str, Path]]:
    """A copy of web/ on a plain static HTTP server (another origin): its URL and folder."""
    web = web_directory(chat_stack.settings)
    assert web is not None
    site = tmp_path / "site"
    shutil.copytree(web, site)
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", site
    server.shutdown()
    server.server_close()


async def test_the_page_uses_the_websocket_url_from_config_json(
    open_chat: OpenChat, chat_stack: ChatStack, static_site: tuple[str, Path], chat_room: str
) -> None:
    """Served unchanged from another origin, the page connects where config.json says."""
    url, site = static_site
    (site / "config.json").write_text(json.dumps({"websocketUrl": chat_stack.ws_url}))
    alice = await open_chat("alice", chat_room, join=False)
    await alice.open(url)
    await alice.join()
    await alice.say("from a static copy of web/")


async def test_without_config_json_the_page_uses_its_own_origin(
    open_chat: OpenChat, chat_stack: ChatStack, chat_room: str
) -> None:
    """With no config.json the page connects to ws://its-own-host/local."""
    alice = await open_chat("alice", chat_room, join=False)
    await alice.page.route("**/config.json", lambda route: route.fulfill(status=404))
    await alice.page.reload()
    await alice.join()
    await alice.say("no config needed locally")
    await expect(alice.status).to_have_attribute("data-state", "connected")
