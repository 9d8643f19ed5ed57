-- Conversations: a stored list of items (messages, tool calls and their outputs) that responses
-- read as their context and append to. Deleting a conversation keeps its items (the API says so):
-- they can still be referenced by id.
CREATE TABLE conversations (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}',
    deleted_at INTEGER
);

-- An item id is unique within its conversation; `response_id` names the response that added it.
CREATE TABLE conversation_items (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    response_id TEXT,
    created_at INTEGER NOT NULL,
    item TEXT NOT NULL,
    UNIQUE (conversation_id, id)
);
CREATE INDEX conversation_items_id ON conversation_items (id);
