"""Files: upload (from a path, bytes or a file object, with a progress bar for large files), list,
retrieve, delete and download.

Example:
    >>> f = client.files.create(file=("notes.txt", b"Mars is red."), purpose="assistants")
    >>> client.files.content(f.id)
    b'Mars is red.'
    >>> f.id in client.files.list(purpose="assistants").to_frame()["id"].tolist()
    True
"""

from __future__ import annotations

import io
import os
import uuid
from pathlib import Path

from jupyter_api_kit.client.objects import APIObject
from jupyter_api_kit.client.resource import Resource, path_id
from jupyter_api_kit.errors import InvalidInputError

#: uploads at least this large show a progress bar unless `progress=False`
PROGRESS_THRESHOLD = 8 * 1024 * 1024
_CHUNK = 256 * 1024


class MultipartBody:
    """A multipart/form-data body streamed from its sources rather than built in memory.

    Its length is known up front (so `Content-Length` is sent), and every iteration starts again from
    the beginning: a retried request sends the whole body again. `progress` is a tqdm bar or None.
    """

    def __init__(self, fields: list[tuple[str, str]], file_field: str, filename: str, source, size: int,
                 content_type: str = "application/octet-stream", progress=None):
        self.boundary = f"jak-{uuid.uuid4().hex}"
        self._source, self._size, self._progress = source, size, progress
        head = b"".join(self._part_header(name) + value.encode("utf-8") + b"\r\n" for name, value in fields)
        quoted = filename.replace("\\", "\\\\").replace('"', '\\"').replace("\r", " ").replace("\n", " ")
        head += (f'--{self.boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
                 f'filename="{quoted}"\r\nContent-Type: {content_type}\r\n\r\n').encode("utf-8")
        self._head = head
        self._tail = f"\r\n--{self.boundary}--\r\n".encode()
        self._start = source.tell() if hasattr(source, "tell") else 0

    def _part_header(self, name: str) -> bytes:
        return f'--{self.boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()

    @property
    def content_type(self) -> str:
        """The `Content-Type` header to send with this body (it names the part boundary).

        Example:
            >>> body = MultipartBody([("purpose", "assistants")], "file", "a.txt", io.BytesIO(b"hi"), 2)
            >>> body.content_type == f"multipart/form-data; boundary={body.boundary}"
            True
            >>> len(body) == len(b"".join(body))    # known up front, so Content-Length can be sent
            True
        """
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return len(self._head) + self._size + len(self._tail)

    def __iter__(self):
        self._source.seek(self._start)
        if self._progress is not None:
            self._progress.reset(total=self._size)
        yield self._head
        remaining = self._size
        while remaining > 0:
            chunk = self._source.read(min(_CHUNK, remaining))
            if not chunk:
                raise InvalidInputError("the file became shorter while it was being uploaded", param="file")
            remaining -= len(chunk)
            if self._progress is not None:
                self._progress.update(len(chunk))
            yield chunk
        yield self._tail


def _open_source(file, filename: str | None):
    """(binary file object, filename, size, opened_here) for a path, bytes, a file object or a
    (filename, content) tuple."""
    if isinstance(file, tuple):
        if len(file) != 2:
            raise InvalidInputError("file as a tuple must be (filename, content)", param="file")
        name, content = file
        source, _, size, opened = _open_source(content, filename or name)
        return source, filename or name, size, opened
    if isinstance(file, (str, os.PathLike)):
        path = Path(file).expanduser()
        if not path.is_file():
            raise InvalidInputError(f"no file at {str(path)!r}", param="file")
        return open(path, "rb"), filename or path.name, path.stat().st_size, True
    if isinstance(file, (bytes, bytearray, memoryview)):
        data = bytes(file)
        return io.BytesIO(data), filename or "upload", len(data), True
    if hasattr(file, "read"):
        name = filename or os.path.basename(str(getattr(file, "name", "") or "")) or "upload"
        try:
            start = file.tell()
            file.seek(0, os.SEEK_END)
            size = file.tell() - start
            file.seek(start)
            probe = file.read(0)
        except (AttributeError, OSError, ValueError):
            data = file.read()  # not seekable (a pipe): read it once, into memory
            probe, file, size = data, io.BytesIO(data if isinstance(data, bytes) else data.encode()), len(data)
        if isinstance(probe, str):
            raise InvalidInputError("open the file in binary mode ('rb'), not text mode", param="file")
        return file, name, size, False
    raise InvalidInputError(f"file must be a path, bytes, a binary file object or a (filename, content) tuple, "
                            f"not {type(file).__name__}", param="file")


class Files(Resource):
    """The Files API group (`/files`): upload (from a path, bytes, a file object or a
    `(filename, content)` tuple), list, retrieve, delete and download files. Reached as `client.files`.

    Example:
        >>> client.files.create(file=b"hello", purpose="")
        Traceback (most recent call last):
        ...
        jupyter_api_kit.errors.InvalidInputError: purpose is required, e.g. 'assistants', 'fine-tune', ...
        >>> f = client.files.create(file=("notes.txt", b"Mars is red."), purpose="assistants")
        >>> f.filename, f.bytes, f.purpose
        ('notes.txt', 12, 'assistants')
    """

    def create(self, file, *, purpose: str, expires_after: dict | None = None, filename: str | None = None,
               progress: bool | None = None) -> APIObject:
        """Upload a file. `file` is a path, bytes, a binary file object or a `(filename, content)` tuple;
        `expires_after={"anchor": "created_at", "seconds": 3600}` makes it expire. Files of 8 MiB or
        more show a progress bar (force it on or off with `progress=`).

        Example:
            >>> client.files.create(file=b'{"messages": [{"role": "user", "content": "hi"}]}\\n',
            ...                     filename="data.jsonl", purpose="fine-tune").id
            'file-...'
        """
        if not isinstance(purpose, str) or not purpose:
            raise InvalidInputError("purpose is required, e.g. 'assistants', 'fine-tune', 'batch', 'user_data'",
                                    param="purpose")
        fields = [("purpose", purpose)]
        if expires_after is not None:
            if not isinstance(expires_after, dict) or set(expires_after) != {"anchor", "seconds"}:
                raise InvalidInputError("expires_after must be {'anchor': 'created_at', 'seconds': N}",
                                        param="expires_after")
            # Nested fields travel in a form the way the API reads them: name[key]=value.
            fields += [(f"expires_after[{k}]", str(expires_after[k])) for k in ("anchor", "seconds")]
        source, name, size, opened = _open_source(file, filename)
        bar = None
        try:
            if progress or (progress is None and size >= PROGRESS_THRESHOLD):
                from tqdm.auto import tqdm

                bar = tqdm(total=size, unit="B", unit_scale=True, desc=f"upload {name}")
            body = MultipartBody(fields, "file", name, source, size, progress=bar)
            # Small uploads go as one bytes body; large ones stream from the source, never held in memory.
            data = body if bar is not None else b"".join(body)
            return self._transport.json("POST", "files", data=data, headers={"Content-Type": body.content_type})
        finally:
            if bar is not None:
                bar.close()
            if opened:
                source.close()

    def retrieve(self, file_id: str) -> APIObject:
        """A file's details (name, size, purpose, status)."""
        return self._get(f"files/{path_id(file_id, 'file_id')}")

    def list(self, *, purpose: str | None = None, limit: int | None = None, order: str | None = None,
             after: str | None = None):
        """Uploaded files, newest first, optionally only those of one `purpose`.

        Example:
            >>> f = client.files.create(file=("notes.txt", b"Io"), purpose="user_data")
            >>> set(client.files.list(purpose="user_data").to_frame()["purpose"])
            {'user_data'}
        """
        return self._list("files", {"purpose": purpose, "limit": limit, "order": order, "after": after})

    def delete(self, file_id: str) -> APIObject:
        """Delete a file; it is removed from every vector store too."""
        return self._delete(f"files/{path_id(file_id, 'file_id')}")

    def content(self, file_id: str, path: str | os.PathLike | None = None) -> bytes | Path:
        """A file's bytes; with `path`, they are streamed to that file instead and the path is returned.

        Example:
            >>> import pathlib, tempfile
            >>> f = client.files.create(file=("notes.txt", b"Mars is red."), purpose="assistants")
            >>> client.files.content(f.id)[:4]
            b'Mars'
            >>> copy = client.files.content(f.id, path=pathlib.Path(tempfile.mkdtemp()) / "copy.txt")
            >>> copy.read_bytes()
            b'Mars is red.'
        """
        response = self._transport.request("GET", f"files/{path_id(file_id, 'file_id')}/content",
                                           stream=path is not None, headers={"Accept": "*/*"})
        if path is None:
            return response.content
        target = Path(path).expanduser()
        try:
            with open(target, "wb") as out:
                for chunk in response.iter_content(chunk_size=_CHUNK):
                    out.write(chunk)
        finally:
            response.close()
        return target
