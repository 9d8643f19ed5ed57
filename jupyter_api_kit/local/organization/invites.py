"""Invitations to the local organization: send (record), list, retrieve, delete.

The local server sends no email and nobody signs in to it, so an invite stays `pending` until it
is deleted or its week runs out (`expired`); people join the local organization when they are added
to a project by email. Every change is one transaction with its audit log event.

Example:
    >>> invite = create_invite(store, admin_principal(), InviteBody(email="ada@example.org", role="reader"))
    >>> invite["object"], invite["status"], invite["projects"]
    ('organization.invite', 'pending', [])
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from jupyter_api_kit.local.core.auth import Principal
from jupyter_api_kit.local.core.db import dumps, loads
from jupyter_api_kit.local.core.errors import BadRequest, NotFound, found
from jupyter_api_kit.local.core.ids import new_id, now
from jupyter_api_kit.local.core.paging import Cursor
from jupyter_api_kit.local.core.request_models import BodyModel, QueryModel
from jupyter_api_kit.local.organization import audit
from jupyter_api_kit.local.organization.store import EMAIL, MAX_NAME, page_where
from jupyter_api_kit.spec import ORG_ROLES, PROJECT_ROLES

#: how long an invite stays pending
INVITE_SECONDS = 7 * 24 * 3600


class InviteProject(BodyModel):
    """A project the invitee joins on acceptance, with the project role."""

    id: str
    role: Literal[PROJECT_ROLES]


class InviteBody(BodyModel):
    """`POST /organization/invites`."""

    email: str = Field(max_length=MAX_NAME)
    role: Literal[ORG_ROLES]
    projects: list[InviteProject] | None = None


class InvitesQuery(QueryModel):
    """`GET /organization/invites`: a page of invites, oldest first."""

    limit: int = Field(20, ge=1, le=100)
    after: str | None = None


def invite_object(row) -> dict:
    """The API's `organization.invite` object for an `org_invites` row (its status as of now).

    Example:
        >>> row = {"id": "invite-1", "email": "ada@example.org", "role": "owner", "created_at": 1,
        ...        "expires_at": 2, "accepted_at": None, "projects": "[]"}
        >>> invite_object(row)["status"]
        'expired'
    """
    status = "accepted" if row["accepted_at"] else "expired" if row["expires_at"] <= now() else "pending"
    return {"object": "organization.invite", "id": row["id"], "email": row["email"], "role": row["role"],
            "status": status, "created_at": row["created_at"], "expires_at": row["expires_at"],
            "accepted_at": row["accepted_at"], "projects": loads(row["projects"])}


def get_invite(store, invite_id: str):
    """The `org_invites` row, or a 404 naming `invite_id`.

    Example:
        >>> get_invite(store, "invite-none")
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.NotFound: No invite found with id 'invite-none'.
    """
    return found(store.one("SELECT * FROM org_invites WHERE id = ?", (invite_id,)),
                 f"No invite found with id '{invite_id}'.", "invite_id")


def _check_projects(db, projects: list[InviteProject]) -> None:
    for i, project in enumerate(projects):
        row = db.execute("SELECT archived_at FROM projects WHERE id = ?", (project.id,)).fetchone()
        if row is None:
            raise NotFound(f"No project found with id '{project.id}' (projects[{i}].id).", param=f"projects[{i}].id")
        if row["archived_at"] is not None:
            raise BadRequest(f"Invalid 'projects[{i}].id': project '{project.id}' is archived.",
                             param=f"projects[{i}].id")


def create_invite(store, principal: Principal, invite: InviteBody) -> dict:
    """`POST /organization/invites`: invite `email` with organization `role` (reader or owner) and,
    on acceptance, `projects` with their project roles. Members and pending invitees are refused.

    Example:
        >>> create_invite(store, admin_principal(), InviteBody(email="owner@localhost", role="reader"))
        ... # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.BadRequest: Invalid 'email': owner@localhost is already a user of ...
    """
    email = invite.email.strip().lower()
    if not EMAIL.match(email):
        raise BadRequest(f"Invalid 'email': '{invite.email[:60]}' is not an email address.", param="email")
    projects = invite.projects or []
    invite_id, created = new_id("invite-"), now()
    with store.tx() as db:
        if db.execute("SELECT 1 FROM org_users WHERE email = ?", (email,)).fetchone():
            raise BadRequest(f"Invalid 'email': {email} is already a user of the organization.", param="email")
        if db.execute("SELECT 1 FROM org_invites WHERE email = ? AND accepted_at IS NULL AND expires_at > ?",
                      (email, created)).fetchone():
            raise BadRequest(f"Invalid 'email': {email} already has a pending invite; delete it to invite again.",
                             param="email")
        _check_projects(db, projects)
        db.execute("INSERT INTO org_invites (id, email, role, created_at, expires_at, projects) "
                   "VALUES (?, ?, ?, ?, ?, ?)",
                   (invite_id, email, invite.role, created, created + INVITE_SECONDS,
                    dumps([p.model_dump() for p in projects])))
        audit.record(db, "invite.sent", principal, resource_id=invite_id,
                     details={"id": invite_id, "data": {"email": email, "role": invite.role}})
    return invite_object(get_invite(store, invite_id))


def list_invites(store, options: InvitesQuery) -> dict:
    """`GET /organization/invites`: one page of invites, oldest first.

    Example:
        >>> _ = create_invite(store, admin_principal(), InviteBody(email="ada@example.org", role="reader"))
        >>> [i["email"] for i in list_invites(store, InvitesQuery())["data"]]
        ['ada@example.org']
    """
    return page_where(store, "org_invites", Cursor(limit=options.limit, order="asc", after=options.after),
                      invite_object, where="1")


def delete_invite(store, principal: Principal, invite_id: str) -> dict:
    """`DELETE /organization/invites/{id}`: withdraw an invite that was not accepted.

    Example:
        >>> invite = create_invite(store, admin_principal(), InviteBody(email="ada@example.org", role="owner"))
        >>> delete_invite(store, admin_principal(), invite["id"])["deleted"]
        True
    """
    row = get_invite(store, invite_id)
    if row["accepted_at"]:
        raise BadRequest(f"Invite '{invite_id}' was already accepted and cannot be deleted.", param="invite_id")
    with store.tx() as db:
        db.execute("DELETE FROM org_invites WHERE id = ?", (invite_id,))
        audit.record(db, "invite.deleted", principal, resource_id=invite_id, details={"id": invite_id})
    return {"object": "organization.invite.deleted", "id": invite_id, "deleted": True}
