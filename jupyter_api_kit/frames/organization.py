"""Organization lists as DataFrames: audit log events, users, invites, projects, project users,
service accounts, keys.

Each takes a list object, a client page or a plain list of objects, and never fetches anything.

Example:
    >>> events = {"object": "list", "data": [{"id": "audit_log-1", "type": "project.created",
    ...     "effective_at": 1735689600, "project": {"id": "proj_a", "name": "A"},
    ...     "actor": {"type": "api_key", "api_key": {"id": "key_x", "type": "user",
    ...                                             "user": {"id": "user-1", "email": "a@b.c"}}},
    ...     "project.created": {"id": "proj_a", "data": {"name": "A"}}}]}
    >>> audit_events(events)[["type", "actor_email", "resource_id", "project_name"]].values.tolist()
    [['project.created', 'a@b.c', 'proj_a', 'A']]
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from jupyter_api_kit.frames.lists import _as_mapping, _items, _text, _utc, to_frame

__all__ = ["api_keys", "audit_events", "invites", "project_users", "projects", "service_accounts", "users"]


def audit_events(list_or_page: Any) -> pd.DataFrame:
    """One row per audit log event.

    Columns: ``id``, ``type``, ``effective_at`` (UTC datetime), ``actor_type``, ``actor_id`` (the
    user, or the service account, behind the actor), ``actor_email``, ``api_key_id`` (the key used),
    ``project_id``, ``project_name``, ``resource_id`` (what was acted on) and ``details`` (the
    event-type object, e.g. ``{"id": ..., "changes_requested": {...}}``).
    """
    rows = []
    for item in _items(list_or_page):
        event = _as_mapping(item)
        actor = _as_mapping(event.get("actor"))
        key = _as_mapping(actor.get("api_key"))
        session = _as_mapping(actor.get("session"))
        user = _as_mapping(key.get("user") or session.get("user"))
        account = _as_mapping(key.get("service_account"))
        project = _as_mapping(event.get("project"))
        details = _as_mapping(event.get(event.get("type")))
        rows.append({"id": event.get("id"), "type": event.get("type"), "effective_at": event.get("effective_at"),
                     "actor_type": actor.get("type"), "actor_id": user.get("id") or account.get("id"),
                     "actor_email": user.get("email"), "api_key_id": key.get("id"),
                     "project_id": project.get("id"), "project_name": project.get("name"),
                     "resource_id": details.get("id"), "details": dict(details)})
    names = ["id", "type", "effective_at", "actor_type", "actor_id", "actor_email", "api_key_id", "project_id",
             "project_name", "resource_id", "details"]
    columns = {n: _text([r[n] for r in rows]) for n in names if n not in ("effective_at", "details")}
    columns["effective_at"] = _utc([r["effective_at"] for r in rows])
    columns["details"] = pd.Series([r["details"] for r in rows], dtype=object)
    return pd.DataFrame({n: columns[n] for n in names})


def users(list_or_page: Any) -> pd.DataFrame:
    """One row per organization user: ``id``, ``email``, ``name``, ``role`` (owner or reader),
    ``added_at``.

    Example:
        >>> users([{"object": "organization.user", "id": "user-1", "email": "a@b.c", "name": "A",
        ...         "role": "owner", "added_at": 1735689600}]).columns.tolist()[:4]
        ['id', 'email', 'name', 'role']
    """
    return _ordered(to_frame(list_or_page), ["id", "email", "name", "role", "added_at"])


def invites(list_or_page: Any) -> pd.DataFrame:
    """One row per invite: ``id``, ``email``, ``role``, ``status``, ``created_at``, ``expires_at``,
    ``accepted_at``, ``projects`` (the project ids joined on acceptance)."""
    frame = _ordered(to_frame(list_or_page), ["id", "email", "role", "status", "created_at", "expires_at",
                                              "accepted_at", "projects"])
    if "projects" in frame.columns:
        frame["projects"] = [[p.get("id") for p in projects or []] for projects in frame["projects"]]
    return frame


def projects(list_or_page: Any) -> pd.DataFrame:
    """One row per project: ``id``, ``name``, ``status``, ``created_at``, ``archived_at`` (datetimes), ..."""
    return _ordered(to_frame(list_or_page), ["id", "name", "status", "created_at", "archived_at"])


def project_users(list_or_page: Any) -> pd.DataFrame:
    """One row per project member: ``id``, ``email``, ``name``, ``role``, ``added_at``."""
    return _ordered(to_frame(list_or_page), ["id", "email", "name", "role", "added_at"])


def service_accounts(list_or_page: Any) -> pd.DataFrame:
    """One row per service account: ``id``, ``name``, ``role``, ``created_at``."""
    return _ordered(to_frame(list_or_page), ["id", "name", "role", "created_at"])


def api_keys(list_or_page: Any) -> pd.DataFrame:
    """One row per project API key: ``id``, ``name``, ``redacted_value``, ``owner_type``, ``owner_id``,
    ``owner_name``, ``created_at``, ``last_used_at`` (datetimes, NaT if never used)."""
    rows = []
    for item in _items(list_or_page):
        key = _as_mapping(item)
        owner = _as_mapping(key.get("owner"))
        who = _as_mapping(owner.get(owner.get("type") or "") or {})
        rows.append({"id": key.get("id"), "name": key.get("name"), "redacted_value": key.get("redacted_value"),
                     "owner_type": owner.get("type"), "owner_id": who.get("id"), "owner_name": who.get("name"),
                     "created_at": key.get("created_at"), "last_used_at": key.get("last_used_at")})
    text = ["id", "name", "redacted_value", "owner_type", "owner_id", "owner_name"]
    columns = {n: _text([r[n] for r in rows]) for n in text}
    for n in ("created_at", "last_used_at"):
        columns[n] = _utc([r[n] for r in rows])
    return pd.DataFrame(columns)


def _ordered(df: pd.DataFrame, first: list[str]) -> pd.DataFrame:
    head = [c for c in first if c in df.columns]
    return df[head + [c for c in df.columns if c not in head and c != "object"]]
