"""The organization endpoints: users, invites, projects, audit logs, certificates, usage and costs.

They use the admin key (`Client(admin_key=...)` or `OPENAI_ADMIN_KEY`), never the API key. Without
one a `ConfigurationError` says so before anything is sent. A client of the embedded local server
this process started is handed that server's admin key when it is made (so `%usage` works offline
with no key at all).

Example:
    >>> org = client.organization              # no key given: the embedded server lent its admin key
    >>> project = org.projects.create(name="Research")
    >>> org.usage.completions(start_time=today, group_by=["model"])
    <UsagePage completions: 1 buckets, has_more=False>
    >>> print(org.costs(start_time=today, group_by=["project_id"]).note)
    local price table: illustrative USD prices for the local models, ...
    >>> events = org.audit_logs.frame(event_types=["project.created"])
    >>> project.id in events["project_id"].tolist()
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property

from jupyter_api_kit.client.admin import AdminResource


class AuditLogs(AdminResource):
    """The organization's audit log (`/organization/audit_logs`): who created, changed or deleted
    projects, keys, users and certificates. Uses the admin key. Reached as
    `client.organization.audit_logs`.

    Example:
        >>> client.organization.audit_logs.frame(event_types=["project.created"]).columns[:3].tolist()
        ['id', 'type', 'effective_at']
    """

    def list(self, *, effective_at: Mapping | None = None, project_ids=None, event_types=None, actor_ids=None,
             actor_emails=None, resource_ids=None, tenant_only: bool | None = None, limit: int | None = None,
             after: str | None = None, before: str | None = None):
        """Audit log events, newest first; iterate the page for every event.

        `effective_at` takes `{"gt"|"gte"|"lt"|"lte": unix_seconds}`; the list filters take lists of ids.

        Example:
            >>> page = client.organization.audit_logs.list(event_types=["project.created", "project.archived"])
            >>> {event.type for event in page} <= {"project.created", "project.archived"}
            True
        """
        if effective_at is not None:
            effective_at = {op: _seconds(value, f"effective_at[{op}]") for op, value in effective_at.items()}
        return self._list("organization/audit_logs", {
            "effective_at": effective_at, "project_ids[]": project_ids, "event_types[]": event_types,
            "actor_ids[]": actor_ids, "actor_emails[]": actor_emails, "resource_ids[]": resource_ids,
            "tenant_only": tenant_only, "limit": limit, "after": after, "before": before})

    def frame(self, **filters):
        """Every matching event (all pages) as a DataFrame, see `frames.audit_events`."""
        from jupyter_api_kit.frames.organization import audit_events

        return audit_events(self.list(**filters).to_list())


def _seconds(value, name: str) -> int:
    from jupyter_api_kit.client.usage import to_unix

    return to_unix(value, name)


class Organization(AdminResource):
    """`client.organization`: `.users`, `.invites`, `.projects`, `.audit_logs`, `.certificates`,
    `.usage`, `.costs(...)`."""

    @cached_property
    def users(self):
        """The organization's users: their ids are what projects take to add them.

        Example:
            >>> "owner" in client.organization.users.list().to_frame()["role"].tolist()
            True
        """
        from jupyter_api_kit.client.org_users import Users

        return self._sub(Users)

    @cached_property
    def invites(self):
        """Invitations to the organization.

        Example:
            >>> client.organization.invites.create(email="lin@example.org", role="reader").status
            'pending'
        """
        from jupyter_api_kit.client.org_users import Invites

        return self._sub(Invites)

    @cached_property
    def projects(self):
        """Projects and their users, service accounts, keys, rate limits and certificates.

        Example:
            >>> client.organization.projects.list().to_frame().columns[:3].tolist()
            ['id', 'object', 'name']
        """
        from jupyter_api_kit.client.projects import Projects

        return self._sub(Projects)

    @cached_property
    def audit_logs(self) -> AuditLogs:
        """The organization's audit log events.

        Example:
            >>> len(client.organization.audit_logs.list(limit=5).to_frame()) <= 5
            True
        """
        return self._sub(AuditLogs)

    @cached_property
    def certificates(self):
        """The organization's uploaded certificates and their activation.

        Example:
            >>> client.organization.certificates.list()
            <CursorPage ... items, has_more=False>
        """
        from jupyter_api_kit.client.certificates import Certificates

        return self._sub(Certificates)

    @cached_property
    def usage(self):
        """Usage per kind (completions, embeddings, ...) in time buckets; costs are `costs(...)`.

        Example:
            >>> client.organization.usage.completions(start_time=today)
            <UsagePage completions: 1 buckets, has_more=False>
        """
        from jupyter_api_kit.client.usage import Usage

        return self._sub(Usage)

    def costs(self, *, start_time, end_time=None, bucket_width: str | None = None, group_by=None,
              project_ids=None, api_key_ids=None, limit: int | None = None, page: str | None = None,
              progress: bool = False):
        """Costs per day (`bucket_width="1d"`), grouped by any of `project_id`, `line_item`, `api_key_id`.

        Returns a `UsagePage`; iterating it, or `.to_frame()`, walks every following page.
        On the local server the amounts come from its price table (the page's `.note` says so).

        Example:
            >>> page = client.organization.costs(start_time=today, group_by=["project_id", "line_item"])
            >>> page, "amount" in page.to_frame().columns
            (<UsagePage costs: 1 buckets, has_more=False>, True)
        """
        return self.usage._page("costs", "organization/costs", progress, {
            "start_time": start_time, "end_time": end_time, "bucket_width": bucket_width, "group_by": group_by,
            "project_ids": project_ids, "api_key_ids": api_key_ids, "limit": limit, "page": page})
