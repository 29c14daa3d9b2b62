"""The chat end to end: real gateway on loopback, embedded emulator, real WebSocket clients."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.exceptions import InvalidStatus

from chatserver.testing import ChatClient, of_type
from chatserver.testing.plugin import ClientFactory

pytestmark = pytest.mark.asyncio


async def test_message_reaches_every_member_of_the_room_once(
    chat_client: ClientFactory, chat_room: str
) -> None:
    """Each member, the sender included, receives a stored message exactly once."""
    members = [await chat_client(name, chat_room) for name in ("alice", "bob", "carol")]
    sent = await members[0].say("hello everyone")
    for member in members[1:]:
        await member.expect(of_type("message", messageId=sent["messageId"]))
    await asyncio.sleep(0.5)
    for member in members:
        copies = member.matching(of_type("message", messageId=sent["messageId"]))
        assert len(copies) == 1


async def test_message_frame_has_the_protocol_fields(
    chat_client: ClientFactory, chat_room: str
) -> None:
    """A message frame carries room, ids, sender, text and an ISO-8601 ms UTC sentAt."""
    alice = await chat_client("alice", chat_room)
    frame = await alice.say("fields")
    assert set(frame) == {
        "type", "room", "messageId", "clientMessageId", "sender", "text", "sentAt"
    }  # fmt: skip
    assert (frame["room"], frame["sender"], frame["text"]) == (chat_room, "alice", "fields")
    assert len(frame["sentAt"]) == 24
    assert frame["sentAt"].endswith("Z")


async def test_rooms_are_isolated(chat_client: ClientFactory, chat_room: str) -> None:
    """Members of another room receive nothing of this room's messages or presence."""
    outsider = await chat_client("dave", chat_room + "-other")
    await outsider.expect(of_type("presence", user="dave"))
    alice = await chat_client("alice", chat_room)
    await alice.say("only for this room")
    await asyncio.sleep(0.5)
    assert [f for f in outsider.frames if f.get("room") == chat_room] == []


async def test_several_users_in_two_rooms(chat_client: ClientFactory, chat_room: str) -> None:
    """Messages sent concurrently in two rooms reach exactly their own rooms, all of them."""
    rooms = {chat_room + "-a": ["a1", "a2", "a3"], chat_room + "-b": ["b1", "b2"]}
    clients = {
        room: [await chat_client(name, room) for name in names] for room, names in rooms.items()
    }
    sends = [
        client.send_message(f"{client.name} says {i}")
        for room_clients in clients.values()
        for client in room_clients
        for i in range(3)
    ]
    await asyncio.gather(*sends)
    for room, room_clients in clients.items():
        expected = 3 * len(room_clients)
        for client in room_clients:
            got = await client.collect(of_type("message", room=room), expected, timeout=20)
            assert len({frame["messageId"] for frame in got}) == expected
    await asyncio.sleep(0.5)
    for room, room_clients in clients.items():
        for client in room_clients:
            messages = client.matching(of_type("message"))
            assert {frame["room"] for frame in messages} == {room}
            assert len(messages) == 3 * len(room_clients)


async def test_message_ids_follow_store_order(chat_client: ClientFactory, chat_room: str) -> None:
    """Messages sent one after another get increasing ids."""
    alice = await chat_client("alice", chat_room)
    ids = [(await alice.say(f"m{i}"))["messageId"] for i in range(5)]
    assert ids == sorted(ids)
    assert len(set(ids)) == 5


async def test_retry_with_same_client_message_id_is_stored_and_delivered_once(
    chat_client: ClientFactory, chat_room: str
) -> None:
    """A sendMessage repeated with its clientMessageId is neither stored nor delivered twice."""
    alice = await chat_client("alice", chat_room)
    bob = await chat_client("bob", chat_room)
    for _ in range(3):
        await alice.send_message("only once", client_message_id="retry-1")
    await bob.expect(of_type("message", clientMessageId="retry-1"))
    await asyncio.sleep(0.8)
    assert len(bob.matching(of_type("message", clientMessageId="retry-1"))) == 1
    history = await alice.history()
    assert [m["clientMessageId"] for m in history["messages"]] == ["retry-1"]


async def test_history_pages_back_without_gaps_or_overlap(
    chat_client: ClientFactory, chat_room: str
) -> None:
    """getHistory pages through every message, oldest first, with hasMore until the start."""
    alice = await chat_client("alice", chat_room)
    sent = [(await alice.say(f"h{i}"))["messageId"] for i in range(7)]
    pages: list[list[str]] = []
    before = None
    while True:
        page = await alice.history(limit=3, before=before)
        ids = [message["messageId"] for message in page["messages"]]
        pages.insert(0, ids)
        if not page["hasMore"]:
            break
        before = ids[0]
    assert [i for page in pages for i in page] == sent
    assert [len(page) for page in pages] == [1, 3, 3]


async def test_history_defaults_to_newest_messages(
    chat_client: ClientFactory, chat_room: str
) -> None:
    """getHistory with a limit returns the newest messages, oldest first."""
    alice = await chat_client("alice", chat_room)
    texts = [(await alice.say(f"n{i}"))["text"] for i in range(4)]
    page = await alice.history(limit=2)
    assert [m["text"] for m in page["messages"]] == texts[-2:]
    assert page["hasMore"] is True
    assert page["room"] == chat_room


async def test_presence_announces_join_and_leave(
    chat_client: ClientFactory, chat_room: str
) -> None:
    """Members are told who came online and who went offline, with the online list."""
    alice = await chat_client("alice", chat_room)
    bob = await chat_client("bob", chat_room)
    joined = await alice.expect(of_type("presence", user="bob", status="online"))
    assert joined["online"] == ["alice", "bob"]
    await bob.close()
    left = await alice.expect(of_type("presence", user="bob", status="offline"))
    assert left["online"] == ["alice"]


async def test_two_connections_of_one_user_show_once(
    chat_client: ClientFactory, chat_room: str
) -> None:
    """A user with two connections is online once, and offline only when the last closes."""
    watcher = await chat_client("watcher", chat_room)
    first = await chat_client("erin", chat_room)
    second = await chat_client("erin", chat_room)
    await watcher.expect(of_type("presence", user="erin", status="online"))
    presence = await watcher.presence()
    assert presence["online"] == ["erin", "watcher"]
    await first.close()
    await asyncio.sleep(0.6)
    assert watcher.matching(of_type("presence", user="erin", status="offline")) == []
    await second.close()
    await watcher.expect(of_type("presence", user="erin", status="offline"))
    assert len(watcher.matching(of_type("presence", user="erin", status="online"))) == 1


async def test_get_presence_lists_online_users_only(
    chat_client: ClientFactory, chat_room: str
) -> None:
    """The answer to getPresence has the online list and no user/status."""
    alice = await chat_client("alice", chat_room)
    await chat_client("bob", chat_room)
    answer = await alice.presence()
    assert answer == {"type": "presence", "room": chat_room, "online": ["alice", "bob"]}


async def test_whoami_answers_identity(chat_client: ClientFactory, chat_room: str) -> None:
    """whoami returns the connection id, user and room."""
    alice = await chat_client("alice", chat_room)
    answer = await alice.whoami()
    assert (answer["user"], answer["room"]) == ("alice", chat_room)
    assert len(answer["connectionId"]) == 16


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("this is not json", "InvalidJson"),
        ('{"action": "dance"}', "UnknownAction"),
        ('{"text": "no action"}', "InvalidMessage"),
        ("[1, 2, 3]", "InvalidMessage"),
        ('{"action": "sendMessage"}', "InvalidMessage"),
        ('{"action": "sendMessage", "text": 42}', "InvalidMessage"),
        ('{"action": "getHistory", "limit": 500}', "InvalidMessage"),
        ('{"action": "getHistory", "before": 3}', "InvalidMessage"),
    ],
)
async def test_bad_frames_get_error_frames_and_keep_the_connection(
    chat_client: ClientFactory, chat_room: str, frame: str, code: str
) -> None:
    """Each bad frame is answered with an error frame naming the problem; the socket stays."""
    alice = await chat_client("alice", chat_room)
    await alice.send(frame)
    error = await alice.expect(of_type("error"))
    assert error["code"] == code
    assert error["message"]
    assert (await alice.whoami())["user"] == "alice"


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"name": ""},
        {"name": "x" * 33},
        {"name": "<script>"},
        {"name": "ok", "room": "bad room"},
        {"name": "ok", "room": "r" * 65},
    ],
)
async def test_invalid_name_or_room_refuses_the_handshake(chat_stack, query) -> None:  # type: ignore[no-untyped-def]
    """A missing or invalid name or room refuses the handshake with HTTP 400."""
    with pytest.raises(InvalidStatus) as refused:
        await ChatClient.connect(chat_stack.ws_url, None, params=query)
    assert refused.value.response.status_code == 400
    body = json.loads(refused.value.response.body)
    assert body["type"] == "error"
    assert body["code"] == "InvalidConnectRequest"


async def test_unknown_path_refuses_the_handshake(chat_stack) -> None:  # type: ignore[no-untyped-def]
    """A WebSocket handshake on a path other than the stage is refused with 403."""
    with pytest.raises(InvalidStatus) as refused:
        await ChatClient.connect(chat_stack.http_url.replace("http", "ws") + "/prod", "alice")
    assert refused.value.response.status_code == 403
