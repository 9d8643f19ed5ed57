"""Stored responses: the response object, its input and output items, and the conversation a
`previous_response_id` chain stands for.

Example:
    >>> save(store, {"id": "resp_1", "created_at": 1, "status": "completed", "output": []}, {},
    ...      [{"id": "msg_1", "type": "message", "role": "user", "content": []}])
    >>> load(store, "resp_1")["status"], len(input_items(store, "resp_1"))
    ('completed', 1)
"""

from __future__ import annotations

from jupyter_api_kit.local.core.db import dumps, loads
from jupyter_api_kit.local.core.errors import BadRequest, found

TERMINAL = ("completed", "failed", "cancelled", "incomplete")
MAX_CHAIN = 1000


def save(store, response: dict, request: dict, inputs: list[dict]) -> None:
    """Insert a new response with its input items (output items are written by `update`)."""
    with store.tx() as db:
        db.execute("INSERT INTO responses (id, created_at, status, previous_response_id, stored, response, request) "
                   "VALUES (?, ?, ?, ?, 1, ?, ?)",
                   (response["id"], int(response["created_at"]), response["status"],
                    response.get("previous_response_id"), dumps(response), dumps(request)))
        db.executemany("INSERT INTO response_items (id, response_id, kind, position, item) "
                       "VALUES (?, ?, 'input', ?, ?)",
                       [(item["id"], response["id"], i, dumps(item)) for i, item in enumerate(inputs)])
        _write_outputs(db, response)


def _write_outputs(db, response: dict) -> None:
    db.execute("DELETE FROM response_items WHERE response_id = ? AND kind = 'output'", (response["id"],))
    outputs = response.get("output") or []
    db.executemany("INSERT INTO response_items (id, response_id, kind, position, item) VALUES (?, ?, 'output', ?, ?)",
                   [(item["id"], response["id"], i, dumps(item)) for i, item in enumerate(outputs)])


def update(store, response: dict, *, unless_cancelled: bool = True) -> bool:
    """Write a response's new state and outputs; a response already cancelled keeps that state."""
    with store.tx() as db:
        guard = " AND status != 'cancelled'" if unless_cancelled else ""
        changed = db.execute(f"UPDATE responses SET status = ?, response = ? WHERE id = ?{guard}",
                             (response["status"], dumps(response), response["id"])).rowcount
        if changed:
            _write_outputs(db, response)
        return bool(changed)


def fail_unfinished(store, error: dict) -> int:
    """Responses still queued or in progress become `failed` with `error` (a server that stopped left
    them so); returns how many.

    Example:
        >>> save(store, {"id": "resp_1", "created_at": 1, "status": "queued", "output": []}, {}, [])
        >>> fail_unfinished(store, {"code": "server_error", "message": "stopped"})
        1
        >>> load(store, "resp_1")["status"], load(store, "resp_1")["error"]["message"]
        ('failed', 'stopped')
    """
    rows = store.all("SELECT response FROM responses WHERE status IN ('queued', 'in_progress')")
    for row in rows:
        update(store, {**loads(row["response"]), "status": "failed", "error": error})
    return len(rows)


def load(store, response_id: str) -> dict:
    """A stored response object, or a 404 naming `response_id`.

    Example:
        >>> save(store, {"id": "resp_1", "created_at": 1, "status": "completed", "output": []}, {},
        ...      [{"id": "msg_1", "type": "message", "role": "user", "content": []}])
        >>> load(store, "resp_1")["status"]
        'completed'
        >>> load(store, "resp_2")
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.NotFound: Response with id 'resp_2' not found.
    """
    row = found(store.one("SELECT response FROM responses WHERE id = ?", (response_id,)),
                f"Response with id '{response_id}' not found.", "response_id")
    return loads(row["response"])


def delete(store, response_id: str) -> None:
    """Delete a stored response and its items, or a 404 if there is none.

    Example:
        >>> save(store, {"id": "resp_1", "created_at": 1, "status": "completed", "output": []}, {},
        ...      [{"id": "msg_1", "type": "message", "role": "user", "content": []}])
        >>> delete(store, "resp_1")
        >>> input_items(store, "resp_1")
        []
    """
    found(store.execute("DELETE FROM responses WHERE id = ?", (response_id,)),
          f"Response with id '{response_id}' not found.", "response_id")


def input_items(store, response_id: str) -> list[dict]:
    """A stored response's own input items, in the order they were given (not those inherited
    through `previous_response_id`).

    Example:
        >>> save(store, {"id": "resp_1", "created_at": 1, "status": "completed", "output": []}, {},
        ...      [{"id": "msg_1", "type": "message", "role": "user", "content": []}])
        >>> [item["id"] for item in input_items(store, "resp_1")]
        ['msg_1']
    """
    rows = store.all("SELECT item FROM response_items WHERE response_id = ? AND kind = 'input' ORDER BY position",
                     (response_id,))
    return [loads(r["item"]) for r in rows]


def history(store, previous_response_id: str | None) -> list[dict]:
    """Every item of the conversation up to and including `previous_response_id`'s output, oldest
    first (each response's input, then its output)."""
    chain, current = [], previous_response_id
    while current:
        row = found(store.one("SELECT status, request FROM responses WHERE id = ?", (current,)),
                    f"Previous response with id '{current}' not found.", "previous_response_id")
        if row["status"] not in TERMINAL:
            raise BadRequest(f"Previous response '{current}' is still {row['status']}; wait until it completes.",
                             param="previous_response_id")
        chain.append(current)
        if len(chain) > MAX_CHAIN:
            raise BadRequest("The previous_response_id chain is too long.", param="previous_response_id")
        current = (loads(row["request"]) or {}).get("previous_response_id")
    items = []
    for rid in reversed(chain):
        rows = store.all("SELECT item FROM response_items WHERE response_id = ? ORDER BY kind = 'output', position",
                         (rid,))
        items.extend(loads(r["item"]) for r in rows)
    return items


def items_page(store, response_id: str, cursor) -> dict:
    """A cursor page of a response's input items."""
    from jupyter_api_kit.local.responses.request import public_item
    from jupyter_api_kit.local.core.paging import keyed_page

    load(store, response_id)
    return keyed_page(store, "response_items", "response_id = ? AND kind = 'input'", (response_id,), cursor,
                      lambda r: public_item(loads(r["item"])))
