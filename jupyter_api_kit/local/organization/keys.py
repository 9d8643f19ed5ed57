"""Keys of the local organization: the admin key, and project keys that work as API keys.

- The admin key opens the organization endpoints (projects, audit logs, certificates, usage, costs).
  It is `create_app(admin_key=...)`/`start_local_server(admin_key=...)`/`serve --admin-key`, or, when
  none is given, a random key made at start and kept in memory only (`app.state.admin_key`): it is
  never stored, logged or served, so only the process that started the server (or the person who
  started `serve`, which prints it) can use it.
- A project key (issued with a service account) authenticates model requests on the server; the
  request is then attributed to its project, key and service account in usage. Keys are stored as
  SHA-256 hashes. A deleted key, or a key of an archived project, is refused with a 401.
- On the organization endpoints a project key is a 403, no key or a wrong key a 401; the server's API
  key is a wrong key there: only the admin key manages the organization.

Example:
    >>> value = new_secret("sk-svcacct-")
    >>> value.startswith("sk-svcacct-"), len(key_hash(value)), redact("sk-svcacct-abcdefghijkl")
    (True, 64, 'sk-svcac***ijkl')
"""

from __future__ import annotations

import hashlib
import secrets
import time

from starlette.requests import Request

from jupyter_api_kit.local.core.auth import Principal, bearer_token, same_key
from jupyter_api_kit.local.core.errors import Forbidden, Unauthorized

OWNER_ID = "user-local-owner"
OWNER_EMAIL = "owner@localhost"
ADMIN_KEY_ID = "key_local_admin"
LAST_USED_EVERY = 60  # seconds: `last_used_at` is refreshed at most this often, not on every request

ADMIN_HINT = "the client reads it from admin_key= or OPENAI_ADMIN_KEY"


def new_secret(prefix: str) -> str:
    """A fresh key value with 256 bits of randomness."""
    return f"{prefix}{secrets.token_urlsafe(32)}"


def key_hash(value: str) -> str:
    """The SHA-256 hex digest a project key is stored and looked up by (the key itself is never stored).

    Example:
        >>> key_hash("sk-svcacct-abc") == key_hash("sk-svcacct-abc"), len(key_hash("sk-svcacct-abc"))
        (True, 64)
    """
    return hashlib.sha256(value.encode()).hexdigest()


def redact(value: str) -> str:
    """What listings show of a key: enough to recognise it, not enough to use it."""
    return f"{value[:8]}***{value[-4:]}"


def admin_principal() -> Principal:
    """The caller behind the admin key: the local organization's owner, acting with the admin key.

    Example:
        >>> p = admin_principal()
        >>> p.is_admin, p.user_id, p.api_key_id
        (True, 'user-local-owner', 'key_local_admin')
    """
    return Principal(user_id=OWNER_ID, api_key_id=ADMIN_KEY_ID, is_admin=True)


def live_project_key(store, token: str):
    """The key row (with its project) for a project key, None if `token` is not one; raises a 401
    for a key that was deleted, whose service account was deleted, or whose project is archived."""
    row = store.one(
        "SELECT k.id, k.project_id, k.owner_type, k.owner_id, k.deleted_at, k.last_used_at, "
        "p.archived_at, s.deleted_at AS owner_deleted_at FROM project_api_keys k "
        "JOIN projects p ON p.id = k.project_id "
        "LEFT JOIN service_accounts s ON k.owner_type = 'service_account' AND s.id = k.owner_id "
        "WHERE k.key_hash = ?", (key_hash(token),))
    if row is None:
        return None
    if row["deleted_at"] is not None or row["owner_deleted_at"] is not None:
        raise Unauthorized("Incorrect API key provided: this project key has been deleted.")
    if row["archived_at"] is not None:
        raise Unauthorized(f"Incorrect API key provided: project '{row['project_id']}' is archived and its keys "
                           "no longer work.", code="project_archived")
    return row


def principal_for_key(row) -> Principal:
    """The caller behind a live project key row: its project and key, and its service account (or
    user) as the owner, so usage is attributed to them.

    Example:
        >>> row = {"project_id": "proj_1", "id": "key_1", "owner_type": "service_account", "owner_id": "svc_acct_1"}
        >>> p = principal_for_key(row)
        >>> p.project_id, p.service_account_id, p.user_id, p.is_admin
        ('proj_1', 'svc_acct_1', None, False)
    """
    service_account = row["owner_id"] if row["owner_type"] == "service_account" else None
    user = row["owner_id"] if row["owner_type"] == "user" else None
    return Principal(project_id=row["project_id"], api_key_id=row["id"], service_account_id=service_account,
                     user_id=user)


def _touch(store, row) -> None:
    now = int(time.time())
    if row["last_used_at"] is None or now - row["last_used_at"] >= LAST_USED_EVERY:
        store.execute("UPDATE project_api_keys SET last_used_at = ? WHERE id = ?", (now, row["id"]))


def resolve_key(token: str, request) -> Principal | None:
    """Key resolver registered on the app: the admin key and project keys."""
    state = request.app.state
    if same_key(token, state.admin_key):
        return admin_principal()
    row = live_project_key(state.store, token)
    if row is None:
        return None
    _touch(state.store, row)
    return principal_for_key(row)



def require_admin(request: Request) -> Principal:
    """FastAPI dependency of every organization endpoint: the admin principal, or a 401/403."""
    state = request.app.state
    token = bearer_token(request)
    if token is None:
        raise Unauthorized("Organization endpoints need an admin key: send it as 'Authorization: Bearer "
                           f"<admin key>' ({ADMIN_HINT}).", code="missing_api_key")
    if same_key(token, state.admin_key):
        return admin_principal()
    if live_project_key(state.store, token) is not None:
        raise Forbidden("Project API keys cannot manage the organization: this endpoint needs an admin key "
                        f"({ADMIN_HINT}).")
    raise Unauthorized(f"Incorrect admin key provided ({ADMIN_HINT}).")


def actor(principal: Principal) -> dict:
    """The audit log's `actor` for an admin request."""
    return {"type": "api_key",
            "api_key": {"id": principal.api_key_id or ADMIN_KEY_ID, "type": "user",
                        "user": {"id": principal.user_id or OWNER_ID, "email": OWNER_EMAIL}}}
