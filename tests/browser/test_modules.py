"""The frontend's pure modules, imported and run in Chromium itself (no Node, no build)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from chatserver.chat.requests import validate_name, validate_room
from chatserver.errors import InvalidConnectRequest
from chatserver.handlers.authorizer import issue_token
from chatserver.testing import ChatStack

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture(scope="module")
async def module_page(chromium: Any, chat_stack: ChatStack) -> AsyncIterator[Any]:
    """A page at the frontend's origin, from which its modules can be imported."""
    context = await chromium.new_context()
    page = await context.new_page()
    await page.goto(f"{chat_stack.http_url}/config.json")
    yield page
    await context.close()


async def run(page: Any, module: str, body: str, arg: Any = None) -> Any:
    """Evaluate ``body`` (an expression using ``m``, the imported module, and ``arg``)."""
    return await page.evaluate(
        f"async (arg) => {{ const m = await import('/{module}'); return ({body}); }}", arg
    )


def message(message_id: str, text: str = "t", sender: str = "bob", **extra: Any) -> dict[str, Any]:
    return {
        "type": "message",
        "room": "r",
        "messageId": message_id,
        "clientMessageId": None,
        "sender": sender,
        "text": text,
        "sentAt": f"2026-11-24T10:00:00.{message_id[-3:]}Z",
        **extra,
    }


async def test_history_comparison_verdicts(module_page: Any) -> None:
    """A page holding the known message is continuous, newer-only is a gap, else a reset."""
    known = {**message("000000000005"), "epoch": 0}
    pages = {
        "same": {"messages": [message("000000000004"), message("000000000005")], "hasMore": True},
        "newer": {"messages": [message("000000000060")], "hasMore": True},
        "empty": {"messages": [], "hasMore": False},
        "changed": {"messages": [message("000000000005", text="other")], "hasMore": False},
        "older only": {"messages": [message("000000000002")], "hasMore": False},
        "newer, no more": {"messages": [message("000000000060")], "hasMore": False},
    }
    verdicts = await run(
        module_page,
        "timeline.mjs",
        "Object.fromEntries(Object.entries(arg.pages)"
        "  .map(([k, p]) => [k, m.compareHistory(arg.known, p)]))",
        {"known": known, "pages": pages},
    )
    assert verdicts == {
        "same": "continuous",
        "newer": "gap",
        "empty": "reset",
        "changed": "reset",
        "older only": "reset",
        "newer, no more": "reset",
    }


async def test_timeline_orders_by_id_and_ignores_repeats(module_page: Any) -> None:
    """Messages arriving out of order are placed by id; a repeated id is not added again."""
    ids = await run(
        module_page,
        "timeline.mjs",
        """(() => {
          const t = new m.Timeline("alice");
          const added = arg.map((f) => t.addStored(f) !== null);
          return {added, order: t.entries().map((e) => e.messageId)};
        })()""",
        [
            message("000000000003"),
            message("000000000001"),
            message("000000000003"),
            message("000000000002"),
        ],
    )
    assert ids == {
        "added": [True, True, False, True],
        "order": ["000000000001", "000000000002", "000000000003"],
    }


async def test_timeline_replaces_a_pending_message_by_its_stored_copy(module_page: Any) -> None:
    """The server's copy with the pending message's clientMessageId takes its place."""
    result = await run(
        module_page,
        "timeline.mjs",
        """(() => {
          const t = new m.Timeline("alice");
          const pending = t.addPending("hello", "cmid-1");
          const before = t.entries().map((e) => e.pending);
          t.addStored({...arg, clientMessageId: "cmid-1", sender: "alice", text: "hello"});
          return {before, after: t.entries().map((e) => [e.pending, e.clientMessageId])};
        })()""",
        message("000000000009"),
    )
    assert result == {"before": [True], "after": [[False, "cmid-1"]]}


async def test_another_users_message_never_confirms_a_pending_one(module_page: Any) -> None:
    """Only the user's own stored message can replace their pending one."""
    pending = await run(
        module_page,
        "timeline.mjs",
        """(() => {
          const t = new m.Timeline("alice");
          t.addPending("hello", "same-id");
          t.addStored({...arg, clientMessageId: "same-id", sender: "mallory"});
          return t.pending.length;
        })()""",
        message("000000000009"),
    )
    assert pending == 1


async def test_a_restart_keeps_ids_of_epochs_apart(module_page: Any) -> None:
    """After the history restarted, a reused message id is a new message, shown after the old."""
    order = await run(
        module_page,
        "timeline.mjs",
        """(() => {
          const t = new m.Timeline("alice");
          t.addStored({...arg, text: "old"});
          t.restart({keepShown: true});
          const added = t.addStored({...arg, text: "new"}) !== null;
          return [added, t.entries().map((e) => `${e.epoch}:${e.text}`)];
        })()""",
        message("000000000001"),
    )
    assert order == [True, ["0:old", "1:new"]]


async def test_links_are_only_http_and_https(module_page: Any) -> None:
    """textRuns makes links of http(s) URLs only, without trailing punctuation."""
    runs = await run(
        module_page,
        "format.mjs",
        "m.textRuns(arg)",
        "see https://a.example/x?y=1, or (http://b.example). javascript:alert(1) data:text/html,x",
    )
    assert runs == [
        {"text": "see "},
        {"text": "https://a.example/x?y=1", "href": "https://a.example/x?y=1"},
        {"text": ", or ("},
        {"text": "http://b.example", "href": "http://b.example/"},
        {"text": "). javascript:alert(1) data:text/html,x"},
    ]


NAMES = ["alice", "Ada Lovelace", "Zoë", "李小龙", "a.b_c-d", "x" * 32, "x" * 33, "", " bob",
         "bob ", "bob!", "<b>", "tab\there", "café☕", "Ω"]  # fmt: skip
ROOMS = ["general", "room-1_A", "a" * 64, "a" * 65, "", "my room", "é", "dots.no"]


async def test_join_form_rules_match_the_server(module_page: Any) -> None:
    """The page refuses exactly the names and rooms the server's handshake refuses."""
    page_ok = await run(
        module_page,
        "validation.mjs",
        "[arg.names.map((n) => m.nameProblem(n) === null),"
        " arg.rooms.map((r) => m.roomProblem(r) === null)]",
        {"names": NAMES, "rooms": ROOMS},
    )

    def accepted(check: Any, value: str) -> bool:
        try:
            check(value)
        except InvalidConnectRequest:
            return False
        return True

    server_ok = [
        [accepted(validate_name, n) for n in NAMES],
        [accepted(validate_room, r) for r in ROOMS],
    ]
    assert page_ok == server_ok


async def test_message_text_rules(module_page: Any) -> None:
    """Blank text is refused; 4000 code points pass, 4001 do not (emoji count as one)."""
    problems = await run(
        module_page,
        "validation.mjs",
        "arg.map((t) => m.textProblem(m.messageText(t)) === null)",
        ["  \n ", "ok", "😀" * 4000, "😀" * 4001, "\n\nindented\n  code  \n"],
    )
    assert problems == [False, True, True, False, True]


async def test_backoff_grows_and_is_capped(module_page: Any) -> None:
    """Reconnect delays double from half a second up to ten seconds, jitter within half."""
    delays = await run(
        module_page,
        "connection.mjs",
        "[0, 1, 2, 3, 4, 5, 10].map((n) =>"
        " [m.backoffDelay(n, m.DEFAULTS, () => 0), m.backoffDelay(n, m.DEFAULTS, () => 1)])",
    )
    assert delays == [[250, 500], [500, 1000], [1000, 2000], [2000, 4000], [4000, 8000],
                      [5000, 10000], [5000, 10000]]  # fmt: skip


async def test_config_accepts_only_websocket_urls(module_page: Any) -> None:
    """config.json's websocketUrl is used only when it is a ws:// or wss:// URL."""
    urls = await run(
        module_page,
        "config.mjs",
        "arg.map((c) => m.websocketUrlFrom(c))",
        [
            {"websocketUrl": "wss://abc.execute-api.eu-west-1.amazonaws.com/prod"},
            {"websocketUrl": "wss://abc.example/prod/"},
            {"websocketUrl": "https://abc.example/prod"},
            {"websocketUrl": "javascript:alert(1)"},
            {"websocketURL": "wss://wrong-key.example"},
            None,
        ],
    )
    assert urls == [
        "wss://abc.execute-api.eu-west-1.amazonaws.com/prod",
        "wss://abc.example/prod",
        None,
        None,
        None,
        None,
    ]


async def test_connect_url_encodes_spaces_as_percent_20(module_page: Any) -> None:
    """Names with spaces and non-ASCII letters are percent-encoded in the query."""
    url = await run(
        module_page, "config.mjs", "m.connectUrl('wss://x.example/prod', 'Ada Lovelace', 'r-1')"
    )
    assert url == "wss://x.example/prod?name=Ada%20Lovelace&room=r-1"


async def test_connect_url_carries_the_token(module_page: Any) -> None:
    """With a token, the connect URL carries it as ?token= for the server's authorizer."""
    url = await run(module_page, "config.mjs", "m.connectUrl('ws://h/local', 'a', 'r', 'x.y+z')")
    assert url == "ws://h/local?name=a&room=r&token=x.y%2Bz"


async def test_name_from_token_reads_the_sub_claim(module_page: Any) -> None:
    """The page shows the token's sub as the name; a malformed token gives null."""
    token = issue_token("module-test-secret-0123456789abcdef", "Zoë Li")
    assert await run(module_page, "config.mjs", f"m.nameFromToken({token!r})") == "Zoë Li"
    assert await run(module_page, "config.mjs", "m.nameFromToken('garbage')") is None
