"""Stored chat completions in SQLite: save, fetch, filter, update metadata, delete, messages.

Example:
    >>> from jupyter_api_kit.local.store import Store
    >>> store = Store(":memory:")
    >>> save(store, {"id": "chatcmpl-1", "created": 1, "model": "m", "choices": []},
    ...      {"messages": [{"role": "user", "content": "Hi"}]}, {"topic": "demo"})
    >>> fetch(store, "chatcmpl-1")["metadata"]
    {'topic': 'demo'}
"""

from __future__ import annotations

from jupyter_api_kit.local.errors import NotFound
from jupyter_api_kit.local.paging import Cursor, page
from jupyter_api_kit.local.store import dumps, loads


def save(store, completion: dict, request: dict, metadata: dict | None) -> None:
    with store.tx() as db:
        db.execute("INSERT INTO chat_completions (id, created, model, response, request, metadata) "
                   "VALUES (?, ?, ?, ?, ?, ?)",
                   (completion["id"], completion["created"], completion["model"], dumps(completion),
                    dumps(request), dumps(metadata or {})))
        for position, message in enumerate(request.get("messages") or []):
            db.execute("INSERT INTO chat_completion_messages (id, completion_id, position, message) "
                       "VALUES (?, ?, ?, ?)",
                       (f"{completion['id']}-{position}", completion["id"], position, dumps(message)))


def _object(row) -> dict:
    body = loads(row["response"])
    body["metadata"] = loads(row["metadata"])
    return body


def fetch(store, completion_id: str) -> dict:
    row = store.one("SELECT response, metadata FROM chat_completions WHERE id = ?", (completion_id,))
    if row is None:
        raise NotFound(f"No chat completion found with id '{completion_id}'.", param="completion_id")
    return _object(row)


def set_metadata(store, completion_id: str, metadata: dict) -> dict:
    if store.execute("UPDATE chat_completions SET metadata = ? WHERE id = ?", (dumps(metadata), completion_id)) == 0:
        raise NotFound(f"No chat completion found with id '{completion_id}'.", param="completion_id")
    return fetch(store, completion_id)


def delete(store, completion_id: str) -> None:
    if store.execute("DELETE FROM chat_completions WHERE id = ?", (completion_id,)) == 0:
        raise NotFound(f"No chat completion found with id '{completion_id}'.", param="completion_id")


def list_page(store, cursor: Cursor, model: str | None, metadata: dict) -> dict:
    where, params = ["1"], []
    if model:
        where.append("model = ?")
        params.append(model)
    for key, value in metadata.items():
        # json_each rather than a JSON path: a key may hold any character, quotes and dots included.
        where.append("EXISTS (SELECT 1 FROM json_each(chat_completions.metadata) AS m WHERE m.key = ? AND m.value = ?)")
        params.extend([key, value])
    return page(store, "chat_completions", cursor, _object, where=" AND ".join(where), params=params,
                columns="id, seq, response, metadata")


def messages_page(store, completion_id: str, cursor: Cursor) -> dict:
    fetch(store, completion_id)  # 404 for an unknown completion

    def to_object(row):
        message = loads(row["message"])
        content = message.get("content")
        return {"id": row["id"], "role": message.get("role"),
                "content": content if isinstance(content, str) or content is None else
                "\n".join(p.get("text", "") for p in content if isinstance(p, dict)),
                "refusal": None, "annotations": [],
                "content_parts": content if isinstance(content, list) else None,
                **({"name": message["name"]} if isinstance(message.get("name"), str) else {})}

    return page(store, "chat_completion_messages", cursor, to_object, where="completion_id = ?",
                params=(completion_id,))
