"""The threads this toolkit knows about, per server, kept in the user data directory.

The API has no "list threads" operation, so the client remembers every thread it creates or is
given (`threads.json` in `jupyter_api_kit.config.data_dir()`), per server: the base URL, or
`local` for the embedded local server (whose port changes from one process to the next while its
database stays). `Threads.known()` checks the list against the server and drops deleted threads.

Several kernels may remember threads at once: every change re-reads the file and writes it back
while holding an exclusive lock on a sidecar file (`threads.json.lock`), and the new content
replaces the old in one rename, so no kernel's change is lost and no reader sees half a file. Both
files are readable by their owner only (mode 0600).

Example:
    >>> import tempfile, pathlib
    >>> reg = ThreadRegistry("http://127.0.0.1:8765/v1", path=pathlib.Path(tempfile.mkdtemp()) / "threads.json")
    >>> reg.remember({"id": "thread_1", "created_at": 1700000000, "metadata": {"topic": "demo"}})
    >>> [e["id"] for e in reg.entries()], reg.forget("thread_1"), reg.entries()
    (['thread_1'], True, [])
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from jupyter_api_kit.config import PRIVATE_FILE_MODE, private_dir

try:
    import fcntl
except ImportError:  # Windows: kernels of one process still exclude each other with the thread lock
    fcntl = None

FILE_NAME = "threads.json"
_lock = threading.Lock()


@contextmanager
def file_lock(path: Path):
    """Hold an exclusive lock on `path` (created with mode 0600 if missing), across processes where the
    platform has `fcntl`, and across the threads of this process always.

    Example:
        >>> import tempfile, pathlib
        >>> lock = pathlib.Path(tempfile.mkdtemp()) / "x.lock"
        >>> with file_lock(lock):
        ...     oct(lock.stat().st_mode & 0o777)
        '0o600'
    """
    with _lock:
        private_dir(path.parent)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE_MODE)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock


def default_path() -> Path:
    """Where the remembered threads are kept: `threads.json` in the user data directory.

    Example:
        >>> import os, tempfile
        >>> from unittest import mock
        >>> with mock.patch.dict(os.environ, {"JUPYTER_API_KIT_DATA_DIR": tempfile.mkdtemp()}):
        ...     default_path().name
        'threads.json'
    """
    from jupyter_api_kit.config import data_dir

    return data_dir() / FILE_NAME


class ThreadRegistry:
    """The remembered threads of one server (`key`), newest last."""

    def __init__(self, key: str, path: Path | None = None):
        self.key = key
        self.path = Path(path) if path is not None else default_path()
        self.lock_path = self.path.with_name(self.path.name + ".lock")

    def _read(self) -> dict:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"version": 1, "servers": {}}  # missing or damaged: start afresh rather than fail
        if not isinstance(data, dict) or not isinstance(data.get("servers"), dict):
            return {"version": 1, "servers": {}}
        return data

    def _write(self, data: dict) -> None:
        private_dir(self.path.parent)
        # Write a sibling file (mkstemp makes it 0600) and rename it over the old one: a crash never
        # leaves half a file, and a reader sees the old content or the new.
        fd, tmp = tempfile.mkstemp(prefix=".threads-", suffix=".json", dir=self.path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1)
        os.replace(tmp, self.path)

    def entries(self) -> list[dict]:
        """Every remembered thread: `id`, `created_at`, `metadata`, `remembered_at`."""
        return list(self._read()["servers"].get(self.key, []))

    def ids(self) -> list[str]:
        """The ids of the remembered threads, oldest first.

        Example:
            >>> import tempfile, pathlib
            >>> reg = ThreadRegistry("local", path=pathlib.Path(tempfile.mkdtemp()) / "threads.json")
            >>> reg.remember("thread_1"); reg.remember({"id": "thread_2", "metadata": {}})
            >>> reg.ids()
            ['thread_1', 'thread_2']
        """
        return [e["id"] for e in self.entries()]

    def remember(self, thread) -> None:
        """Add a thread (an object with `id`, or just the id), or refresh what is kept about it."""
        entry = {"id": thread} if isinstance(thread, str) else {
            "id": thread["id"], "created_at": thread.get("created_at"), "metadata": dict(thread.get("metadata") or {})}
        with file_lock(self.lock_path):
            data = self._read()  # re-read: another kernel may have added threads meanwhile
            known = data["servers"].setdefault(self.key, [])
            for item in known:
                if item["id"] == entry["id"]:
                    item.update({k: v for k, v in entry.items() if v is not None})
                    break
            else:
                known.append({"created_at": None, "metadata": {}, **entry, "remembered_at": int(time.time())})
            self._write(data)

    def forget(self, thread_id: str) -> bool:
        """Drop a thread; True if it was known."""
        with file_lock(self.lock_path):
            data = self._read()
            known = data["servers"].get(self.key, [])
            kept = [e for e in known if e["id"] != thread_id]
            if len(kept) == len(known):
                return False
            data["servers"][self.key] = kept
            self._write(data)
            return True
