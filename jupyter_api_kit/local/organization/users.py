"""The local organization's users: list (by email too), retrieve, change the organization role,
remove. Its owner, who holds the admin key, is always a user; people added to a project by email
join on the way. Every change is one transaction that also writes its audit log event.

The ids listed here are what `POST /organization/projects/{id}/users` takes as `user_id`.

Example:
    >>> [(u["id"], u["role"]) for u in list_users(store, UsersQuery())["data"]]
    [('user-local-owner', 'owner')]
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from jupyter_api_kit.local.core.auth import Principal
from jupyter_api_kit.local.core.errors import BadRequest, found
from jupyter_api_kit.local.core.paging import Cursor
from jupyter_api_kit.local.core.request_models import BodyModel, QueryModel
from jupyter_api_kit.local.organization import audit
from jupyter_api_kit.local.organization.store import page_where
from jupyter_api_kit.spec import ORG_ROLES



class UsersQuery(QueryModel):
    """`GET /organization/users`: a page of users, oldest first, optionally only these `emails`."""

    limit: int = Field(20, ge=1, le=100)
    after: str | None = None
    emails: list[str] = []


class UserUpdateBody(BodyModel):
    """`POST /organization/users/{id}`: the user's organization role and descriptive fields."""

    role: Literal[ORG_ROLES] | None = None
    role_id: str | None = None
    technical_level: str | None = Field(None, max_length=256)
    developer_persona: str | None = Field(None, max_length=256)


def user_object(row) -> dict:
    """The API's `organization.user` object for an `org_users` row.

    Example:
        >>> user_object({"id": "user-1", "name": "Ada", "email": "ada@example.org", "role": "reader",
        ...              "created_at": 1700000000, "technical_level": None, "developer_persona": None})["added_at"]
        1700000000
    """
    return {"object": "organization.user", "id": row["id"], "name": row["name"], "email": row["email"],
            "role": row["role"], "added_at": row["created_at"], "technical_level": row["technical_level"],
            "developer_persona": row["developer_persona"]}


def get_user(store, user_id: str):
    """The `org_users` row of `user_id`, or a 404 naming `user_id`.

    Example:
        >>> get_user(store, "user-nobody")
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.NotFound: No user found with id 'user-nobody' in the organization.
    """
    return found(store.one("SELECT * FROM org_users WHERE id = ?", (user_id,)),
                 f"No user found with id '{user_id}' in the organization.", "user_id")


def list_users(store, options: UsersQuery) -> dict:
    """`GET /organization/users`: one page of the organization's users, oldest first; `emails`
    keeps only those addresses.

    Example:
        >>> list_users(store, UsersQuery(emails=["nobody@example.org"]))["data"]
        []
    """
    cursor = Cursor(limit=options.limit, order="asc", after=options.after)
    emails = [e.lower() for e in options.emails]
    where = f"email IN ({', '.join('?' * len(emails))})" if emails else "1"
    return page_where(store, "org_users", cursor, user_object, where=where, params=emails)


def _owners(db) -> int:
    return db.execute("SELECT count(*) FROM org_users WHERE role = 'owner'").fetchone()[0]


def modify_user(store, principal: Principal, user_id: str, update: UserUpdateBody) -> dict:
    """`POST /organization/users/{id}`: change a user's `role` (owner or reader) and/or its
    `technical_level` and `developer_persona`; the organization keeps at least one owner.

    Example:
        >>> demote = UserUpdateBody(role="reader")
        >>> modify_user(store, admin_principal(), "user-local-owner", demote)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.BadRequest: Invalid 'role': 'user-local-owner' is the organization's ...
    """
    if update.role_id is not None:
        raise BadRequest("Invalid 'role_id': the local organization has no custom roles; set 'role' to 'owner' "
                         "or 'reader'.", param="role_id")
    changes = update.model_dump(exclude_none=True, exclude={"role_id"})
    if not changes:
        raise BadRequest("Missing required parameter: 'role' ('owner' or 'reader').", param="role")
    row = get_user(store, user_id)
    with store.tx() as db:
        if changes.get("role") == "reader" and row["role"] == "owner" and _owners(db) == 1:
            raise BadRequest(f"Invalid 'role': '{user_id}' is the organization's only owner; make another user "
                             "an owner first.", param="role")
        for column, value in changes.items():  # column names come from the model's fixed fields
            db.execute(f"UPDATE org_users SET {column} = ? WHERE id = ?", (value, user_id))
        audit.record(db, "user.updated", principal, resource_id=user_id,
                     details={"id": user_id, "changes_requested": changes})
    return user_object(get_user(store, user_id))


def delete_user(store, principal: Principal, user_id: str) -> dict:
    """`DELETE /organization/users/{id}`: remove a user from the organization and from every
    project; the organization keeps at least one owner.

    Example:
        >>> delete_user(store, admin_principal(), "user-local-owner")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.BadRequest: Invalid 'user_id': 'user-local-owner' is the organization's ...
    """
    row = get_user(store, user_id)
    with store.tx() as db:
        if row["role"] == "owner" and _owners(db) == 1:
            raise BadRequest(f"Invalid 'user_id': '{user_id}' is the organization's only owner and cannot be "
                             "removed.", param="user_id")
        db.execute("DELETE FROM project_users WHERE user_id = ?", (user_id,))
        db.execute("DELETE FROM org_users WHERE id = ?", (user_id,))
        audit.record(db, "user.deleted", principal, resource_id=user_id, details={"id": user_id})
    return {"object": "organization.user.deleted", "id": user_id, "deleted": True}
