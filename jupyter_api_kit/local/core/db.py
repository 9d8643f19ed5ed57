"""SQLite state: one file in WAL mode (or `:memory:`), numbered migrations, short transactions.

Migrations are the files `migrations/NNNN_name.sql`, applied in order once each and recorded in
`schema_migrations`. One connection is shared by the server's threads behind a lock: the local
server's load is one notebook, and a single writer keeps SQLite simple and safe.

Example:
    >>> store.version() >= 1
    True
    >>> with store.tx() as db:
    ...     _ = db.execute("SELECT 1")
"""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import contextmanager
from importlib import resources
from pathlib import Path


def dumps(value) -> str:
    """Compact JSON for a TEXT column (non-ASCII kept as is).

    Example:
        >>> dumps({"name": "Zoë", "ids": [1, 2]})
        '{"name":"Zoë","ids":[1,2]}'
    """
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def loads(text):
    """The value of a JSON TEXT column; NULL stays None.

    Example:
        >>> loads('{"a": 1}'), loads(None)
        ({'a': 1}, None)
    """
    return None if text is None else json.loads(text)


def _migration_files() -> list[tuple[int, str, str]]:
    found = []
    for entry in resources.files("jupyter_api_kit.local.core").joinpath("migrations").iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    found.sort()
    for (version, first, _), (again, second, _) in zip(found, found[1:]):
        if version == again:  # the second would be skipped silently on every database that has the first
            raise RuntimeError(f"two migrations share the number {version:04d}: {first} and {second}")
    return found


def _private_database(path: Path) -> None:
    """Make the database file owner-only (0600) before SQLite opens it: SQLite gives the WAL and
    shared-memory files it creates the database's own mode, so they are private too. Files left by an
    older, wider setup are narrowed."""
    from jupyter_api_kit.config import private_file

    private_file(path)
    for sibling in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if sibling.exists():
            private_file(sibling)


class Store:
    """The local server's database."""

    def __init__(self, path: str | Path = ":memory:"):
        self.path = str(path)
        if self.path != ":memory:":
            _private_database(Path(self.path))
        self._lock = threading.RLock()
        self.db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA foreign_keys = ON")
        if self.path != ":memory:":
            self.db.execute("PRAGMA journal_mode = WAL")
            # NORMAL in WAL mode keeps every committed transaction if the process is killed.
            self.db.execute("PRAGMA synchronous = NORMAL")
        self.migrate()

    def migrate(self) -> list[str]:
        """Apply migrations not yet applied; returns their names."""
        applied = []
        with self.tx() as db:
            db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                       "name TEXT NOT NULL, applied_at INTEGER NOT NULL DEFAULT (unixepoch()))")
            done = {row[0] for row in db.execute("SELECT version FROM schema_migrations")}
            for version, name, sql in _migration_files():
                if version in done:
                    continue
                for statement in _statements(sql):
                    db.execute(statement)
                db.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", (version, name))
                applied.append(name)
        return applied

    def version(self) -> int:
        """The highest migration number applied to this database.

        Example:
            >>> Store(":memory:").version() == max(v for v, _name, _sql in _migration_files())
            True
        """
        row = self.db.execute("SELECT max(version) FROM schema_migrations").fetchone()
        return row[0] or 0

    @contextmanager
    def tx(self):
        """A write transaction (BEGIN IMMEDIATE ... COMMIT, rolled back on error)."""
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            else:
                self.db.execute("COMMIT")

    def all(self, sql: str, params=()) -> list[sqlite3.Row]:
        """Every row of a read query, as `sqlite3.Row`s (index by column name).

        Example:
            >>> [row["name"] for row in store.all("SELECT name FROM schema_migrations ORDER BY version LIMIT 1")]
            ['0001_core.sql']
        """
        with self._lock:
            return self.db.execute(sql, params).fetchall()

    def one(self, sql: str, params=()) -> sqlite3.Row | None:
        """The first row of a read query, or None.

        Example:
            >>> Store(":memory:").one("SELECT 1 AS x")["x"], Store(":memory:").one("SELECT 1 WHERE 0")
            (1, None)
        """
        with self._lock:
            return self.db.execute(sql, params).fetchone()

    def execute(self, sql: str, params=()) -> int:
        """Run one write statement in its own transaction; returns the number of rows changed."""
        with self.tx() as db:
            return db.execute(sql, params).rowcount

    def close(self) -> None:
        """Close the database connection (the server does this when it stops).

        Example:
            >>> store.close()
        """
        with self._lock:
            self.db.close()


def _statements(sql: str) -> list[str]:
    # executescript() would commit our transaction; split on complete statements instead.
    out, current = [], ""
    for line in sql.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            if current.strip():
                out.append(current.strip())
            current = ""
    if current.strip():
        out.append(current.strip())
    return out
