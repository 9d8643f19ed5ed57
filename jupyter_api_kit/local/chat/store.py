"""Stored chat completions in SQLite: save, fetch, filter (a page, or every match for an eval run),
update metadata, delete, messages.

Example:
    >>> save(store, {"id": "chatcmpl-1", "created": 1, "model": "m", "choices": []},
    ...      {"messages": [{"role": "user", "content": "Hi"}]}, {"topic": "demo"})
    >>> fetch(store, "chatcmpl-1")["metadata"]
    {'topic': 'demo'}
"""

from __future__ import annotations

from jupyter_api_kit.local.core.db import dumps, loads
from jupyter_api_kit.local.core.errors import found
from jupyter_api_kit.local.core.paging import Cursor, page


def save(store, completion: dict, request: dict, metadata: dict | None) -> None:
    """Store a completion made with `store=True`: the completion, the request (whose messages become
    the completion's message list) and its metadata, in one transaction.

    Example:
        >>> completion = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1700000000,
        ...               "model": "local-ngram", "choices": []}
        >>> save(store, completion, {"messages": [{"role": "user", "content": "Hi"}]}, {"topic": "demo"})
        >>> fetch(store, "chatcmpl-1")["metadata"]
        {'topic': 'demo'}
    """
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
    """A stored completion with its current metadata, or a 404 naming `completion_id`.

    Example:
        >>> completion = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1700000000,
        ...               "model": "local-ngram", "choices": []}
        >>> save(store, completion, {"messages": [{"role": "user", "content": "Hi"}]}, {"topic": "demo"})
        >>> fetch(store, "chatcmpl-1")["model"]
        'local-ngram'
        >>> fetch(store, "chatcmpl-2")
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.NotFound: No chat completion found with id 'chatcmpl-2'.
    """
    row = found(store.one("SELECT response, metadata FROM chat_completions WHERE id = ?", (completion_id,)),
                f"No chat completion found with id '{completion_id}'.", "completion_id")
    return _object(row)


def set_metadata(store, completion_id: str, metadata: dict) -> dict:
    """Replace a stored completion's metadata (already checked by the caller); returns the completion.

    Example:
        >>> completion = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1700000000,
        ...               "model": "local-ngram", "choices": []}
        >>> save(store, completion, {"messages": [{"role": "user", "content": "Hi"}]}, {"topic": "demo"})
        >>> set_metadata(store, "chatcmpl-1", {"topic": "space"})["metadata"]
        {'topic': 'space'}
    """
    found(store.execute("UPDATE chat_completions SET metadata = ? WHERE id = ?", (dumps(metadata), completion_id)),
          f"No chat completion found with id '{completion_id}'.", "completion_id")
    return fetch(store, completion_id)


def delete(store, completion_id: str) -> None:
    """Delete a stored completion and its messages, or a 404 if there is none.

    Example:
        >>> completion = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1700000000,
        ...               "model": "local-ngram", "choices": []}
        >>> save(store, completion, {"messages": [{"role": "user", "content": "Hi"}]}, {"topic": "demo"})
        >>> delete(store, "chatcmpl-1")
        >>> store.one("SELECT count(*) AS n FROM chat_completion_messages")["n"]
        0
    """
    found(store.execute("DELETE FROM chat_completions WHERE id = ?", (completion_id,)),
          f"No chat completion found with id '{completion_id}'.", "completion_id")


def list_page(store, cursor: Cursor, model: str | None, metadata: dict) -> dict:
    """One page of stored completions, optionally only of `model` and with every `metadata` pair.

    Example:
        >>> completion = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1700000000,
        ...               "model": "local-ngram", "choices": []}
        >>> save(store, completion, {"messages": [{"role": "user", "content": "Hi"}]}, {"topic": "demo"})
        >>> from jupyter_api_kit.local.core.paging import Cursor
        >>> [c["id"] for c in list_page(store, Cursor(), "local-ngram", {"topic": "demo"})["data"]]
        ['chatcmpl-1']
        >>> list_page(store, Cursor(), None, {"topic": "other"})["data"]
        []
    """
    where, params = _filters(model, metadata)
    return page(store, "chat_completions", cursor, _object, where=" AND ".join(where), params=params,
                columns="id, seq, response, metadata")


def _filters(model: str | None, metadata: dict) -> tuple[list[str], list]:
    where, params = ["1"], []
    if model:
        where.append("model = ?")
        params.append(model)
    for key, value in metadata.items():
        # json_each rather than a JSON path: a key may hold any character, quotes and dots included.
        where.append("EXISTS (SELECT 1 FROM json_each(chat_completions.metadata) AS m WHERE m.key = ? AND m.value = ?)")
        params.extend([key, value])
    return where, params


def matching(store, model: str | None, metadata: dict, created_after: int | None = None,
             created_before: int | None = None, limit: int | None = None) -> list[dict]:
    """The stored completions of `model` with every `metadata` pair, created in [created_after,
    created_before), oldest first; with `limit`, the most recent `limit` of them. Each is
    `{"completion": ..., "request": ..., "metadata": ...}`.

    Example:
        >>> for n in (1, 2, 3):
        ...     save(store, {"id": f"chatcmpl-{n}", "created": 1700000000 + n, "model": "local-ngram",
        ...                  "choices": []}, {"messages": []}, {"topic": "demo" if n > 1 else "other"})
        >>> [c["completion"]["id"] for c in matching(store, None, {"topic": "demo"})]
        ['chatcmpl-2', 'chatcmpl-3']
        >>> [c["completion"]["id"] for c in matching(store, "local-ngram", {}, created_before=1700000003, limit=1)]
        ['chatcmpl-2']
    """
    where, params = _filters(model, metadata)
    if created_after is not None:
        where.append("created >= ?")
        params.append(created_after)
    if created_before is not None:
        where.append("created < ?")
        params.append(created_before)
    rows = store.all(f"SELECT response, request, metadata FROM chat_completions WHERE {' AND '.join(where)} "
                     "ORDER BY created DESC, seq DESC LIMIT ?", (*params, -1 if limit is None else limit))
    return [{"completion": loads(r["response"]), "request": loads(r["request"]), "metadata": loads(r["metadata"])}
            for r in reversed(rows)]


def messages_page(store, completion_id: str, cursor: Cursor) -> dict:
    """One page of the messages a stored completion was made from (text parts joined into
    `content`; the parts themselves in `content_parts`), or a 404 for an unknown completion.

    Example:
        >>> completion = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1700000000,
        ...               "model": "local-ngram", "choices": []}
        >>> save(store, completion, {"messages": [{"role": "user", "content": "Hi"}]}, {"topic": "demo"})
        >>> from jupyter_api_kit.local.core.paging import Cursor
        >>> [(m["role"], m["content"]) for m in messages_page(store, "chatcmpl-1", Cursor(order="asc"))["data"]]
        [('user', 'Hi')]
    """
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
