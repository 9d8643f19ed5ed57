-- Uploaded files. The bytes live on disk under the storage directory, named by the file id (never by the
-- user's filename); size and sha256 are recorded here so a damaged or missing file is detectable.
CREATE TABLE files (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    filename TEXT NOT NULL,
    purpose TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'processed',
    expires_at INTEGER
);
CREATE INDEX files_purpose ON files (purpose, seq);
CREATE INDEX files_expires_at ON files (expires_at) WHERE expires_at IS NOT NULL;

-- Vector stores. file_counts and usage_bytes are computed from vector_store_files when read, so they
-- cannot drift from the truth.
CREATE TABLE vector_stores (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    metadata TEXT NOT NULL DEFAULT '{}',
    expires_after TEXT,
    last_active_at INTEGER,
    chunking_strategy TEXT
);

CREATE TABLE vector_store_file_batches (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    vector_store_id TEXT NOT NULL REFERENCES vector_stores (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    cancelled INTEGER NOT NULL DEFAULT 0
);

-- A file attached to a store. Deleting the file (or the store) removes the attachment and its chunks.
CREATE TABLE vector_store_files (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    vector_store_id TEXT NOT NULL REFERENCES vector_stores (id) ON DELETE CASCADE,
    file_id TEXT NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    batch_id TEXT REFERENCES vector_store_file_batches (id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'in_progress',
    last_error TEXT,
    usage_bytes INTEGER NOT NULL DEFAULT 0,
    attributes TEXT,
    chunking_strategy TEXT NOT NULL,
    UNIQUE (vector_store_id, file_id)
);
CREATE INDEX vector_store_files_batch ON vector_store_files (batch_id);
CREATE INDEX vector_store_files_file ON vector_store_files (file_id);

-- Chunks with their embeddings (float32, L2-normalised, as raw bytes).
CREATE TABLE vector_store_chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    vector_store_id TEXT NOT NULL,
    file_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    text TEXT NOT NULL,
    tokens INTEGER NOT NULL,
    embedding BLOB NOT NULL,
    FOREIGN KEY (vector_store_id, file_id) REFERENCES vector_store_files (vector_store_id, file_id)
        ON DELETE CASCADE
);
CREATE INDEX vector_store_chunks_store ON vector_store_chunks (vector_store_id, file_id, position);

-- Responses: the response object as served, the request that made it, and its input/output items.
CREATE TABLE responses (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    status TEXT NOT NULL,
    previous_response_id TEXT,
    stored INTEGER NOT NULL DEFAULT 1,
    response TEXT NOT NULL,
    request TEXT NOT NULL
);

CREATE TABLE response_items (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    response_id TEXT NOT NULL REFERENCES responses (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,           -- 'input' or 'output'
    position INTEGER NOT NULL,
    item TEXT NOT NULL
);
CREATE INDEX response_items_response ON response_items (response_id, kind, position);
