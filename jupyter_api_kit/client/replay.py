"""Replay: answer an identical request again from a local SQLite file, so a notebook reruns with the
same ids and answers (offline, for free, even when it was first run against the real API).

A request is identical when the server, the endpoint and the body (model, parameters, messages) are;
whether it was streamed does not matter. The file (`replay.db` in the user data directory, mode 0600)
holds the request body, the answer, its request id and what the caller noted about it, never a key
or a header. Modes: `"replay"` answers from the file when it can and records what it cannot,
`"record"` always asks the server and refreshes the file, `"off"` does neither.

In code, `Client(cache="replay")` (or `cache=ReplayCache(path, mode)`) replays non-streamed creates of
chat completions, legacy completions, responses, embeddings and moderations; a replayed result has
`.replayed == True`.

Example:
    >>> import tempfile, pathlib
    >>> cache = ReplayCache(pathlib.Path(tempfile.mkdtemp()) / "replay.db")
    >>> body = {"model": "local-ngram", "messages": [{"role": "user", "content": "Hi"}], "seed": 1}
    >>> cache.put("local", "chat/completions", body, {"id": "chatcmpl-1", "object": "chat.completion"},
    ...           request_id="req_1", info={"latency_s": 0.2})
    >>> hit = cache.get("local", "chat/completions", {**body, "stream": True})
    >>> hit.response["id"], hit.request_id, hit.info, hit.object().replayed
    ('chatcmpl-1', 'req_1', {'latency_s': 0.2}, True)
    >>> cache.get("local", "chat/completions", {**body, "seed": 2}) is None
    True
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from jupyter_api_kit.client.objects import APIObject
from jupyter_api_kit.errors import InvalidInputError

MODES = ("off", "replay", "record")
FILE_NAME = "replay.db"
#: endpoints whose creates are replayed; everything else always goes to the server
ENDPOINTS = ("chat/completions", "completions", "responses", "embeddings", "moderations")
#: body fields that change how an answer travels, not what it is
TRANSPORT_FIELDS = ("stream", "stream_options")

_SCHEMA = """CREATE TABLE IF NOT EXISTS replay (
    key TEXT PRIMARY KEY, server TEXT NOT NULL, endpoint TEXT NOT NULL, request TEXT NOT NULL,
    response TEXT NOT NULL, request_id TEXT, info TEXT NOT NULL, recorded_at REAL NOT NULL)"""


def check_mode(mode: str, name: str = "cache") -> str:
    """`mode` if it is one of off, replay, record; else an `InvalidInputError` naming the choices.

    Example:
        >>> check_mode("replay")
        'replay'
        >>> check_mode("on")
        Traceback (most recent call last):
        ...
        jupyter_api_kit.errors.InvalidInputError: cache must be one of off, replay, record; got 'on'
    """
    if mode not in MODES:
        raise InvalidInputError(f"{name} must be one of {', '.join(MODES)}; got {mode!r}", param=name)
    return mode


def server_key(client) -> str:
    """Which server a request went to, as the replay file tells servers apart: `local` for the embedded
    local server (its port changes from one process to the next), else the base URL without any
    credentials or query written into it.

    Example:
        >>> class Seen:
        ...     uses_local_server, base_url = False, "https://me:sk-secret@example.org/v1?key=x"
        >>> server_key(Seen())
        'https://example.org/v1'
    """
    if getattr(client, "uses_local_server", False):
        return "local"
    parts = urlsplit(client.base_url)
    return parts._replace(netloc=parts.netloc.rsplit("@", 1)[-1], query="", fragment="").geturl()


def request_key(server: str, endpoint: str, body: dict) -> str:
    """The identity of a request: a hash of the server, the endpoint and the body without its transport
    fields, with keys sorted so the order they were written in does not matter.

    Example:
        >>> request_key("local", "responses", {"b": 1, "a": 2}) == request_key("local", "responses", {"a": 2, "b": 1})
        True
    """
    kept = {k: v for k, v in body.items() if k not in TRANSPORT_FIELDS}
    text = json.dumps([server, endpoint.strip("/"), kept], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class Recorded:
    """One recorded answer: the response JSON, its request id, what the caller noted (`info`) and when."""

    response: dict
    request_id: str | None
    info: dict = field(default_factory=dict)
    recorded_at: float = 0.0

    def object(self) -> APIObject:
        """The answer as the client returns it, marked `replayed`."""
        obj = APIObject(self.response, request_id=self.request_id)
        obj.replayed = True
        return obj


class ReplayCache:
    """Recorded answers in one SQLite file (default `replay.db` in the user data directory).

    Several kernels may share the file: each call opens its own short connection.
    """

    def __init__(self, path: str | Path | None = None, mode: str = "replay"):
        if path is None:
            from jupyter_api_kit.config import data_dir

            path = data_dir() / FILE_NAME
        self.path = Path(path)
        self.mode = check_mode(mode)
        self._ready = False

    def __repr__(self) -> str:
        return f"ReplayCache({str(self.path)!r}, mode={self.mode!r})"

    def _connect(self) -> sqlite3.Connection:
        if not self._ready:
            from jupyter_api_kit.config import private_file

            private_file(self.path)  # owner-only before SQLite writes (its journal takes the same mode)
        db = sqlite3.connect(self.path, timeout=30)
        if not self._ready:
            with db:
                db.execute(_SCHEMA)
            self._ready = True
        return db

    def get(self, server: str, endpoint: str, body: dict) -> Recorded | None:
        """The recorded answer to this request, or None."""
        db = self._connect()
        try:
            row = db.execute("SELECT response, request_id, info, recorded_at FROM replay WHERE key = ?",
                             (request_key(server, endpoint, body),)).fetchone()
        finally:
            db.close()
        if row is None:
            return None
        return Recorded(json.loads(row[0]), row[1], json.loads(row[2]), row[3])

    def put(self, server: str, endpoint: str, body: dict, response: dict, *, request_id: str | None = None,
            info: dict | None = None) -> None:
        """Record (or replace) the answer to this request."""
        kept = {k: v for k, v in body.items() if k not in TRANSPORT_FIELDS}
        db = self._connect()
        try:
            with db:
                db.execute("INSERT OR REPLACE INTO replay VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           (request_key(server, endpoint, body), server, endpoint.strip("/"),
                            json.dumps(kept, ensure_ascii=False), json.dumps(response, ensure_ascii=False),
                            request_id, json.dumps(info or {}, ensure_ascii=False), time.time()))
        finally:
            db.close()

    def __len__(self) -> int:
        db = self._connect()
        try:
            return db.execute("SELECT count(*) FROM replay").fetchone()[0]
        finally:
            db.close()

    def clear(self) -> None:
        """Forget every recorded answer.

        Example:
            >>> import tempfile, pathlib
            >>> cache = ReplayCache(pathlib.Path(tempfile.mkdtemp()) / "r.db")
            >>> cache.put("local", "embeddings", {"input": "x"}, {"data": []}); cache.clear(); len(cache)
            0
        """
        db = self._connect()
        try:
            with db:
                db.execute("DELETE FROM replay")
        finally:
            db.close()

    def answer(self, server: str, endpoint: str, body: dict, call) -> APIObject:
        """The answer to a request as this cache's mode says: replayed if recorded (mode `replay`), else
        `call()` asked and recorded (modes `replay` and `record`), or just asked (mode `off`)."""
        if self.mode == "replay":
            hit = self.get(server, endpoint, body)
            if hit is not None:
                return hit.object()
        result = call()
        if self.mode != "off":
            self.put(server, endpoint, body, dict(result), request_id=getattr(result, "request_id", None))
        return result


def as_cache(cache) -> ReplayCache | None:
    """What `Client(cache=...)` accepts: None or "off" (no cache), "replay" or "record" (the file in the
    user data directory), or a `ReplayCache`.

    Example:
        >>> as_cache(None) is None, as_cache("off") is None
        (True, True)
    """
    if cache is None or cache == "off":
        return None
    if isinstance(cache, ReplayCache):
        return cache
    if isinstance(cache, str):
        return ReplayCache(mode=check_mode(cache))
    raise InvalidInputError(f"cache must be 'replay', 'record', 'off' or a ReplayCache, got {type(cache).__name__}",
                            param="cache")
