"""Vector stores in SQLite: the API objects, attaching files, and processing them in the background.

A file attached to a store starts `in_progress`; a background task reads its bytes, cuts them into
chunks (`chunking`), embeds the chunks (`local-embed`, or the upstream's model in gateway mode; see
`embedding`) and stores them, and the file becomes `completed`, or `failed` with `last_error` when
its text cannot be read (`files.text` reads text, Markdown, HTML, JSON and PDF). `file_counts`,
`usage_bytes` and the store's `status` are computed from the rows whenever they are read, so they
are always true. `usage_bytes` of a file is what it occupies in the store: its chunk texts (UTF-8)
plus their embeddings (4 bytes per dimension).

Example:
    >>> check_attributes({"topic": "space", "year": 2024, "draft": False})
    {'topic': 'space', 'year': 2024, 'draft': False}
"""

from __future__ import annotations

import logging
import sqlite3

import numpy as np

from jupyter_api_kit.local.core.db import dumps, loads
from jupyter_api_kit.local.core.errors import BadRequest, HTTPError, NotFound, found
from jupyter_api_kit.local.core.ids import new_id, now
from jupyter_api_kit.local.core.paging import Cursor, keyed_page, list_object  # noqa: F401 (keyed_page: used as vdb.keyed_page)
from jupyter_api_kit.local.core.params import type_name
from jupyter_api_kit.local.core.usage_log import record
from jupyter_api_kit.local.files.store import read_file_bytes
from jupyter_api_kit.local.files.text import Unreadable, extract_text
from jupyter_api_kit.local.vector_stores.chunking import chunk_text
from jupyter_api_kit.local.vector_stores.embedding import embedding_model
from jupyter_api_kit.spec import MAX_METADATA_KEY as MAX_KEY
from jupyter_api_kit.spec import MAX_METADATA_PAIRS as MAX_ATTRIBUTES
from jupyter_api_kit.spec import MAX_METADATA_VALUE as MAX_VALUE

log = logging.getLogger("jupyter_api_kit.local")
DAY = 86400
STATUSES = ("in_progress", "completed", "failed", "cancelled")


def check_attributes(value, param: str = "attributes") -> dict | None:
    """File attributes as the API limits them: up to 16 keys of at most 64 characters; values are
    strings (at most 512 characters), numbers or booleans."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise BadRequest(f"Invalid type for '{param}': expected an object, got {type_name(value)}.", param=param)
    if len(value) > MAX_ATTRIBUTES:
        raise BadRequest(f"Invalid '{param}': {len(value)} keys; at most {MAX_ATTRIBUTES} are allowed.", param=param)
    for key, item in value.items():
        if len(key) > MAX_KEY:
            raise BadRequest(f"Invalid '{param}': key '{key[:20]}...' is longer than {MAX_KEY} characters.",
                             param=param)
        if not isinstance(item, (str, int, float, bool)):
            raise BadRequest(f"Invalid type for '{param}.{key}': expected a string, number or boolean, got "
                             f"{type_name(item)}.", param=f"{param}.{key}")
        if isinstance(item, str) and len(item) > MAX_VALUE:
            raise BadRequest(f"Invalid '{param}.{key}': value is longer than {MAX_VALUE} characters.",
                             param=f"{param}.{key}")
    return dict(value)


def check_expires_after(value, param: str = "expires_after") -> dict | None:
    """A store's `expires_after`: `{"anchor": "last_active_at", "days": 1..365}`; None when absent.

    Example:
        >>> check_expires_after({"anchor": "last_active_at", "days": 7})
        {'anchor': 'last_active_at', 'days': 7}
        >>> check_expires_after({"anchor": "last_active_at", "days": 0})
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.BadRequest: Invalid 'expires_after.days': 0; expected an integer from 1 to 365.
    """
    if value is None:
        return None
    if not isinstance(value, dict) or value.get("anchor") != "last_active_at":
        raise BadRequest(f"Invalid '{param}': expected {{'anchor': 'last_active_at', 'days': N}}.", param=param)
    days = value.get("days")
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 365:
        raise BadRequest(f"Invalid '{param}.days': {days!r}; expected an integer from 1 to 365.",
                         param=f"{param}.days")
    return {"anchor": "last_active_at", "days": days}


# -- objects ----------------------------------------------------------------------------------------

def counts(store, where: str, args) -> dict:
    """`file_counts` of the attached files matching `where` (a store's, or a batch's): one count per
    status and the total.

    Example:
        >>> counts(Store(":memory:"), "vector_store_id = ?", ("vs_1",))
        {'in_progress': 0, 'completed': 0, 'failed': 0, 'cancelled': 0, 'total': 0}
    """
    rows = store.all(f"SELECT status, count(*) AS n FROM vector_store_files WHERE {where} GROUP BY status", args)
    out = {s: 0 for s in STATUSES}
    for r in rows:
        out[r["status"]] = r["n"]
    out["total"] = sum(out[s] for s in STATUSES)
    return out


def store_row(store, vector_store_id: str):
    """The `vector_stores` row of `vector_store_id`, or a 404 naming it.

    Example:
        >>> store_row(Store(":memory:"), "vs_missing")
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.NotFound: No vector store found with id 'vs_missing'.
    """
    row = found(store.one("SELECT * FROM vector_stores WHERE id = ?", (vector_store_id,)),
                f"No vector store found with id '{vector_store_id}'.", "vector_store_id")
    return row


def expires_at(row) -> int | None:
    """When a store expires: `days` after it was last active, or None without `expires_after`.

    Example:
        >>> expires_at({"expires_after": '{"anchor": "last_active_at", "days": 1}', "last_active_at": 1000})
        87400
        >>> expires_at({"expires_after": None, "last_active_at": 1000}) is None
        True
    """
    after = loads(row["expires_after"])
    return row["last_active_at"] + after["days"] * DAY if after else None


def store_object(store, row) -> dict:
    """The API's `vector_store` object, with `file_counts`, `usage_bytes` and `status` (in_progress
    while a file is, expired past `expires_at`) computed from the rows now.

    Example:
        >>> store.execute("INSERT INTO vector_stores (id, created_at, name, last_active_at) "
        ...               "VALUES ('vs_1', 1700000000, 'notes', 1700000000)")
        1
        >>> obj = store_object(store, store_row(store, "vs_1"))
        >>> obj["name"], obj["status"], obj["usage_bytes"], obj["file_counts"]["total"], obj["expires_at"]
        ('notes', 'completed', 0, 0, None)
    """
    file_counts = counts(store, "vector_store_id = ?", (row["id"],))
    usage = store.one("SELECT coalesce(sum(usage_bytes), 0) FROM vector_store_files WHERE vector_store_id = ?",
                      (row["id"],))[0]
    ends = expires_at(row)
    status = ("expired" if ends is not None and ends <= now()
              else "in_progress" if file_counts["in_progress"] else "completed")
    obj = {"id": row["id"], "object": "vector_store", "created_at": row["created_at"], "name": row["name"],
           "usage_bytes": usage, "file_counts": file_counts, "status": status, "expires_at": ends,
           "last_active_at": row["last_active_at"], "metadata": loads(row["metadata"]) or {}}
    if row["expires_after"]:
        obj["expires_after"] = loads(row["expires_after"])
    return obj


def file_object(row) -> dict:
    """The API's `vector_store.file` object for an attachment row (its id is the file's id).

    Example:
        >>> row = {"file_id": "file-1", "usage_bytes": 2048, "created_at": 1700000000, "vector_store_id": "vs_1",
        ...        "status": "completed", "last_error": None, "attributes": None,
        ...        "chunking_strategy": '{"type": "static", "static": {"max_chunk_size_tokens": 800, '
        ...                             '"chunk_overlap_tokens": 400}}'}
        >>> obj = file_object(row)
        >>> obj["id"], obj["attributes"], obj["chunking_strategy"]["type"]
        ('file-1', {}, 'static')
    """
    return {"id": row["file_id"], "object": "vector_store.file", "usage_bytes": row["usage_bytes"],
            "created_at": row["created_at"], "vector_store_id": row["vector_store_id"], "status": row["status"],
            "last_error": loads(row["last_error"]), "chunking_strategy": loads(row["chunking_strategy"]),
            "attributes": loads(row["attributes"]) or {}}


def file_row(store, vector_store_id: str, file_id: str):
    """The attachment row of `file_id` in a store, or a 404 naming `file_id`.

    Example:
        >>> store.execute("INSERT INTO vector_stores (id, created_at, name, last_active_at) "
        ...               "VALUES ('vs_1', 1700000000, 'notes', 1700000000)")
        1
        >>> file_row(store, "vs_1", "file-missing")
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.NotFound: No file 'file-missing' in vector store 'vs_1'.
    """
    row = store.one("SELECT * FROM vector_store_files WHERE vector_store_id = ? AND file_id = ?",
                    (vector_store_id, file_id))
    if row is None:
        raise NotFound(f"No file '{file_id}' in vector store '{vector_store_id}'.", param="file_id")
    return row


def batch_row(store, vector_store_id: str, batch_id: str):
    """The `vector_store_file_batches` row of `batch_id` in a store, or a 404 naming `batch_id`.

    Example:
        >>> store.execute("INSERT INTO vector_stores (id, created_at, name, last_active_at) "
        ...               "VALUES ('vs_1', 1700000000, 'notes', 1700000000)")
        1
        >>> batch_row(store, "vs_1", "vsfb_missing")
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.NotFound: No file batch 'vsfb_missing' in vector store 'vs_1'.
    """
    row = store.one("SELECT * FROM vector_store_file_batches WHERE id = ? AND vector_store_id = ?",
                    (batch_id, vector_store_id))
    if row is None:
        raise NotFound(f"No file batch '{batch_id}' in vector store '{vector_store_id}'.", param="batch_id")
    return row


def batch_object(store, row) -> dict:
    """The API's `vector_store.files_batch` object; its status is computed from its files:
    cancelled, in_progress while any file is, failed when every file failed, else completed.

    Example:
        >>> store.execute("INSERT INTO vector_stores (id, created_at, name, last_active_at) "
        ...               "VALUES ('vs_1', 1700000000, 'notes', 1700000000)")
        1
        >>> row = {"id": "vsfb_1", "vector_store_id": "vs_1", "created_at": 1700000000, "cancelled": 1}
        >>> batch_object(store, row)["status"], batch_object(store, {**row, "cancelled": 0})["status"]
        ('cancelled', 'completed')
    """
    file_counts = counts(store, "batch_id = ?", (row["id"],))
    if row["cancelled"]:
        status = "cancelled"
    elif file_counts["in_progress"]:
        status = "in_progress"
    elif file_counts["total"] and file_counts["failed"] == file_counts["total"]:
        status = "failed"
    else:
        status = "completed"
    return {"id": row["id"], "object": "vector_store.files_batch", "created_at": row["created_at"],
            "vector_store_id": row["vector_store_id"], "status": status, "file_counts": file_counts}


# -- attaching and processing ------------------------------------------------------------------------

def create_store(app, *, name: str = "", file_ids=(), strategy: dict | None = None, metadata=None,
                 expires_after=None, principal=None) -> str:
    """Insert a vector store with `file_ids` attached (already checked to exist) and start processing
    them in the background; returns its id. Used by POST /vector_stores and by the `vector_stores`
    helper of assistants' and threads' `tool_resources`.

    Example:
        >>> create_store(app, name="notes")      # no files: nothing to process
        'vs_...'
    """
    vsid, created = new_id("vs_"), now()
    with app.state.store.tx() as db:
        db.execute("INSERT INTO vector_stores (id, created_at, name, metadata, expires_after, last_active_at) "
                   "VALUES (?, ?, ?, ?, ?, ?)", (vsid, created, name, dumps(metadata or {}),
                                                 dumps(expires_after) if expires_after else None, created))
        for fid in file_ids:
            attach(db, vsid, fid, None, strategy)
    if file_ids:
        app.state.jobs.submit(process_files, app, vsid, list(file_ids), principal)
    return vsid


def attach(db, vector_store_id: str, file_id: str, attributes, strategy: dict, batch_id=None) -> None:
    """Attach (or re-attach) a file, `in_progress`, inside the caller's transaction `db`."""
    db.execute("DELETE FROM vector_store_chunks WHERE vector_store_id = ? AND file_id = ?",
               (vector_store_id, file_id))
    db.execute(
        "INSERT INTO vector_store_files (vector_store_id, file_id, batch_id, created_at, status, last_error, "
        "usage_bytes, attributes, chunking_strategy) VALUES (?, ?, ?, ?, 'in_progress', NULL, 0, ?, ?) "
        "ON CONFLICT (vector_store_id, file_id) DO UPDATE SET batch_id = excluded.batch_id, "
        "status = 'in_progress', last_error = NULL, usage_bytes = 0, attributes = excluded.attributes, "
        "chunking_strategy = excluded.chunking_strategy",
        (vector_store_id, file_id, batch_id, now(), dumps(attributes) if attributes is not None else None,
         dumps(strategy)))
    db.execute("UPDATE vector_stores SET last_active_at = ? WHERE id = ?", (now(), vector_store_id))


def process_files(app, vector_store_id: str, file_ids: list[str], principal=None) -> None:
    """Background task: process each still-`in_progress` file in turn (cancelled ones are skipped).
    Usage goes to `principal`, the caller who attached the files."""
    delay = app.state.timing.vector_store_file
    for file_id in file_ids:
        if delay and app.state.jobs.sleep(delay):
            return  # the server is stopping; files stay in_progress and can be re-added
        if app.state.jobs.stopping.is_set():
            return
        try:
            process_one(app, vector_store_id, file_id, principal)
        except Exception:  # one bad file must not stop the others
            log.exception("processing %s for vector store %s failed", file_id, vector_store_id)
            _finish(app.state.store, vector_store_id, file_id, "failed",
                    error={"code": "server_error", "message": "The file could not be processed."})


def _finish(store, vector_store_id, file_id, status, *, error=None, usage=0, chunks=()) -> bool:
    """Write a file's outcome if it is still in progress (it may have been cancelled or deleted)."""
    try:
        with store.tx() as db:
            changed = db.execute(
                "UPDATE vector_store_files SET status = ?, last_error = ?, usage_bytes = ? "
                "WHERE vector_store_id = ? AND file_id = ? AND status = 'in_progress'",
                (status, dumps(error) if error else None, usage, vector_store_id, file_id)).rowcount
            if changed and chunks:
                db.executemany("INSERT INTO vector_store_chunks (vector_store_id, file_id, position, text, tokens, "
                               "embedding, embedding_model) VALUES (?, ?, ?, ?, ?, ?, ?)", chunks)
            return bool(changed)
    except sqlite3.IntegrityError:
        return False  # the file or the store was deleted meanwhile


def process_one(app, vector_store_id: str, file_id: str, principal=None) -> None:
    """Process one attached file if it is still `in_progress`: read its text, cut and embed the
    chunks, store them and mark the file completed (or failed with `last_error`), then record the
    embedding and storage usage for `principal`. A file cancelled or deleted meanwhile is left alone.

    Example:
        >>> vs_id = create_store(app, name="notes")
        >>> process_one(app, vs_id, "file-gone")       # not attached (any more): left alone
        >>> app.state.store.one("SELECT count(*) AS n FROM vector_store_chunks")["n"]
        0
    """
    store = app.state.store
    row = store.one("SELECT v.status, v.chunking_strategy, f.filename FROM vector_store_files v "
                    "JOIN files f ON f.id = v.file_id WHERE v.vector_store_id = ? AND v.file_id = ?",
                    (vector_store_id, file_id))
    if row is None or row["status"] != "in_progress":
        return
    try:
        text = extract_text(read_file_bytes(app, file_id), row["filename"])
    except Unreadable as exc:
        _finish(store, vector_store_id, file_id, "failed", error={"code": exc.code, "message": exc.message})
        return
    except HTTPError as exc:
        _finish(store, vector_store_id, file_id, "failed", error={"code": "invalid_file", "message": exc.message})
        return
    pieces = chunk_text(text, loads(row["chunking_strategy"]))
    model = embedding_model(app)
    try:
        vectors = model.embed([c.text for c in pieces])
    except HTTPError as exc:  # an upstream engine that embeds the files failed: so did this file
        _finish(store, vector_store_id, file_id, "failed", error={"code": "server_error", "message": exc.message})
        return
    chunks = [(vector_store_id, file_id, i, c.text, c.tokens, np.asarray(vec, dtype="<f4").tobytes(), model.id)
              for i, (c, vec) in enumerate(zip(pieces, vectors))]
    usage = sum(len(c.text.encode("utf-8")) for c in pieces) + sum(len(ch[5]) for ch in chunks)
    if _finish(store, vector_store_id, file_id, "completed", usage=usage, chunks=chunks):
        # The embedding work, and the storage the file now takes (the vector_stores usage kind).
        record(store, "embeddings", model=model.id, principal=principal, input_tokens=sum(c.tokens for c in pieces))
        record(store, "vector_stores", principal=principal, quantity=usage)
