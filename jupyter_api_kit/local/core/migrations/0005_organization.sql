-- The local organization: projects, their members, service accounts, keys, rate limits, certificates
-- and the audit log of every admin action. Keys are stored as SHA-256 hashes, never in clear.

-- Members of the local organization. The owner holds the admin key; users added to a project by
-- email become members on the way (the local server has no invitations).
CREATE TABLE org_users (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
INSERT INTO org_users (id, email, name, created_at)
VALUES ('user-local-owner', 'owner@localhost', 'Local owner', unixepoch());

CREATE TABLE projects (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    archived_at INTEGER,
    external_key_id TEXT,
    residency TEXT
);

CREATE TABLE project_users (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id TEXT NOT NULL REFERENCES projects (id),
    user_id TEXT NOT NULL REFERENCES org_users (id),
    role TEXT NOT NULL,
    added_at INTEGER NOT NULL,
    UNIQUE (project_id, user_id)
);

CREATE TABLE service_accounts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    project_id TEXT NOT NULL REFERENCES projects (id),
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    deleted_at INTEGER
);
CREATE INDEX service_accounts_project ON service_accounts (project_id, seq);

-- Deleted keys keep their row (deleted_at set) so that presenting one is a clear 401, not an
-- anonymous request on an open server.
CREATE TABLE project_api_keys (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    project_id TEXT NOT NULL REFERENCES projects (id),
    key_hash TEXT NOT NULL UNIQUE,
    redacted_value TEXT NOT NULL,
    name TEXT NOT NULL,
    owner_type TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    scopes TEXT NOT NULL DEFAULT '[]',
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    deleted_at INTEGER
);
CREATE INDEX project_api_keys_project ON project_api_keys (project_id, seq);

-- Only limits someone changed are stored; the others are the defaults in rate_limits.py.
CREATE TABLE project_rate_limits (
    project_id TEXT NOT NULL REFERENCES projects (id),
    model TEXT NOT NULL,
    limits TEXT NOT NULL,
    PRIMARY KEY (project_id, model)
);

CREATE TABLE audit_logs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    effective_at INTEGER NOT NULL,
    project_id TEXT,
    project_name TEXT,
    actor TEXT,
    actor_user_id TEXT,
    actor_key_id TEXT,
    actor_email TEXT,
    resource_id TEXT,
    details TEXT NOT NULL
);
CREATE INDEX audit_logs_effective ON audit_logs (effective_at);

CREATE TABLE certificates (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    name TEXT,
    created_at INTEGER NOT NULL,
    valid_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    fingerprint TEXT NOT NULL UNIQUE,
    content TEXT NOT NULL
);

-- scope '' is the organization; otherwise a project id.
CREATE TABLE certificate_activations (
    certificate_id TEXT NOT NULL REFERENCES certificates (id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    activated_at INTEGER NOT NULL,
    PRIMARY KEY (certificate_id, scope)
);

-- Per-project lookups: rate-limit windows and usage filtered by project.
CREATE INDEX usage_records_project_ts ON usage_records (project_id, ts);
