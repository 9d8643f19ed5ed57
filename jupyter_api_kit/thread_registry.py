"""The threads this toolkit knows about, per server, kept in the user data directory.

The API has no "list threads" operation, so the client remembers every thread it creates or is
given (`threads.json` in `jupyter_api_kit.config.data_dir()`), per server: the base URL, or
`local` for the embedded local server (whose port changes from one process to the next while its
database stays). `Threads.known()` checks the list against the server and drops deleted threads.

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
from pathlib import Path

FILE_NAME = "threads.json"
_lock = threading.Lock()


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

    def _read(self) -> dict:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"version": 1, "servers": {}}  # missing or damaged: start afresh rather than fail
        if not isinstance(data, dict) or not isinstance(data.get("servers"), dict):
            return {"version": 1, "servers": {}}
        return data

    def _write(self, data: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Write a sibling file and rename it over the old one: a crash never leaves half a file.
        fd, tmp = tempfile.mkstemp(prefix=".threads-", suffix=".json", dir=self.path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1)
        os.replace(tmp, self.path)

    def entries(self) -> list[dict]:
        """Every remembered thread: `id`, `created_at`, `metadata`, `remembered_at`."""
        with _lock:
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
        with _lock:
            data = self._read()  # re-read: another notebook may have added threads meanwhile
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
        with _lock:
            data = self._read()
            known = data["servers"].get(self.key, [])
            kept = [e for e in known if e["id"] != thread_id]
            if len(kept) == len(known):
                return False
            data["servers"][self.key] = kept
            self._write(data)
            return True
