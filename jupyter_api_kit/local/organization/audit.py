"""The audit log: every admin action the local server performs, written in the same transaction as
the action itself, and listed with the API's filters.

Example:
    >>> with store.tx() as db:
    ...     event_id = record(db, "project.created", admin_principal(), project=("proj_1", "Demo"),
    ...                       resource_id="proj_1", details={"id": "proj_1", "data": {"name": "Demo"}})
    >>> page = list_events(store, AuditQuery())
    >>> page["data"][0]["type"], page["data"][0]["project"]
    ('project.created', {'id': 'proj_1', 'name': 'Demo'})
"""

from __future__ import annotations

import time
from typing import Annotated

from pydantic import Field
from starlette.requests import Request

from jupyter_api_kit.local.core.auth import Principal
from jupyter_api_kit.local.core.db import dumps, loads
from jupyter_api_kit.local.core.errors import BadRequest
from jupyter_api_kit.local.core.ids import new_id
from jupyter_api_kit.local.core.paging import list_object
from jupyter_api_kit.local.core.request_models import QueryModel, read_query
from jupyter_api_kit.local.organization.keys import OWNER_EMAIL, actor
from jupyter_api_kit.spec import RANGE_OPERATORS as RANGE_OPS

#: the last second of the year 9999: a later effective_at does not fit SQLite's 64-bit integers
MAX_TIME = 253402300799


def record(db, event_type: str, principal: Principal, *, project: tuple[str, str] | None = None,
           resource_id: str | None = None, details: dict | None = None) -> str:
    """Write one event with `db` (a connection inside the action's transaction); returns its id.
    `details` is the event-type object (`{"id": ..., "data": {...}}`) the API shows under the type."""
    who = actor(principal)
    event_id = new_id("audit_log-")
    db.execute(
        "INSERT INTO audit_logs (id, type, effective_at, project_id, project_name, actor, actor_user_id, "
        "actor_key_id, actor_email, resource_id, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (event_id, event_type, int(time.time()), project[0] if project else None, project[1] if project else None,
         dumps(who), who["api_key"]["user"]["id"], who["api_key"]["id"], OWNER_EMAIL, resource_id,
         dumps(details or {})))
    return event_id


def event_object(row) -> dict:
    """The API's audit log event for an `audit_logs` row: the type's details sit under a key named
    after the type, and `project` appears only for project-scoped events.

    Example:
        >>> row = {"id": "audit_log-1", "type": "project.created", "effective_at": 1700000000, "actor": "{}",
        ...        "details": '{"id": "proj_1"}', "project_id": None, "project_name": None}
        >>> event_object(row)["project.created"], "project" in event_object(row)
        ({'id': 'proj_1'}, False)
    """
    event = {"id": row["id"], "type": row["type"], "effective_at": row["effective_at"],
             "actor": loads(row["actor"]), row["type"]: loads(row["details"])}
    if row["project_id"]:
        event["project"] = {"id": row["project_id"], "name": row["project_name"] or ""}
    return event


Time = Annotated[int, Field(ge=0, le=MAX_TIME)]


class AuditQuery(QueryModel):
    """`GET /organization/audit_logs`: a page of events, filtered by time (`effective_at[gt]` ...),
    projects, event types, resources and actors."""

    limit: Annotated[int, Field(ge=1, le=100)] = 20
    after: str | None = None
    before: str | None = None
    tenant_only: bool = False
    project_ids: list[str] = []
    event_types: list[str] = []
    resource_ids: list[str] = []
    actor_ids: list[str] = []
    actor_emails: list[str] = []
    gt: Time | None = Field(None, alias="effective_at[gt]")
    gte: Time | None = Field(None, alias="effective_at[gte]")
    lt: Time | None = Field(None, alias="effective_at[lt]")
    lte: Time | None = Field(None, alias="effective_at[lte]")


async def audit_query(request: Request) -> AuditQuery:
    """A FastAPI dependency: the query read as `AuditQuery`; an `effective_at` with another operator
    is a 400 (a query model ignores names it does not know, and this one is a mistake to say)."""
    for key in request.query_params:
        if key.startswith("effective_at") and key[len("effective_at"):].strip("[]") not in RANGE_OPS:
            raise BadRequest(f"Invalid filter '{key}': use effective_at[gt], [gte], [lt] or [lte] with Unix "
                             "seconds.", param="effective_at")
    return read_query(AuditQuery, request.query_params)


def list_events(store, options: AuditQuery) -> dict:
    """One page of events, newest first, filtered as `GET /organization/audit_logs` documents.

    `after` pages towards older events, `before` towards newer ones (the page just above the
    cursor, still newest first).

    Example:
        >>> list_events(store, AuditQuery(limit=5, tenant_only=True))["data"]
        []
    """
    limit = options.limit
    if options.tenant_only:
        return list_object([], False)  # the local organization has no tenant-scoped events
    clauses, args = ["1"], []
    for op in ("gt", "gte", "lt", "lte"):
        if getattr(options, op) is not None:
            clauses.append(f"effective_at {RANGE_OPS[op]} ?")
            args.append(getattr(options, op))
    for name, column in (("project_ids", "project_id"), ("event_types", "type"),
                         ("resource_ids", "resource_id"), ("actor_emails", "actor_email")):
        values = getattr(options, name)
        if values:
            clauses.append(f"{column} IN ({', '.join('?' * len(values))})")
            args.extend(values)
    actors = options.actor_ids
    if actors:
        marks = ", ".join("?" * len(actors))
        clauses.append(f"(actor_user_id IN ({marks}) OR actor_key_id IN ({marks}))")
        args.extend([*actors, *actors])
    after, before = options.after, options.before
    for name, value in (("after", after), ("before", before)):
        if value is None:
            continue
        row = store.one("SELECT seq FROM audit_logs WHERE id = ?", (value,))
        if row is None:
            raise BadRequest(f"Invalid '{name}': no audit log event with id '{value}'.", param=name)
        clauses.append("seq < ?" if name == "after" else "seq > ?")
        args.append(row["seq"])
    where = " AND ".join(clauses)
    if before is not None and after is None:
        # The page just newer than the cursor: walk up from it, then show newest first.
        rows = store.all(f"SELECT * FROM audit_logs WHERE {where} ORDER BY seq ASC LIMIT ?", (*args, limit + 1))
        has_more = len(rows) > limit
        rows = list(reversed(rows[:limit]))
    else:
        rows = store.all(f"SELECT * FROM audit_logs WHERE {where} ORDER BY seq DESC LIMIT ?", (*args, limit + 1))
        has_more = len(rows) > limit
        rows = rows[:limit]
    return list_object([event_object(r) for r in rows], has_more)
