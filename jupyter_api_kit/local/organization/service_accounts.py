"""Service accounts and project API keys of the local organization.

Creating a service account issues its key, shown once in the response and stored only as a hash;
that key then works as an API key on this server (see `org_keys.resolve_key`).

Example:
    >>> from jupyter_api_kit.local.organization.store import create_project
    >>> project = create_project(store, admin_principal(), {"name": "Bots"})
    >>> account = create_service_account(store, admin_principal(), project["id"], {"name": "ci"})
    >>> account["api_key"]["value"].startswith("sk-svcacct-")
    True
    >>> list_keys(store, project["id"], Cursor())["data"][0]["owner"]["type"]
    'service_account'
"""

from __future__ import annotations

import time

from jupyter_api_kit.local.core.auth import Principal
from jupyter_api_kit.local.core.db import dumps
from jupyter_api_kit.local.core.errors import BadRequest, NotFound
from jupyter_api_kit.local.core.ids import new_id
from jupyter_api_kit.local.core.paging import Cursor
from jupyter_api_kit.local.organization import audit
from jupyter_api_kit.local.organization.keys import key_hash, new_secret, redact
from jupyter_api_kit.local.organization.store import (
    MAX_NAME,
    active_project,
    get_project,
    page_where,
)

KEY_PREFIX = "sk-svcacct-"


# ---- service accounts -----------------------------------------------------------------------------

def account_object(row) -> dict:
    """The API's `organization.project.service_account` object for a `service_accounts` row.

    Example:
        >>> account_object({"id": "svc_acct_1", "name": "ci", "role": "member", "created_at": 1700000000})["role"]
        'member'
    """
    return {"object": "organization.project.service_account", "id": row["id"], "name": row["name"],
            "role": row["role"], "created_at": row["created_at"]}


def get_account(store, project_id: str, account_id: str):
    """The live (not deleted) service account row, or a 404 naming `service_account_id`.

    Example:
        >>> from jupyter_api_kit.local.organization.store import create_project
        >>> project = create_project(store, admin_principal(), {"name": "Bots"})
        >>> get_account(store, project["id"], "svc_acct_missing")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.NotFound: No service account 'svc_acct_missing' in project 'proj_...'.
    """
    get_project(store, project_id)
    row = store.one("SELECT * FROM service_accounts WHERE project_id = ? AND id = ? AND deleted_at IS NULL",
                    (project_id, account_id))
    if row is None:
        raise NotFound(f"No service account '{account_id}' in project '{project_id}'.", param="service_account_id")
    return row


def _issue_key(db, project_id: str, owner_type: str, owner_id: str, name: str, scopes: list) -> dict:
    """Insert a new key; returns the one-time object carrying its value."""
    value = new_secret(KEY_PREFIX)
    key_id = new_id("key_")
    created = int(time.time())
    db.execute("INSERT INTO project_api_keys (id, project_id, key_hash, redacted_value, name, owner_type, owner_id, "
               "scopes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
               (key_id, project_id, key_hash(value), redact(value), name, owner_type, owner_id, dumps(scopes),
                created))
    return {"object": "organization.project.service_account.api_key", "value": value, "name": name,
            "created_at": created, "id": key_id}


def create_service_account(store, principal: Principal, project_id: str, body: dict) -> dict:
    """`POST /organization/projects/{id}/service_accounts`: a new service account and, unless
    `create_service_account_only`, its first API key, whose value appears in this answer only.

    Example:
        >>> from jupyter_api_kit.local.organization.store import create_project
        >>> project = create_project(store, admin_principal(), {"name": "Bots"})
        >>> only = create_service_account(store, admin_principal(), project["id"],
        ...                               {"name": "bot", "create_service_account_only": True})
        >>> only["name"], only["api_key"]
        ('bot', None)
    """
    project = active_project(store, project_id)
    name = body["name"]
    if not name.strip():
        raise BadRequest("Invalid 'name': empty string. Give the service account a name.", param="name")
    only_account = bool(body.get("create_service_account_only"))
    account_id = new_id("svc_acct_")
    created = int(time.time())
    where = (project_id, project["name"])
    with store.tx() as db:
        db.execute("INSERT INTO service_accounts (id, project_id, name, role, created_at) VALUES (?, ?, ?, ?, ?)",
                   (account_id, project_id, name, "member", created))
        audit.record(db, "service_account.created", principal, project=where, resource_id=account_id,
                     details={"id": account_id, "data": {"role": "member"}})
        key = None
        if not only_account:
            key = _issue_key(db, project_id, "service_account", account_id, "Secret Key", [])
            audit.record(db, "api_key.created", principal, project=where, resource_id=key["id"],
                         details={"id": key["id"], "data": {"scopes": []}})
    return {"object": "organization.project.service_account", "id": account_id, "name": name, "role": "member",
            "created_at": created, "api_key": key}


def create_account_key(store, principal: Principal, project_id: str, account_id: str, body: dict) -> dict:
    """Another key for an existing service account."""
    project = active_project(store, project_id)
    get_account(store, project_id, account_id)
    name, scopes = body.get("name") or "Secret Key", body.get("scopes") or []
    with store.tx() as db:
        key = _issue_key(db, project_id, "service_account", account_id, name, scopes)
        audit.record(db, "api_key.created", principal, project=(project_id, project["name"]), resource_id=key["id"],
                     details={"id": key["id"], "data": {"scopes": scopes}})
    return key


def list_accounts(store, project_id: str, cursor: Cursor) -> dict:
    """`GET /organization/projects/{id}/service_accounts`: one page of the live accounts, oldest first.

    Example:
        >>> from jupyter_api_kit.local.organization.store import create_project
        >>> project = create_project(store, admin_principal(), {"name": "Bots"})
        >>> _ = create_service_account(store, admin_principal(), project["id"], {"name": "ci"})
        >>> [a["name"] for a in list_accounts(store, project["id"], Cursor())["data"]]
        ['ci']
    """
    get_project(store, project_id)
    return page_where(store, "service_accounts", cursor, account_object,
                      where="project_id = ? AND deleted_at IS NULL", params=(project_id,))


def delete_account(store, principal: Principal, project_id: str, account_id: str) -> dict:
    """`DELETE .../service_accounts/{id}`: delete the account; its keys are deleted with it, so
    requests made with them get a 401.

    Example:
        >>> from jupyter_api_kit.local.organization.store import create_project
        >>> project = create_project(store, admin_principal(), {"name": "Bots"})
        >>> account = create_service_account(store, admin_principal(), project["id"], {"name": "ci"})
        >>> delete_account(store, admin_principal(), project["id"], account["id"])["deleted"]
        True
        >>> list_keys(store, project["id"], Cursor())["data"]
        []
    """
    project = get_project(store, project_id)
    get_account(store, project_id, account_id)
    now = int(time.time())
    with store.tx() as db:
        db.execute("UPDATE service_accounts SET deleted_at = ? WHERE id = ?", (now, account_id))
        # Its keys die with it: they are kept (deleted) so that using one is a clear 401.
        db.execute("UPDATE project_api_keys SET deleted_at = ? WHERE owner_id = ? AND deleted_at IS NULL",
                   (now, account_id))
        audit.record(db, "service_account.deleted", principal, project=(project_id, project["name"]),
                     resource_id=account_id, details={"id": account_id})
    return {"object": "organization.project.service_account.deleted", "id": account_id, "deleted": True}


# ---- project API keys -----------------------------------------------------------------------------

KEY_COLUMNS = ("SELECT k.*, s.name AS owner_name, s.role AS owner_role, s.created_at AS owner_created_at, "
               "s.deleted_at AS owner_deleted_at FROM project_api_keys k "
               "LEFT JOIN service_accounts s ON k.owner_type = 'service_account' AND s.id = k.owner_id")


def key_object(row) -> dict:
    """The API's `organization.project.api_key` object for a row of `KEY_COLUMNS` (redacted value,
    owner with its service account).

    Example:
        >>> from jupyter_api_kit.local.organization.store import create_project
        >>> project = create_project(store, admin_principal(), {"name": "Bots"})
        >>> account = create_service_account(store, admin_principal(), project["id"], {"name": "ci"})
        >>> key = key_object(get_key(store, project["id"], account["api_key"]["id"]))
        >>> key["owner"]["service_account"]["name"], key["redacted_value"].startswith("sk-svcac***")
        ('ci', True)
    """
    owner = {"type": row["owner_type"]}
    if row["owner_type"] == "service_account":
        owner["service_account"] = {"id": row["owner_id"], "name": row["owner_name"] or "",
                                    "created_at": row["owner_created_at"] or row["created_at"],
                                    "role": row["owner_role"] or "member"}
    access = "inactive" if row["owner_deleted_at"] is not None else "active"
    return {"object": "organization.project.api_key", "redacted_value": row["redacted_value"], "name": row["name"],
            "created_at": row["created_at"], "last_used_at": row["last_used_at"], "id": row["id"],
            "owner_project_access": access, "owner": owner}


def get_key(store, project_id: str, key_id: str):
    """The live key row (with its owner's columns) of `key_id` in a project, or a 404 naming `api_key_id`.

    Example:
        >>> from jupyter_api_kit.local.organization.store import create_project
        >>> project = create_project(store, admin_principal(), {"name": "Bots"})
        >>> get_key(store, project["id"], "key_missing")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.NotFound: No API key 'key_missing' in project 'proj_...'.
    """
    get_project(store, project_id)
    row = store.one(f"{KEY_COLUMNS} WHERE k.project_id = ? AND k.id = ? AND k.deleted_at IS NULL",
                    (project_id, key_id))
    if row is None:
        raise NotFound(f"No API key '{key_id}' in project '{project_id}'.", param="api_key_id")
    return row


def list_keys(store, project_id: str, cursor: Cursor, access: str | None = None) -> dict:
    """`GET /organization/projects/{id}/api_keys`: one page of the project's live keys, oldest first;
    `owner_project_access` (active, inactive, any) filters by whether the owner still exists.

    Example:
        >>> from jupyter_api_kit.local.organization.store import create_project
        >>> project = create_project(store, admin_principal(), {"name": "Bots"})
        >>> _ = create_service_account(store, admin_principal(), project["id"], {"name": "ci"})
        >>> page = list_keys(store, project["id"], Cursor(), access="active")
        >>> [k["owner_project_access"] for k in page["data"]]
        ['active']
    """
    get_project(store, project_id)
    where = "project_id = ? AND deleted_at IS NULL"
    if access == "active":
        where += " AND owner_deleted_at IS NULL"
    elif access == "inactive":
        where += " AND owner_deleted_at IS NOT NULL"
    return page_where(store, f"({KEY_COLUMNS})", cursor, key_object, where=where, params=(project_id,))


def delete_key(store, principal: Principal, project_id: str, key_id: str) -> dict:
    """`DELETE /organization/projects/{id}/api_keys/{key_id}`: the key stops working at once.

    Example:
        >>> from jupyter_api_kit.local.organization.store import create_project
        >>> project = create_project(store, admin_principal(), {"name": "Bots"})
        >>> account = create_service_account(store, admin_principal(), project["id"], {"name": "ci"})
        >>> delete_key(store, admin_principal(), project["id"], account["api_key"]["id"])["object"]
        'organization.project.api_key.deleted'
    """
    project = get_project(store, project_id)
    get_key(store, project_id, key_id)
    with store.tx() as db:
        db.execute("UPDATE project_api_keys SET deleted_at = ? WHERE id = ?", (int(time.time()), key_id))
        audit.record(db, "api_key.deleted", principal, project=(project_id, project["name"]), resource_id=key_id,
                     details={"id": key_id})
    return {"object": "organization.project.api_key.deleted", "id": key_id, "deleted": True}
