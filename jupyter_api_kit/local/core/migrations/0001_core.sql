-- Stored chat completions: the response as served, the request messages and the metadata.
CREATE TABLE chat_completions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    created INTEGER NOT NULL,
    model TEXT NOT NULL,
    response TEXT NOT NULL,
    request TEXT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX chat_completions_model ON chat_completions (model, seq);

CREATE TABLE chat_completion_messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    completion_id TEXT NOT NULL REFERENCES chat_completions (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX chat_completion_messages_completion ON chat_completion_messages (completion_id, position);

-- Every request the server serves, so the usage and costs endpoints answer with real figures.
CREATE TABLE usage_records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts INTEGER NOT NULL,
    kind TEXT NOT NULL,
    model TEXT,
    project_id TEXT,
    user_id TEXT,
    api_key_id TEXT,
    service_account_id TEXT,
    batch INTEGER NOT NULL DEFAULT 0,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    input_cached_tokens INTEGER NOT NULL DEFAULT 0,
    input_audio_tokens INTEGER NOT NULL DEFAULT 0,
    output_audio_tokens INTEGER NOT NULL DEFAULT 0,
    num_model_requests INTEGER NOT NULL DEFAULT 1,
    quantity REAL NOT NULL DEFAULT 0
);
CREATE INDEX usage_records_kind_ts ON usage_records (kind, ts);
