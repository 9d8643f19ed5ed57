"""Projects and project members of the local organization, as SQLite state.

Every change is one transaction that also writes its audit log event.

Example:
    >>> project = create_project(store, admin_principal(), {"name": "Research"})
    >>> project["object"], project["status"], project["name"]
    ('organization.project', 'active', 'Research')
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from jupyter_api_kit.local.core.auth import Principal
from jupyter_api_kit.local.core.errors import BadRequest, found
from jupyter_api_kit.local.core.ids import new_id
from jupyter_api_kit.local.core.paging import Cursor, list_object
from jupyter_api_kit.local.organization import audit
from jupyter_api_kit.spec import PROJECT_ROLES

RESIDENCIES = ("GLOBAL", "US_STORAGE_PROCESSING", "EU_STORAGE_PROCESSING", "JP_STORAGE", "KR_STORAGE", "CA_STORAGE",
               "SG_STORAGE", "IN_STORAGE", "AU_STORAGE", "GB_STORAGE", "AE_STORAGE", "AE_STORAGE_PROCESSING")
MAX_NAME = 256
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def page_where(store, table: str, cursor: Cursor, to_object: Callable, *, where: str, params=(),
               id_column: str = "id") -> dict:
    """One page of `table` rows matching `where`, ordered by `seq`, with the `after`/`before` cursor
    looked up inside the same `where` (ids such as user ids repeat across projects)."""
    clauses, args = [f"({where})"], list(params)
    desc = cursor.order == "desc"
    for name, value, op in (("after", cursor.after, "<" if desc else ">"),
                            ("before", cursor.before, ">" if desc else "<")):
        if value is None:
            continue
        row = store.one(f"SELECT seq FROM {table} WHERE ({where}) AND {id_column} = ?", (*params, value))
        if row is None:
            raise BadRequest(f"Invalid '{name}': no object with id '{value}' in this list.", param=name)
        clauses.append(f"seq {op} ?")
        args.append(row["seq"])
    rows = store.all(f"SELECT * FROM {table} WHERE {' AND '.join(clauses)} ORDER BY seq "
                     f"{'DESC' if desc else 'ASC'} LIMIT ?", (*args, cursor.limit + 1))
    return list_object([to_object(r) for r in rows[:cursor.limit]], len(rows) > cursor.limit)


def _name(name: str | None) -> str | None:
    if name is not None and not name.strip():
        raise BadRequest("Invalid 'name': empty string. Give the project a name.", param="name")
    return name


# ---- projects -------------------------------------------------------------------------------------

def project_object(row) -> dict:
    """The API's `organization.project` object for a `projects` row (archived ones say so in `status`).

    Example:
        >>> row = {"id": "proj_1", "name": "Demo", "created_at": 1700000000, "archived_at": 1700000500,
        ...        "external_key_id": None, "residency": None}
        >>> project_object(row)["status"], project_object(row)["residency"]
        ('archived', 'GLOBAL')
    """
    return {"id": row["id"], "object": "organization.project", "name": row["name"], "created_at": row["created_at"],
            "archived_at": row["archived_at"], "status": "archived" if row["archived_at"] else "active",
            "external_key_id": row["external_key_id"], "residency": row["residency"] or "GLOBAL"}


def get_project(store, project_id: str):
    """The `projects` row of `project_id` (archived or not), or a 404 naming `project_id`.

    Example:
        >>> get_project(store, "proj_missing")
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.NotFound: No project found with id 'proj_missing'.
    """
    row = found(store.one("SELECT * FROM projects WHERE id = ?", (project_id,)),
                f"No project found with id '{project_id}'.", "project_id")
    return row


def active_project(store, project_id: str):
    """The project, or a 400 if archived: archived projects cannot be used or updated."""
    row = get_project(store, project_id)
    if row["archived_at"] is not None:
        raise BadRequest(f"Project '{project_id}' is archived; archived projects cannot be used or updated.",
                         param="project_id", code="project_archived")
    return row


def create_project(store, principal: Principal, body: dict) -> dict:
    """`POST /organization/projects`: a new active project (`name` required, optional
    `residency` and `external_key_id`), with its `project.created` audit event.

    Example:
        >>> body = {"name": "Research", "residency": "EU_STORAGE_PROCESSING"}
        >>> project = create_project(store, admin_principal(), body)
        >>> project["name"], project["residency"], project["status"]
        ('Research', 'EU_STORAGE_PROCESSING', 'active')
        >>> create_project(store, admin_principal(), {"name": " "})
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.BadRequest: Invalid 'name': empty string. Give the project a name.
    """
    name = _name(body["name"])
    residency, external_key_id = body.get("residency"), body.get("external_key_id")
    project_id = new_id("proj_")
    with store.tx() as db:
        db.execute("INSERT INTO projects (id, name, created_at, external_key_id, residency) VALUES (?, ?, ?, ?, ?)",
                   (project_id, name, int(time.time()), external_key_id, residency))
        audit.record(db, "project.created", principal, project=(project_id, name), resource_id=project_id,
                     details={"id": project_id, "data": {"name": name}})
    return project_object(get_project(store, project_id))


def list_projects(store, cursor: Cursor, include_archived: bool = False) -> dict:
    """`GET /organization/projects`: one page of projects, oldest first; archived ones only with
    `include_archived=true`.

    Example:
        >>> kept = create_project(store, admin_principal(), {"name": "Kept"})
        >>> old = create_project(store, admin_principal(), {"name": "Old"})
        >>> _ = archive_project(store, admin_principal(), old["id"])
        >>> [p["name"] for p in list_projects(store, Cursor(order="asc"))["data"]]
        ['Kept']
        >>> [p["name"] for p in list_projects(store, Cursor(order="asc"), include_archived=True)["data"]]
        ['Kept', 'Old']
    """
    where = "1" if include_archived else "archived_at IS NULL"
    return page_where(store, "projects", cursor, project_object, where=where)


def modify_project(store, principal: Principal, project_id: str, body: dict) -> dict:
    """`POST /organization/projects/{id}`: change `name` and/or `external_key_id` of an active
    project (anything else is a 400), with a `project.updated` audit event.

    Example:
        >>> project = create_project(store, admin_principal(), {"name": "Draft"})
        >>> modify_project(store, admin_principal(), project["id"], {"name": "Final"})["name"]
        'Final'
    """
    row = active_project(store, project_id)
    changes = {}
    if body.get("name") is not None:
        changes["name"] = _name(body["name"])
    if body.get("external_key_id") is not None:
        changes["external_key_id"] = body["external_key_id"]
    with store.tx() as db:
        for column, value in changes.items():  # column names come from the fixed set above
            db.execute(f"UPDATE projects SET {column} = ? WHERE id = ?", (value, project_id))
        audit.record(db, "project.updated", principal, project=(project_id, changes.get("name", row["name"])),
                     resource_id=project_id, details={"id": project_id, "changes_requested": changes})
    return project_object(get_project(store, project_id))


def archive_project(store, principal: Principal, project_id: str) -> dict:
    """`POST /organization/projects/{id}/archive`: mark a project archived (its keys stop working).
    Archiving an archived project changes nothing and writes no second event.

    Example:
        >>> project = create_project(store, admin_principal(), {"name": "Old"})
        >>> archive_project(store, admin_principal(), project["id"])["status"]
        'archived'
    """
    row = get_project(store, project_id)
    if row["archived_at"] is None:
        with store.tx() as db:
            db.execute("UPDATE projects SET archived_at = ? WHERE id = ?", (int(time.time()), project_id))
            audit.record(db, "project.archived", principal, project=(project_id, row["name"]),
                         resource_id=project_id, details={"id": project_id})
    return project_object(get_project(store, project_id))


# ---- project users --------------------------------------------------------------------------------

USER_COLUMNS = ("SELECT pu.seq, pu.project_id, pu.role, pu.added_at, u.id, u.email, u.name "
                "FROM project_users pu JOIN org_users u ON u.id = pu.user_id")


def user_object(row) -> dict:
    """The API's `organization.project.user` object for a project-member row.

    Example:
        >>> user_object({"id": "user-1", "name": "Ada", "email": "ada@example.org", "role": "owner",
        ...              "added_at": 1700000000})["object"]
        'organization.project.user'
    """
    return {"object": "organization.project.user", "id": row["id"], "name": row["name"], "email": row["email"],
            "role": row["role"], "added_at": row["added_at"]}


def get_user(store, project_id: str, user_id: str):
    """The member row of `user_id` in a project, or a 404 (for the project or the user).

    Example:
        >>> project = create_project(store, admin_principal(), {"name": "Team"})
        >>> get_user(store, project["id"], "user-nobody")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.NotFound: No user 'user-nobody' in project 'proj_...'.
    """
    get_project(store, project_id)
    row = found(store.one(f"{USER_COLUMNS} WHERE pu.project_id = ? AND pu.user_id = ?", (project_id, user_id)),
                f"No user '{user_id}' in project '{project_id}'.", "user_id")
    return row


def _org_member(db, user_id: str | None, email: str | None) -> str:
    """The organization member to add: by id (must exist) or by email (joins the local org)."""
    if user_id:
        row = db.execute("SELECT id FROM org_users WHERE id = ?", (user_id,)).fetchone()
        if row is None:
            raise BadRequest(f"Invalid 'user_id': '{user_id}' is not a user of the organization (GET "
                             "/organization/users lists them); or add the person by 'email'.", param="user_id")
        return row["id"]
    row = db.execute("SELECT id FROM org_users WHERE email = ?", (email.lower(),)).fetchone()
    if row is not None:
        return row["id"]
    new = new_id("user-")
    db.execute("INSERT INTO org_users (id, email, name, created_at) VALUES (?, ?, ?, ?)",
               (new, email.lower(), email.split("@")[0], int(time.time())))
    return new


def add_user(store, principal: Principal, project_id: str, body: dict) -> dict:
    """`POST /organization/projects/{id}/users`: add an organization member (`user_id`) or a person
    by `email` (who becomes a member of the organization) with `role` owner or member.

    Example:
        >>> project = create_project(store, admin_principal(), {"name": "Team"})
        >>> user = add_user(store, admin_principal(), project["id"], {"email": "ada@example.org", "role": "member"})
        >>> user["email"], user["role"]
        ('ada@example.org', 'member')
    """
    project = active_project(store, project_id)
    role, user_id, email = body["role"], body.get("user_id"), body.get("email")
    if not user_id and not email:
        raise BadRequest("Missing required parameter: give 'user_id' (an organization member) or 'email'.",
                         param="user_id")
    if email and not EMAIL.match(email):
        raise BadRequest(f"Invalid 'email': '{email[:60]}' is not an email address.", param="email")
    with store.tx() as db:
        member = _org_member(db, user_id, email)
        if db.execute("SELECT 1 FROM project_users WHERE project_id = ? AND user_id = ?",
                      (project_id, member)).fetchone():
            raise BadRequest(f"User '{member}' is already a member of project '{project_id}'; modify their role "
                             "instead.", param="user_id")
        db.execute("INSERT INTO project_users (project_id, user_id, role, added_at) VALUES (?, ?, ?, ?)",
                   (project_id, member, role, int(time.time())))
        audit.record(db, "user.added", principal, project=(project_id, project["name"]), resource_id=member,
                     details={"id": member, "data": {"role": role}})
    return user_object(get_user(store, project_id, member))


def list_users(store, project_id: str, cursor: Cursor) -> dict:
    """`GET /organization/projects/{id}/users`: one page of the project's members, oldest first.

    Example:
        >>> project = create_project(store, admin_principal(), {"name": "Team"})
        >>> _ = add_user(store, admin_principal(), project["id"], {"email": "ada@example.org", "role": "owner"})
        >>> [u["email"] for u in list_users(store, project["id"], Cursor())["data"]]
        ['ada@example.org']
    """
    get_project(store, project_id)
    table = f"({USER_COLUMNS})"
    return page_where(store, table, cursor, user_object, where="project_id = ?", params=(project_id,))


def modify_user(store, principal: Principal, project_id: str, user_id: str, body: dict) -> dict:
    """`POST /organization/projects/{id}/users/{user_id}`: change a member's `role`.

    Example:
        >>> project = create_project(store, admin_principal(), {"name": "Team"})
        >>> user = add_user(store, admin_principal(), project["id"], {"email": "ada@example.org", "role": "member"})
        >>> modify_user(store, admin_principal(), project["id"], user["id"], {"role": "owner"})["role"]
        'owner'
    """
    project = active_project(store, project_id)
    get_user(store, project_id, user_id)
    role = body["role"]
    with store.tx() as db:
        db.execute("UPDATE project_users SET role = ? WHERE project_id = ? AND user_id = ?",
                   (role, project_id, user_id))
        audit.record(db, "user.updated", principal, project=(project_id, project["name"]), resource_id=user_id,
                     details={"id": user_id, "changes_requested": {"role": role}})
    return user_object(get_user(store, project_id, user_id))


def delete_user(store, principal: Principal, project_id: str, user_id: str) -> dict:
    """`DELETE /organization/projects/{id}/users/{user_id}`: remove a member from the project (not
    from the organization).

    Example:
        >>> project = create_project(store, admin_principal(), {"name": "Team"})
        >>> user = add_user(store, admin_principal(), project["id"], {"email": "ada@example.org", "role": "member"})
        >>> delete_user(store, admin_principal(), project["id"], user["id"])["deleted"]
        True
    """
    project = active_project(store, project_id)
    get_user(store, project_id, user_id)
    with store.tx() as db:
        db.execute("DELETE FROM project_users WHERE project_id = ? AND user_id = ?", (project_id, user_id))
        audit.record(db, "user.deleted", principal, project=(project_id, project["name"]), resource_id=user_id,
                     details={"id": user_id})
    return {"object": "organization.project.user.deleted", "id": user_id, "deleted": True}
