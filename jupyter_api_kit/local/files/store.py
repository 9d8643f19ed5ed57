"""Uploaded files: bytes on disk under the storage directory, size and sha256 in SQLite.

A file's bytes are stored under its id (`file-<hex>`), never under the name the user gave, so no
filename can reach outside the storage directory; the user's name is kept (as a bare base name) only
for display. Bytes are written to a temporary name, flushed to disk and renamed before the database
row is committed, so an acknowledged upload survives a crash and a crash never leaves a row without
bytes.

Other API groups read uploads through `file_record` and `read_file_bytes`.

Example:
    >>> import io
    >>> obj = save_upload(app, io.BytesIO(b"hello"), filename="../../etc/notes.txt", purpose="user_data")
    >>> obj["filename"], obj["bytes"], read_file_bytes(app, obj["id"])
    ('notes.txt', 5, b'hello')
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path, PurePosixPath

from jupyter_api_kit.config import PRIVATE_FILE_MODE, data_dir, private_dir
from jupyter_api_kit.local.core.errors import BadRequest, NotFound, PayloadTooLarge
from jupyter_api_kit.local.core.ids import new_id, now

UPLOAD_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
#: purposes the file object may show; others (`evals`) are shown as `user_data`, as the schema allows
SHOWN_PURPOSES = ("assistants", "assistants_output", "batch", "batch_output", "fine-tune", "fine-tune-results",
                  "vision", "user_data")
BATCH_DEFAULT_TTL = 30 * 24 * 3600
MIN_TTL, MAX_TTL = 3600, 2592000
_ID_PATTERN = re.compile(r"^file-[0-9a-f]{24}$")
_COPY_CHUNK = 1024 * 1024


def storage_dir(app) -> Path:
    """Where file bytes live: `<data_dir>/files` (the user data directory when the app has none)."""
    base = app.state.data_dir
    if base is None:
        base = data_dir()
    return private_dir(Path(base) / "files")


def max_upload_bytes(app) -> int:
    """The largest upload the app accepts (`app.state.timing.max_upload_bytes`, the API's 512 MB by default)."""
    return app.state.timing.max_upload_bytes


def safe_filename(name: str | None) -> str:
    """The base name of what the user sent, for display only: no directories, no control characters.

    Example:
        >>> safe_filename("C:\\\\temp\\\\..\\\\report.pdf"), safe_filename("../../x"), safe_filename("")
        ('report.pdf', 'x', 'upload')
    """
    base = PurePosixPath(str(name or "").replace("\\", "/")).name
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    if base in ("", ".", ".."):
        base = "upload"
    return base[:255]


def _path_for(app, file_id: str) -> Path:
    # Ids come from our own rows, but check anyway: a path is only ever built from a well-formed id.
    if not _ID_PATTERN.match(file_id):
        raise NotFound(f"No such File object: {file_id}", param="file_id")
    return storage_dir(app) / file_id


def file_object(row) -> dict:
    """A `files` row as the API's File object."""
    purpose = row["purpose"] if row["purpose"] in SHOWN_PURPOSES else "user_data"
    obj = {"id": row["id"], "object": "file", "bytes": row["bytes"], "created_at": row["created_at"],
           "filename": row["filename"], "purpose": purpose, "status": row["status"]}
    if row["expires_at"] is not None:
        obj["expires_at"] = row["expires_at"]
    return obj


def expiry(purpose: str, expires_after, created_at: int) -> int | None:
    """`expires_at` for an upload: from `expires_after` ({anchor: created_at, seconds}, as
    `request.UploadForm` reads it), else 30 days for batch files, else never.

    Example:
        >>> expiry("batch", None, 0), expiry("fine-tune", {"anchor": "created_at", "seconds": 3600}, 0)
        (2592000, 3600)
    """
    if expires_after is None:
        return created_at + BATCH_DEFAULT_TTL if purpose == "batch" else None
    seconds = expires_after["seconds"]  # checked by `request.UploadForm`
    return created_at + seconds


def save_upload(app, source, *, filename: str | None, purpose: str, expires_after=None) -> dict:
    """Copy `source` (a binary file object) into storage and record it; returns the File object.

    `purpose` and `expires_after` are as `request.UploadForm` reads them. Raises 400 for an empty file,
    413 past the size limit (nothing is kept).
    """
    created = now()
    expires_at = expiry(purpose, expires_after, created)
    limit = max_upload_bytes(app)
    file_id = new_id("file-")
    final = _path_for(app, file_id)
    partial = final.with_name(final.name + ".part")
    digest, size = hashlib.sha256(), 0
    try:
        # Owner-only from the first byte: uploads are the user's documents.
        with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE), "wb") as out:
            while True:
                chunk = source.read(_COPY_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge(f"File is too large: the limit is {limit} bytes.", param="file")
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            raise BadRequest("The uploaded file is empty; upload a file with content.", param="file")
        os.replace(partial, final)
        with app.state.store.tx() as db:
            db.execute("INSERT INTO files (id, created_at, filename, purpose, bytes, sha256, status, expires_at) "
                       "VALUES (?, ?, ?, ?, ?, ?, 'processed', ?)",
                       (file_id, created, safe_filename(filename), purpose, size, digest.hexdigest(), expires_at))
    except BaseException:
        for path in (partial, final):
            path.unlink(missing_ok=True)
        raise
    return file_record(app.state.store, file_id)


def purge_expired(app) -> int:
    """Delete files past their `expires_at` (rows and bytes); returns how many went."""
    store = app.state.store
    rows = store.all("SELECT id FROM files WHERE expires_at IS NOT NULL AND expires_at <= ?", (now(),))
    for row in rows:
        delete_file(app, row["id"])
    return len(rows)


def _row(store, file_id: str):
    row = store.one("SELECT * FROM files WHERE id = ?", (file_id,))
    if row is None or (row["expires_at"] is not None and row["expires_at"] <= now()):
        raise NotFound(f"No such File object: {file_id}", param="file_id")
    return row


def file_rows(store, cursor, purpose: str | None = None) -> tuple[list, bool]:
    """(one page of `files` rows, of `purpose` when given, whether more follow).

    Example:
        >>> from jupyter_api_kit.local.core.paging import Cursor
        >>> file_rows(store, Cursor(limit=10, order="desc"))
        ([], False)
    """
    clauses, args = ["1"], []
    if purpose:
        clauses.append("purpose = ?")
        args.append(purpose)
    if cursor.after:
        row = store.one("SELECT seq FROM files WHERE id = ?", (cursor.after,))
        if row is None:
            raise BadRequest(f"Invalid 'after': no file with id '{cursor.after}' in this list.", param="after")
        clauses.append("seq > ?" if cursor.order == "asc" else "seq < ?")
        args.append(row["seq"])
    direction = "ASC" if cursor.order == "asc" else "DESC"
    rows = store.all(f"SELECT * FROM files WHERE {' AND '.join(clauses)} ORDER BY seq {direction} LIMIT ?",
                     (*args, cursor.limit + 1))
    return rows[:cursor.limit], len(rows) > cursor.limit


def file_record(store, file_id: str) -> dict:
    """The File object for `file_id`, or a 404.

    Example:
        >>> file_record(store, "file-unknown")
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.NotFound: No such File object: file-unknown
    """
    return file_object(_row(store, file_id))


def read_file_bytes(app, file_id: str) -> bytes:
    """The content of an uploaded file, or a 404 for an unknown (or expired) id.

    Example:
        >>> import io
        >>> obj = save_upload(app, io.BytesIO(b"Mars is red."), filename="notes.txt", purpose="assistants")
        >>> read_file_bytes(app, obj["id"])
        b'Mars is red.'
    """
    _row(app.state.store, file_id)
    try:
        return _path_for(app, file_id).read_bytes()
    except FileNotFoundError:
        raise NotFound(f"The content of file {file_id} is no longer available.", param="file_id") from None


def open_file(app, file_id: str):
    """(row, path) for streaming a file's content to a client."""
    row = _row(app.state.store, file_id)
    path = _path_for(app, file_id)
    if not path.exists():
        raise NotFound(f"The content of file {file_id} is no longer available.", param="file_id")
    return row, path


def delete_file(app, file_id: str) -> None:
    """Remove the row (which detaches the file from every vector store) and then the bytes."""
    store = app.state.store
    with store.tx() as db:
        gone = db.execute("DELETE FROM files WHERE id = ?", (file_id,)).rowcount
    if not gone:
        raise NotFound(f"No such File object: {file_id}", param="file_id")
    if _ID_PATTERN.match(file_id):
        _path_for(app, file_id).unlink(missing_ok=True)


__all__ = ["UPLOAD_PURPOSES", "delete_file", "file_object", "file_record",
           "max_upload_bytes", "open_file", "purge_expired", "read_file_bytes", "safe_filename", "save_upload",
           "storage_dir"]
