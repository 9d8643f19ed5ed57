"""Vector-store file ingest as jobs of the app's job runner: each file attached to a store is read,
cut into chunks (`chunking`), embedded (`embedding`) and stored, and becomes `completed`, or `failed`
with `last_error`. A file cancelled (its batch cancelled) or detached meanwhile is left alone: every
outcome is written only while the file is still `in_progress`. Files a stopped server left
`in_progress` are processed when it starts again (their usage then has no known caller).

`app.state.timing.vector_store_file` (seconds before each file, default 0) slows ingest down so that
tests can watch `in_progress` and cancel.

Example:
    >>> VECTOR_STORE_FILES.name
    'vector_store_files'
"""

from __future__ import annotations

import sqlite3

import numpy as np

from jupyter_api_kit.local.core.db import dumps, loads
from jupyter_api_kit.local.core.errors import HTTPError, log
from jupyter_api_kit.local.core.ids import new_id
from jupyter_api_kit.local.core.jobs import Job, JobKind, set_status
from jupyter_api_kit.local.core.usage_log import record
from jupyter_api_kit.local.files.store import read_file_bytes
from jupyter_api_kit.local.files.text import Unreadable, extract_text
from jupyter_api_kit.local.vector_stores.chunking import chunk_text
from jupyter_api_kit.local.vector_stores.embedding import embedding_model
from jupyter_api_kit.local.vector_stores.store import files_in_progress, insert_store


def start(app, vector_store_id: str, file_ids: list[str], principal=None) -> None:
    """Process `file_ids` (attached to the store, `in_progress`) in the background; usage goes to
    `principal`, the caller who attached them.
    """
    if file_ids:
        app.state.jobs.start(VECTOR_STORE_FILES, new_id("vsingest_"), vector_store_id, file_ids, principal)


def create_store(app, *, name: str = "", file_ids=(), strategy: dict | None = None, metadata=None,
                 expires_after=None, principal=None) -> str:
    """Insert a vector store with `file_ids` attached (already checked to exist) and start processing
    them in the background; returns its id. Used by POST /vector_stores and by the `vector_stores`
    helper of assistants' and threads' `tool_resources`.

    Example:
        >>> create_store(app, name="notes")      # no files: nothing to process
        'vs_...'
    """
    vector_store_id = new_id("vs_")
    insert_store(app.state.store, vector_store_id, name, metadata or {}, expires_after, list(file_ids), strategy)
    start(app, vector_store_id, list(file_ids), principal)
    return vector_store_id


def process_files(app, job: Job, vector_store_id: str, file_ids: list[str], principal=None) -> None:
    """The step logic of `VECTOR_STORE_FILES`: process each still-`in_progress` file in turn (cancelled
    ones are skipped). Usage goes to `principal`, the caller who attached the files."""
    for file_id in file_ids:
        if job.wait(app.state.timing.vector_store_file):
            return  # the server is stopping; the files stay in_progress and are processed when it starts
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
            changed = set_status(db, "vector_store_files", {"vector_store_id": vector_store_id, "file_id": file_id},
                                 status, ("in_progress",), last_error=dumps(error) if error else None,
                                 usage_bytes=usage)
            if changed and chunks:
                db.executemany("INSERT INTO vector_store_chunks (vector_store_id, file_id, position, text, tokens, "
                               "embedding, embedding_model) VALUES (?, ?, ?, ?, ?, ?, ?)", chunks)
            return changed
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


def recover(app) -> list[tuple]:
    """The files a stopped server left `in_progress`, one job per vector store, to process again."""
    by_store: dict[str, list[str]] = {}
    for row in files_in_progress(app.state.store):
        by_store.setdefault(row["vector_store_id"], []).append(row["file_id"])
    return [(new_id("vsingest_"), vector_store_id, file_ids, None) for vector_store_id, file_ids in by_store.items()]


VECTOR_STORE_FILES = JobKind("vector_store_files", run=process_files, recover=recover)
