"""Browser tests: Debian's Chromium driven by Playwright, against the real stack.

Every test is skipped, with the reason, when ``/usr/bin/chromium`` is missing (``apt-get
install chromium``; CI installs it in ``.ci/run``). Playwright's own browser download does not
work on these machines and is never used. The tests use Playwright's async API on the session
event loop that pytest-asyncio gives every async test here (the sync API would leave a loop
marked as running under the other async tests). Screenshots go to ``.artifacts/screenshots/``;
a failing test leaves one of each of its pages under ``failures/`` there.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from chatserver.testing import ChatStack
from tests.browser.chat_page import ChatPage

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".artifacts" / "screenshots"

# The machine's network is closed: without these flags Chromium's own background connections
# are refused and slow it down. --no-sandbox only where the sandbox cannot work (root).
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Containers often have a small /dev/shm; Chromium then crashes without this.
    "--disable-dev-shm-usage",
]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}

OpenChat = Callable[..., Awaitable[ChatPage]]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Remember each phase's report on the item, so fixtures can tell that a test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="package")
def chat_stack(chat_stack_settings: dict[str, Any]) -> Iterator[ChatStack]:
    """The browser tests' own stack (overriding the plugin's), stopped after them.

    Its own emulator keeps the tables of the other tests' stack small: moto's DynamoDB query
    time grows with the whole table's size.
    """
    with ChatStack(**chat_stack_settings) as stack:
        yield stack


@pytest.fixture(scope="session")
def chromium_executable() -> Path:
    """Debian's Chromium, or a skip saying how to get it."""
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    return CHROMIUM


@pytest_asyncio.fixture(scope="session")
async def chromium(chromium_executable: Path) -> AsyncIterator[Any]:
    """A headless Chromium for the session."""
    async_api = pytest.importorskip("playwright.async_api", reason="pip install -e '.[dev]'")
    args = [*CHROMIUM_ARGS, *(["--no-sandbox"] if os.geteuid() == 0 else [])]
    # launch() gives the browser a fresh temporary profile of its own.
    async with async_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(chromium_executable), headless=True, args=args
        )
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """The folder screenshots are saved in (git-ignored; CI keeps it as artifacts)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest_asyncio.fixture
async def open_chat(
    chromium: Any, chat_stack: ChatStack, request: pytest.FixtureRequest
) -> AsyncIterator[OpenChat]:
    """A factory: ``await open_chat(name, room)`` opens the page in its own browser context.

    Each page is a separate context (its own storage), as two people on two machines. Pages are
    closed after the test; an uncaught JavaScript error or a dialog in any of them fails it.
    """
    pages: list[ChatPage] = []

    async def open_page(
        name: str | None,
        room: str | None,
        *,
        stack: ChatStack | None = None,
        viewport: dict[str, int] = DESKTOP,
        join: bool = True,
        query: dict[str, str] | None = None,
        **context_options: Any,
    ) -> ChatPage:
        context = await chromium.new_context(viewport=viewport, **context_options)
        chat = ChatPage(await context.new_page(), name, room)
        pages.append(chat)
        await chat.open((stack or chat_stack).http_url, query)
        if join:
            await chat.join()
        return chat

    yield open_page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        folder = SCREENSHOTS / "failures"
        folder.mkdir(parents=True, exist_ok=True)
        for index, chat in enumerate(pages):
            if not chat.page.is_closed():
                await chat.page.screenshot(path=folder / f"{request.node.name}-{index}.png")
    errors = [error for chat in pages for error in chat.page_errors]
    for chat in pages:
        await chat.close()
    assert errors == [], f"uncaught errors in the page: {errors}"
