"""The messages table's guarantees, against the embedded emulator's DynamoDB."""

from __future__ import annotations

import pytest

from chatserver.aws.dynamo import to_item
from chatserver.aws.messages import MessageStore
from chatserver.testing import ChatStack


@pytest.fixture
def store(chat_stack: ChatStack) -> MessageStore:
    return MessageStore(chat_stack.client("dynamodb"), chat_stack.names.messages_table)


def test_retry_returns_the_first_message(store: MessageStore, chat_room: str) -> None:
    """A second append with the same clientMessageId returns the first message, not created."""
    first = store.append(room=chat_room, sender="alice", text="once", client_message_id="c1")
    again = store.append(room=chat_room, sender="alice", text="twice", client_message_id="c1")
    assert first.created
    assert not again.created
    assert again.message == first.message
    messages, _ = store.history(chat_room, limit=10, before=None)
    assert [m["text"] for m in messages] == ["once"]


def test_same_client_id_of_another_sender_is_another_message(
    store: MessageStore, chat_room: str
) -> None:
    """clientMessageIds are scoped to their sender."""
    store.append(room=chat_room, sender="alice", text="a", client_message_id="c1")
    bob = store.append(room=chat_room, sender="bob", text="b", client_message_id="c1")
    assert bob.created
    assert len(store.history(chat_room, limit=10, before=None)[0]) == 2


def test_claimed_but_unwritten_message_is_written_by_the_retry(
    chat_stack: ChatStack, store: MessageStore, chat_room: str
) -> None:
    """If an attempt died after claiming its clientMessageId, the retry stores its message."""
    lost = {
        "room": chat_room,
        "messageId": "000000000007",
        "clientMessageId": "c9",
        "sender": "alice",
        "text": "almost lost",
        "sentAt": "2026-11-24T21:14:00.453Z",
    }
    chat_stack.client("dynamodb").put_item(
        TableName=chat_stack.names.messages_table,
        Item=to_item({"room": f"{chat_room}#client", "messageId": "alice:c9", "message": lost}),
    )
    retried = store.append(room=chat_room, sender="alice", text="retry", client_message_id="c9")
    assert retried.created
    assert retried.message["text"] == "almost lost"
    messages, _ = store.history(chat_room, limit=10, before=None)
    assert [m["messageId"] for m in messages] == ["000000000007"]


def test_ids_increase_in_store_order(store: MessageStore, chat_room: str) -> None:
    """Each append gets a larger id than the one before."""
    ids = [
        store.append(room=chat_room, sender="a", text=str(i), client_message_id=None).message[
            "messageId"
        ]
        for i in range(5)
    ]
    assert ids == sorted(ids)
    assert len(set(ids)) == 5


def test_concurrent_retries_create_the_message_once(store: MessageStore, chat_room: str) -> None:
    """Of several concurrent appends with one clientMessageId, exactly one reports created."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(
            pool.map(
                lambda _: store.append(
                    room=chat_room, sender="alice", text="race", client_message_id="race-1"
                ),
                range(6),
            )
        )
    assert sum(result.created for result in results) == 1
    assert len({result.message["messageId"] for result in results}) == 1
    messages, _ = store.history(chat_room, limit=10, before=None)
    assert [m["text"] for m in messages] == ["race"]
