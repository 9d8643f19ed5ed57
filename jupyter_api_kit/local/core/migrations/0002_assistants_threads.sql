-- Assistants, threads, their messages, runs and run steps.
-- Each row keeps the API object as served in `body` (JSON); the columns beside it are what queries
-- filter and page on. Deleting a thread deletes its messages, runs and steps.
CREATE TABLE assistants (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    body TEXT NOT NULL
);

CREATE TABLE threads (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    body TEXT NOT NULL
);

CREATE TABLE thread_messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    thread_id TEXT NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    run_id TEXT,
    body TEXT NOT NULL
);
CREATE INDEX thread_messages_thread ON thread_messages (thread_id, seq);

-- `expires_at` is the exact (fractional) deadline; the object shows it rounded up to a second.
-- `principal` is who created the run, so the usage recorded by the background worker is attributed.
CREATE TABLE thread_runs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    thread_id TEXT NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    expires_at REAL,
    principal TEXT NOT NULL DEFAULT '{}',
    options TEXT NOT NULL DEFAULT '{}',
    body TEXT NOT NULL
);
CREATE INDEX thread_runs_thread ON thread_runs (thread_id, seq);
CREATE INDEX thread_runs_status ON thread_runs (thread_id, status);

CREATE TABLE thread_run_steps (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    run_id TEXT NOT NULL REFERENCES thread_runs (id) ON DELETE CASCADE,
    body TEXT NOT NULL
);
CREATE INDEX thread_run_steps_run ON thread_run_steps (run_id, seq);
