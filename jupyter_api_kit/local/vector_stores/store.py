"""Vector stores in SQLite: the API objects, attaching and detaching files, and file batches (`engine`
processes the files in the background).

A file attached to a store starts `in_progress`; a background task reads its bytes, cuts them into
chunks (`chunking`), embeds the chunks (`local-embed`, or the upstream's model in gateway mode; see
`embedding`) and stores them, and the file becomes `completed`, or `failed` with `last_error` when
its text cannot be read (`files.text` reads text, Markdown, HTML, JSON and PDF). `file_counts`,
`usage_bytes` and the store's `status` are computed from the rows whenever they are read, so they
are always true. `usage_bytes` of a file is what it occupies in the store: its chunk texts (UTF-8)
plus their embeddings (4 bytes per dimension).

Example:
    >>> counts(Store(":memory:"), "vector_store_id = ?", ("vs_1",))["total"]
    0
"""

from __future__ import annotations

from jupyter_api_kit.local.core.db import dumps, loads
from jupyter_api_kit.local.core.errors import NotFound, found
from jupyter_api_kit.local.core.ids import now
from jupyter_api_kit.local.core.jobs import set_status
from jupyter_api_kit.local.core.paging import Cursor, keyed_page, list_object  # noqa: F401 (keyed_page: used as vdb.keyed_page)

DAY = 86400
STATUSES = ("in_progress", "completed", "failed", "cancelled")


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


def insert_store(store, vector_store_id: str, name: str, metadata: dict, expires_after: dict | None,
                 files: list[str], strategy: dict) -> None:
    """Store a new vector store with `files` attached (each `in_progress`, cut by `strategy`)."""
    created = now()
    with store.tx() as db:
        db.execute("INSERT INTO vector_stores (id, created_at, name, metadata, expires_after, last_active_at) "
                   "VALUES (?, ?, ?, ?, ?, ?)", (vector_store_id, created, name, dumps(metadata),
                                                 dumps(expires_after) if expires_after else None, created))
        for file_id in files:
            attach(db, vector_store_id, file_id, None, strategy)


def update_store(store, vector_store_id: str, changes: dict) -> None:
    """Set the given columns of a vector store (values as stored)."""
    if changes:
        sets = ", ".join(f"{k} = ?" for k in changes)
        store.execute(f"UPDATE vector_stores SET {sets} WHERE id = ?", (*changes.values(), vector_store_id))


def touch(store, vector_store_id: str) -> None:
    """Note that the store was used now (its expiry counts from its last activity)."""
    store.execute("UPDATE vector_stores SET last_active_at = ? WHERE id = ?", (now(), vector_store_id))


def delete_store(store, vector_store_id: str) -> None:
    """Delete a vector store (its files' attachments and chunks go with it), or a 404."""
    found(store.execute("DELETE FROM vector_stores WHERE id = ?", (vector_store_id,)),
          f"No vector store found with id '{vector_store_id}'.", "vector_store_id")


def attach_one(store, vector_store_id: str, file_id: str, attributes, strategy: dict) -> None:
    """Attach one file (see `attach`) in its own transaction."""
    with store.tx() as db:
        attach(db, vector_store_id, file_id, attributes, strategy)


def set_attributes(store, vector_store_id: str, file_id: str, attributes: dict | None) -> None:
    """Replace an attached file's attributes."""
    store.execute("UPDATE vector_store_files SET attributes = ? WHERE vector_store_id = ? AND file_id = ?",
                  (dumps(attributes) if attributes is not None else None, vector_store_id, file_id))


def detach(store, vector_store_id: str, file_id: str) -> None:
    """Remove a file from a store (the file itself stays)."""
    store.execute("DELETE FROM vector_store_files WHERE vector_store_id = ? AND file_id = ?",
                  (vector_store_id, file_id))


def insert_batch(store, vector_store_id: str, batch_id: str, entries: list[tuple]) -> None:
    """Store a new file batch attaching `entries` of (file id, attributes, chunking strategy)."""
    with store.tx() as db:
        db.execute("INSERT INTO vector_store_file_batches (id, vector_store_id, created_at) VALUES (?, ?, ?)",
                   (batch_id, vector_store_id, now()))
        for file_id, attributes, strategy in entries:
            attach(db, vector_store_id, file_id, attributes, strategy, batch_id=batch_id)


def cancel_batch(store, batch_id: str) -> None:
    """Cancel a batch: its files still `in_progress` become `cancelled` (ingest skips them)."""
    with store.tx() as db:
        db.execute("UPDATE vector_store_file_batches SET cancelled = 1 WHERE id = ?", (batch_id,))
        set_status(db, "vector_store_files", {"batch_id": batch_id}, "cancelled", ("in_progress",))


def files_in_progress(store) -> list:
    """(vector_store_id, file_id) rows of every attached file still `in_progress`, oldest first."""
    return store.all("SELECT vector_store_id, file_id FROM vector_store_files WHERE status = 'in_progress' "
                     "ORDER BY seq")
