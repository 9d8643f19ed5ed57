"""Assistants, threads, messages, runs and run steps in SQLite: loading with 404s, saving, and the
message objects built from a request.

Every object is kept as the API object in a `body` column; these helpers are the only code that
reads or writes those tables, so the routes and the run engine agree on shapes.

Example:
    >>> thread = insert_thread(store, {})
    >>> msg = insert_message(store, thread["id"], parse_message({"role": "user", "content": "Hi"}))
    >>> msg["content"][0]["text"]["value"], message_text(msg)
    ('Hi', 'Hi')
    >>> get_message(store, thread["id"], msg["id"])["role"]
    'user'
"""

from __future__ import annotations

from jupyter_api_kit.local.core.db import dumps, loads
from jupyter_api_kit.local.core.errors import BadRequest, found
from jupyter_api_kit.local.core.ids import new_id, now
from jupyter_api_kit.local.core.params import Params, check_metadata, type_name
from jupyter_api_kit.spec import MESSAGE_ROLES

#: a run in one of these states holds its thread: no new message or run until it ends
ACTIVE_RUN_STATES = ("queued", "in_progress", "requires_action", "cancelling")
TERMINAL_RUN_STATES = ("completed", "failed", "cancelled", "expired", "incomplete")
ATTACHMENT_TOOLS = ("code_interpreter", "file_search")


# ---- reading ----------------------------------------------------------------------------------

def _load(store, sql: str, params) -> dict | None:
    row = store.one(sql, params)
    return None if row is None else loads(row["body"])


def get_assistant(store, assistant_id: str) -> dict:
    """An assistant object, or a 404 naming `assistant_id`.

    Example:
        >>> get_assistant(Store(":memory:"), "asst_missing")
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.NotFound: No assistant found with id 'asst_missing'.
    """
    return found(_load(store, "SELECT body FROM assistants WHERE id = ?", (assistant_id,)),
                 f"No assistant found with id '{assistant_id}'.", "assistant_id")


def get_thread(store, thread_id: str) -> dict:
    """A thread object, or a 404 naming `thread_id`.

    Example:
        >>> thread = insert_thread(store, {})
        >>> get_thread(store, thread["id"])["object"]
        'thread'
    """
    return found(_load(store, "SELECT body FROM threads WHERE id = ?", (thread_id,)),
                 f"No thread found with id '{thread_id}'.", "thread_id")


def get_message(store, thread_id: str, message_id: str) -> dict:
    """A message of a thread, or a 404 (for the thread, or for a message not in it).

    Example:
        >>> thread = insert_thread(store, {})
        >>> get_message(store, thread["id"], "msg_missing")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.NotFound: No message found with id 'msg_missing' in thread 'thread_...'.
    """
    get_thread(store, thread_id)
    # A message of another thread is as unknown here as a message that does not exist.
    message = _load(store, "SELECT body FROM thread_messages WHERE id = ? AND thread_id = ?",
                    (message_id, thread_id))
    return found(message, f"No message found with id '{message_id}' in thread '{thread_id}'.", "message_id")


def get_run(store, thread_id: str, run_id: str) -> dict:
    """A run of a thread, or a 404 (for the thread, or for a run not in it).

    Example:
        >>> thread = insert_thread(store, {})
        >>> get_run(store, thread["id"], "run_missing")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.NotFound: No run found with id 'run_missing' in thread 'thread_...'.
    """
    get_thread(store, thread_id)
    return found(_load(store, "SELECT body FROM thread_runs WHERE id = ? AND thread_id = ?", (run_id, thread_id)),
                 f"No run found with id '{run_id}' in thread '{thread_id}'.", "run_id")


def get_step(store, thread_id: str, run_id: str, step_id: str) -> dict:
    """A step of a run of a thread, or a 404 naming whichever of the three is missing.

    Example:
        >>> thread = insert_thread(store, {})
        >>> get_step(store, thread["id"], "run_missing", "step_1")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.NotFound: No run found with id 'run_missing' in thread 'thread_...'.
    """
    get_run(store, thread_id, run_id)
    return found(_load(store, "SELECT body FROM thread_run_steps WHERE id = ? AND run_id = ?", (step_id, run_id)),
                 f"No run step found with id '{step_id}' in run '{run_id}'.", "step_id")


def active_run(store, thread_id: str) -> str | None:
    """The id of the thread's run that is still going, if any."""
    row = store.one(f"SELECT id FROM thread_runs WHERE thread_id = ? AND status IN "
                    f"({', '.join('?' * len(ACTIVE_RUN_STATES))}) ORDER BY seq DESC LIMIT 1",
                    (thread_id, *ACTIVE_RUN_STATES))
    return None if row is None else row["id"]


def thread_messages(store, thread_id: str) -> list[dict]:
    """Every message of a thread, oldest first."""
    return [loads(r["body"]) for r in store.all("SELECT body FROM thread_messages WHERE thread_id = ? "
                                                "ORDER BY seq", (thread_id,))]


def run_steps(store, run_id: str) -> list[dict]:
    """Every step of a run, oldest first (an unknown run has none).

    Example:
        >>> run_steps(Store(":memory:"), "run_missing")
        []
    """
    return [loads(r["body"]) for r in store.all("SELECT body FROM thread_run_steps WHERE run_id = ? ORDER BY seq",
                                                (run_id,))]


# ---- writing ----------------------------------------------------------------------------------

def insert_thread(db_or_store, parsed: dict) -> dict:
    """A new thread from checked `metadata` / `tool_resources`."""
    thread = {"id": new_id("thread_"), "object": "thread", "created_at": now(),
              "metadata": parsed.get("metadata") or {}, "tool_resources": parsed.get("tool_resources") or {}}
    _execute(db_or_store, "INSERT INTO threads (id, created_at, body) VALUES (?, ?, ?)",
             (thread["id"], thread["created_at"], dumps(thread)))
    return thread


def new_message(thread_id: str, parsed: dict, *, role=None, run_id=None, assistant_id=None,
                status: str = "completed") -> dict:
    """A `thread.message` object (not yet stored)."""
    created = now()
    return {"id": new_id("msg_"), "object": "thread.message", "created_at": created, "thread_id": thread_id,
            "status": status, "incomplete_details": None,
            "completed_at": created if status == "completed" else None, "incomplete_at": None,
            "role": role or parsed["role"], "content": parsed.get("content", []),
            "assistant_id": assistant_id, "run_id": run_id, "attachments": parsed.get("attachments") or [],
            "metadata": parsed.get("metadata") or {}}


def insert_message(db_or_store, thread_id: str, parsed: dict, **kwargs) -> dict:
    """Build a message from a `parse_message` result (see `new_message` for the keywords) and store it
    in the thread; `db_or_store` is a Store or a connection inside an open transaction.

    Example:
        >>> thread = insert_thread(store, {})
        >>> msg = insert_message(store, thread["id"], parse_message({"role": "user", "content": "Hi"}))
        >>> [m["id"] for m in thread_messages(store, thread["id"])] == [msg["id"]]
        True
    """
    message = new_message(thread_id, parsed, **kwargs)
    _execute(db_or_store, "INSERT INTO thread_messages (id, thread_id, run_id, body) VALUES (?, ?, ?, ?)",
             (message["id"], thread_id, message["run_id"], dumps(message)))
    return message


def insert_assistant(store, assistant: dict) -> None:
    """Store a new assistant object."""
    store.execute("INSERT INTO assistants (id, created_at, body) VALUES (?, ?, ?)",
                  (assistant["id"], assistant["created_at"], dumps(assistant)))


def remove_assistant(store, assistant_id: str) -> None:
    """Delete an assistant (its threads and runs stay)."""
    store.execute("DELETE FROM assistants WHERE id = ?", (assistant_id,))


def remove_thread(store, thread_id: str) -> None:
    """Delete a thread; its messages, runs and run steps go with it."""
    store.execute("DELETE FROM threads WHERE id = ?", (thread_id,))


def remove_message(store, thread_id: str, message_id: str) -> None:
    """Delete one message of a thread."""
    store.execute("DELETE FROM thread_messages WHERE id = ? AND thread_id = ?", (message_id, thread_id))


def insert_run(db, run: dict, principal: dict, deadline: float) -> None:
    """Store a new run with who created it (`principal`, for usage) and its exact expiry deadline."""
    db.execute("INSERT INTO thread_runs (id, thread_id, status, expires_at, principal, body) VALUES (?, ?, ?, ?, ?, ?)",
               (run["id"], run["thread_id"], run["status"], deadline, dumps(principal), dumps(run)))


def run_status(store, run_id: str) -> str | None:
    """A run's status, or None if it is gone (its thread was deleted)."""
    row = store.one("SELECT status FROM thread_runs WHERE id = ?", (run_id,))
    return None if row is None else row["status"]


def insert_step(db, step: dict) -> None:
    """Store a new run step (inside the caller's transaction `db`).

    Example:
        >>> thread = insert_thread(store, {})
        >>> store.execute("INSERT INTO thread_runs (id, thread_id, status, body) "
        ...               "VALUES ('run_1', ?, 'in_progress', '{}')", (thread["id"],))
        1
        >>> with store.tx() as db:
        ...     insert_step(db, {"id": "step_1", "run_id": "run_1", "type": "message_creation"})
        >>> [step["id"] for step in run_steps(store, "run_1")]
        ['step_1']
    """
    db.execute("INSERT INTO thread_run_steps (id, run_id, body) VALUES (?, ?, ?)",
               (step["id"], step["run_id"], dumps(step)))


def save_run(db, run: dict, deadline: float | None = None) -> None:
    """Write a run's body and status (and, when given, its exact expiry deadline)."""
    if deadline is None:
        db.execute("UPDATE thread_runs SET body = ?, status = ? WHERE id = ?", (dumps(run), run["status"], run["id"]))
    else:
        run["expires_at"] = int(deadline + 0.999)
        db.execute("UPDATE thread_runs SET body = ?, status = ?, expires_at = ? WHERE id = ?",
                   (dumps(run), run["status"], deadline, run["id"]))


def close_open_work(db, run_id: str, step_status: str, step_stamp: str, message_reason: str,
                    error: dict | None = None) -> tuple[list, list]:
    """When a run ends early, its steps still in progress take `step_status` (stamped `step_stamp`,
    with `error`) and its messages being written become incomplete for `message_reason`; returns
    (steps, messages) changed, for the run's events."""
    ts = now()
    steps, messages = [], []
    for row in db.execute("SELECT body FROM thread_run_steps WHERE run_id = ? ORDER BY seq", (run_id,)):
        step = loads(row["body"])
        if step["status"] == "in_progress":
            step.update(status=step_status, **{step_stamp: ts})
            if error:
                step["last_error"] = error
            save(db, "thread_run_steps", step)
            steps.append(step)
    for row in db.execute("SELECT body FROM thread_messages WHERE run_id = ? ORDER BY seq", (run_id,)):
        message = loads(row["body"])
        if message["status"] == "in_progress":
            message.update(status="incomplete", incomplete_at=ts, incomplete_details={"reason": message_reason})
            save(db, "thread_messages", message)
            messages.append(message)
    return steps, messages


def save(db_or_store, table: str, obj: dict) -> dict:
    """Write an object back (same id)."""
    _execute(db_or_store, f"UPDATE {table} SET body = ? WHERE id = ?", (dumps(obj), obj["id"]))
    return obj


def _execute(db_or_store, sql: str, params) -> None:
    # Callers inside a transaction pass its connection; others pass the store (one statement, one tx).
    db_or_store.execute(sql, params)


# ---- request parsing --------------------------------------------------------------------------

def _content(value, param: str) -> list:
    """A message's `content` (a string or text/image parts) as the stored content array."""
    if isinstance(value, str):
        return [{"type": "text", "text": {"value": value, "annotations": []}}]
    if not isinstance(value, list):
        raise BadRequest(f"Invalid type for '{param}': expected a string or an array of content parts, got "
                         f"{type_name(value)}.", param=param)
    if not value:
        raise BadRequest(f"Invalid '{param}': empty array. Expected at least one content part.", param=param)
    parts = []
    for i, part in enumerate(value):
        where = f"{param}[{i}]"
        kind = Params(part if isinstance(part, dict) else {}, prefix=f"{where}.").str(
            "type", required=True, choices=("text", "image_file", "image_url"))
        if kind == "text":
            text = Params(part, prefix=f"{where}.").str("text", required=True)
            parts.append({"type": "text", "text": {"value": text, "annotations": []}})
        else:
            # Images are kept with the message; the local model reads the text parts only.
            inner = part.get(kind)
            key = "file_id" if kind == "image_file" else "url"
            if not isinstance(inner, dict) or not isinstance(inner.get(key), str):
                raise BadRequest(f"Invalid '{where}.{kind}': expected an object with a '{key}' string.",
                                 param=f"{where}.{kind}")
            parts.append({"type": kind, kind: dict(inner)})
    return parts


def _attachments(value, param: str):
    if value is None:
        return None
    if not isinstance(value, list):
        raise BadRequest(f"Invalid type for '{param}': expected an array, got {type_name(value)}.", param=param)
    out = []
    for i, item in enumerate(value):
        p = Params(item if isinstance(item, dict) else {}, prefix=f"{param}[{i}].")
        file_id = p.str("file_id", required=True)
        tools = p.list("tools", default=[])
        for j, tool in enumerate(tools):
            if not isinstance(tool, dict) or tool.get("type") not in ATTACHMENT_TOOLS:
                raise BadRequest(f"Invalid '{param}[{i}].tools[{j}]': expected an object whose 'type' is "
                                 "'code_interpreter' or 'file_search'.", param=f"{param}[{i}].tools[{j}]")
        out.append({"file_id": file_id, "tools": [{"type": t["type"]} for t in tools]})
    return out


def parse_message(body, param: str = "") -> dict:
    """Check a CreateMessageRequest (`role`, `content`, `attachments`, `metadata`); 400 names the field.

    Example:
        >>> parse_message({"role": "user", "content": [{"type": "text", "text": "Hi"}]})["content"][0]["type"]
        'text'
    """
    if not isinstance(body, dict):
        raise BadRequest(f"Invalid type for '{param or 'message'}': expected an object, got {type_name(body)}.",
                         param=param or None)
    prefix = f"{param}." if param else ""
    p = Params(body, prefix=prefix)
    role = p.str("role", required=True, choices=MESSAGE_ROLES)
    if body.get("content") is None:
        raise BadRequest(f"Missing required parameter: '{prefix}content'.", param=f"{prefix}content")
    unknown = sorted(set(body) - {"role", "content", "attachments", "metadata"})
    if unknown:
        raise BadRequest(f"Unrecognized request argument: '{prefix}{unknown[0]}'.", param=f"{prefix}{unknown[0]}")
    return {"role": role, "content": _content(body["content"], f"{prefix}content"),
            "attachments": _attachments(body.get("attachments"), f"{prefix}attachments"),
            "metadata": check_metadata(body.get("metadata"), f"{prefix}metadata")}


def parse_messages(value, param: str) -> list[dict]:
    """The `messages` array of a create-thread body, each checked by `parse_message`; None is none.

    Example:
        >>> [m["role"] for m in parse_messages([{"role": "user", "content": "Hi"}], "messages")]
        ['user']
        >>> parse_messages({"role": "user"}, "messages")
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.BadRequest: Invalid type for 'messages': expected an array, got an object.
    """
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadRequest(f"Invalid type for '{param}': expected an array, got {type_name(value)}.", param=param)
    return [parse_message(item, f"{param}[{i}]") for i, item in enumerate(value)]


def message_text(message: dict) -> str:
    """The text a model reads from a stored message (image parts are skipped)."""
    return "\n".join(part["text"]["value"] for part in message.get("content") or [] if part.get("type") == "text")


def only_keys(body: dict, allowed: tuple, what: str) -> None:
    """400 for the first argument an operation does not take."""
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise BadRequest(f"Unrecognized request argument: '{unknown[0]}'. {what} accepts: "
                         f"{', '.join(allowed)}.", param=unknown[0])
