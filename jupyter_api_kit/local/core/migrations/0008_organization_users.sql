-- Organization users get their organization role (owner or reader) and the two descriptive fields
-- the API lets an admin set; the local owner, who holds the admin key, is an owner. Invitations are
-- kept until deleted.
ALTER TABLE org_users ADD COLUMN role TEXT NOT NULL DEFAULT 'reader';
ALTER TABLE org_users ADD COLUMN technical_level TEXT;
ALTER TABLE org_users ADD COLUMN developer_persona TEXT;
UPDATE org_users SET role = 'owner' WHERE id = 'user-local-owner';

CREATE TABLE org_invites (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    accepted_at INTEGER,
    projects TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX org_invites_email ON org_invites (email);
