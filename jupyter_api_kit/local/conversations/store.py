"""Conversations and their items, as SQLite state.

Items are kept as the Responses API stores them (messages with content parts, function calls and
outputs, file search calls, compactions), oldest first. A deleted conversation answers 404 but its
items stay, as the API says, so an `item_reference` to one still resolves.

Example:
    >>> conversation = create(store, {"topic": "moons"}, [{"id": "msg_1", "type": "message", "role": "user",
    ...                                                   "content": [{"type": "input_text", "text": "Hi"}]}])
    >>> conversation["object"], conversation["metadata"], [i["id"] for i in context(store, conversation["id"])]
    ('conversation', {'topic': 'moons'}, ['msg_1'])
"""

from __future__ import annotations

from jupyter_api_kit.local.core.db import dumps, loads
from jupyter_api_kit.local.core.errors import found
from jupyter_api_kit.local.core.ids import new_id, now
from jupyter_api_kit.local.core.paging import Cursor, keyed_page


def conversation_object(row) -> dict:
    """The API's `conversation` object for a `conversations` row.

    Example:
        >>> conversation_object({"id": "conv_1", "created_at": 1700000000, "metadata": '{"a": "b"}'})
        {'id': 'conv_1', 'object': 'conversation', 'created_at': 1700000000, 'metadata': {'a': 'b'}}
    """
    return {"id": row["id"], "object": "conversation", "created_at": row["created_at"],
            "metadata": loads(row["metadata"]) or {}}


def get(store, conversation_id: str, param: str = "conversation_id"):
    """The row of a conversation that exists and is not deleted, or a 404 naming `param`.

    Example:
        >>> get(store, "conv_missing")
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.NotFound: Conversation with id 'conv_missing' not found.
    """
    return found(store.one("SELECT * FROM conversations WHERE id = ? AND deleted_at IS NULL", (conversation_id,)),
                 f"Conversation with id '{conversation_id}' not found.", param)


def _insert_items(db, conversation_id: str, items: list[dict], response_id: str | None) -> list[dict]:
    """Add items in order; an item whose id the conversation already holds is not added twice."""
    added = []
    for item in items:
        cursor = db.execute("INSERT OR IGNORE INTO conversation_items (id, conversation_id, response_id, created_at, "
                            "item) VALUES (?, ?, ?, ?, ?)",
                            (item["id"], conversation_id, response_id, now(), dumps(item)))
        if cursor.rowcount:
            added.append(item)
    return added


def create(store, metadata: dict, items: list[dict]) -> dict:
    """A new conversation holding `items` (already checked and given ids).

    Example:
        >>> create(store, {}, [])["id"].startswith("conv_")
        True
    """
    conversation_id = new_id("conv_")
    with store.tx() as db:
        db.execute("INSERT INTO conversations (id, created_at, metadata) VALUES (?, ?, ?)",
                   (conversation_id, now(), dumps(metadata)))
        _insert_items(db, conversation_id, items, None)
    return conversation_object(get(store, conversation_id))


def update(store, conversation_id: str, metadata: dict) -> dict:
    """Replace a conversation's metadata.

    Example:
        >>> conversation = create(store, {"topic": "moons"}, [])
        >>> update(store, conversation["id"], {"topic": "rings"})["metadata"]
        {'topic': 'rings'}
    """
    get(store, conversation_id)
    store.execute("UPDATE conversations SET metadata = ? WHERE id = ?", (dumps(metadata), conversation_id))
    return conversation_object(get(store, conversation_id))


def delete(store, conversation_id: str) -> dict:
    """Delete a conversation (its items are kept, as the API documents).

    Example:
        >>> conversation = create(store, {}, [])
        >>> delete(store, conversation["id"])["deleted"], store.one("SELECT count(*) AS n FROM conversations")["n"]
        (True, 1)
    """
    get(store, conversation_id)
    store.execute("UPDATE conversations SET deleted_at = ? WHERE id = ?", (now(), conversation_id))
    return {"id": conversation_id, "object": "conversation.deleted", "deleted": True}


def add_items(store, conversation_id: str, items: list[dict], response_id: str | None = None) -> list[dict]:
    """Append items to a live conversation; returns those added (ids it already held are skipped).

    Example:
        >>> conversation = create(store, {}, [])
        >>> item = {"id": "msg_1", "type": "message", "role": "user", "content": []}
        >>> [len(add_items(store, conversation["id"], [item])) for _ in range(2)]
        [1, 0]
    """
    with store.tx() as db:
        live = db.execute("SELECT 1 FROM conversations WHERE id = ? AND deleted_at IS NULL", (conversation_id,))
        found(live.fetchone(), f"Conversation with id '{conversation_id}' not found.", "conversation_id")
        return _insert_items(db, conversation_id, items, response_id)


def items_page(store, conversation_id: str, cursor: Cursor, to_object) -> dict:
    """A cursor page of a conversation's items (`to_object` presents each stored item)."""
    get(store, conversation_id)
    return keyed_page(store, "conversation_items", "conversation_id = ?", (conversation_id,), cursor,
                      lambda row: to_object(loads(row["item"])))


def get_item(store, conversation_id: str, item_id: str) -> dict:
    """One stored item of a conversation, or a 404 naming `item_id`.

    Example:
        >>> conversation = create(store, {}, [])
        >>> get_item(store, conversation["id"], "msg_x")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.NotFound: Item with id 'msg_x' not found in conversation 'conv_...'.
    """
    get(store, conversation_id)
    row = found(store.one("SELECT item FROM conversation_items WHERE conversation_id = ? AND id = ?",
                          (conversation_id, item_id)),
                f"Item with id '{item_id}' not found in conversation '{conversation_id}'.", "item_id")
    return loads(row["item"])


def delete_item(store, conversation_id: str, item_id: str) -> dict:
    """Remove one item from a conversation; returns the conversation, as the API does."""
    get_item(store, conversation_id, item_id)
    store.execute("DELETE FROM conversation_items WHERE conversation_id = ? AND id = ?", (conversation_id, item_id))
    return conversation_object(get(store, conversation_id))


def context(store, conversation_id: str, param: str = "conversation_id") -> list[dict]:
    """Every item of a live conversation, oldest first: what a response in it reads before its input."""
    get(store, conversation_id, param)
    rows = store.all("SELECT item FROM conversation_items WHERE conversation_id = ? ORDER BY seq",
                     (conversation_id,))
    return [loads(row["item"]) for row in rows]


def find_item(store, item_id: str) -> dict | None:
    """The stored item with this id in any conversation (deleted ones too), or None.

    Example:
        >>> _ = create(store, {}, [{"id": "fc_9", "type": "function_call", "call_id": "c", "name": "f",
        ...                         "arguments": "{}"}])
        >>> find_item(store, "fc_9")["name"], find_item(store, "fc_none")
        ('f', None)
    """
    row = store.one("SELECT item FROM conversation_items WHERE id = ? ORDER BY seq DESC LIMIT 1", (item_id,))
    return loads(row["item"]) if row else None
