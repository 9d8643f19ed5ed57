"""`client.organization.users` and `client.organization.invites`: who is in the organization, with
which role, and who is invited. All calls use the admin key.

A user's id is what a project takes to add them:
`client.organization.projects.users.create(project_id, user_id=user.id, role="member")`.

Example:
    >>> users = client.organization.users.list().to_frame()
    >>> users.columns[:5].tolist()
    ['id', 'object', 'name', 'email', 'role']
    >>> client.organization.invites.create(email="ada.invited@example.org", role="reader").status
    'pending'
"""

from __future__ import annotations

from jupyter_api_kit.client.objects import APIObject
from jupyter_api_kit.client.admin import AdminResource
from jupyter_api_kit.client.resource import path_id
from jupyter_api_kit.errors import InvalidInputError
from jupyter_api_kit.spec import ORG_ROLES, PROJECT_ROLES

USERS = "organization/users"
INVITES = "organization/invites"


def _role(role, allowed: tuple[str, ...], name: str = "role") -> str:
    if role not in allowed:
        raise InvalidInputError(f"{name} must be one of {', '.join(map(repr, allowed))}, got {role!r}", param=name)
    return role


class Users(AdminResource):
    """The organization's users (`/organization/users`): list (by email too), retrieve, change
    their organization role, remove. Uses the admin key. Reached as `client.organization.users`.

    Example:
        >>> client.organization.users.update("user-abc", role="admin")
        Traceback (most recent call last):
        ...
        jupyter_api_kit.errors.InvalidInputError: role must be one of 'owner', 'reader', got 'admin'
        >>> "owner" in client.organization.users.list().to_frame()["role"].tolist()
        True
    """

    def list(self, *, emails: list[str] | None = None, limit: int | None = None, after: str | None = None):
        """The organization's users, oldest first, as a page that iterates every page; `emails`
        keeps only those addresses.

        Example:
            >>> client.organization.users.list(emails=[member.email]).data[0].email   # added with a project
            'ada@example.org'
        """
        if isinstance(emails, str):
            emails = [emails]
        return self._list(USERS, {"emails": emails, "limit": limit, "after": after})

    def retrieve(self, user_id: str) -> APIObject:
        """One user of the organization.

        Example:
            >>> user = client.organization.users.list(emails=[member.email]).data[0]
            >>> client.organization.users.retrieve(user.id).role
            'reader'
        """
        return self._get(f"{USERS}/{path_id(user_id, 'user_id')}")

    def update(self, user_id: str, *, role: str | None = None, role_id: str | None = None,
               technical_level: str | None = None, developer_persona: str | None = None) -> APIObject:
        """Change a user's organization role (`owner` or `reader`; `role_id` names a custom role
        where the organization has them) or descriptive fields.

        Example:
            >>> client.organization.projects.users.create(project.id, email="kim@example.org", role="member").email
            'kim@example.org'
            >>> kim = client.organization.users.list(emails=["kim@example.org"]).data[0]
            >>> client.organization.users.update(kim.id, role="owner").role
            'owner'
        """
        if role is not None:
            _role(role, ORG_ROLES)
        return self._post(f"{USERS}/{path_id(user_id, 'user_id')}",
                          {"role": role, "role_id": role_id, "technical_level": technical_level,
                           "developer_persona": developer_persona})

    modify = update

    def delete(self, user_id: str) -> APIObject:
        """Remove a user from the organization (and from its projects).

        Example:
            >>> client.organization.projects.users.create(project.id, email="lee@example.org", role="member").email
            'lee@example.org'
            >>> lee = client.organization.users.list(emails=["lee@example.org"]).data[0]
            >>> client.organization.users.delete(lee.id).deleted
            True
        """
        return self._delete(f"{USERS}/{path_id(user_id, 'user_id')}")

    def frame(self, **filters):
        """Every user (all pages) as a DataFrame: id, email, name, role, added_at (see
        `frames.organization.users`).

        Example:
            >>> client.organization.users.frame().columns[:4].tolist()
            ['id', 'email', 'name', 'role']
        """
        from jupyter_api_kit.frames.organization import users

        return users(self.list(**filters).to_list())


class Invites(AdminResource):
    """Invitations to the organization (`/organization/invites`): invite by email with a role (and
    projects to join on acceptance), list, retrieve, delete. Uses the admin key. Reached as
    `client.organization.invites`.

    Example:
        >>> client.organization.invites.create(email="ada@example.org", role="member")
        Traceback (most recent call last):
        ...
        jupyter_api_kit.errors.InvalidInputError: role must be one of 'owner', 'reader', got 'member'
    """

    def create(self, *, email: str, role: str, projects: list[dict] | None = None) -> APIObject:
        """Invite `email` with organization role `reader` or `owner`; `projects` are
        `{"id": project_id, "role": "member"|"owner"}` the person joins on acceptance.

        Example:
            >>> client.organization.invites.create(email="ana@example.org", role="reader",
            ...     projects=[{"id": project.id, "role": "member"}]).status
            'pending'
        """
        if not isinstance(email, str) or "@" not in email:
            raise InvalidInputError(f"email must be an email address, got {email!r}", param="email")
        _role(role, ORG_ROLES)
        for i, project in enumerate(projects or []):
            if not isinstance(project, dict) or not project.get("id"):
                raise InvalidInputError(f"projects[{i}] must be {{'id': project_id, 'role': 'member'|'owner'}}",
                                        param=f"projects[{i}]")
            _role(project.get("role"), PROJECT_ROLES, f"projects[{i}].role")
        return self._post(INVITES, {"email": email, "role": role, "projects": projects})

    def list(self, *, limit: int | None = None, after: str | None = None):
        """The organization's invites, oldest first, as a page that iterates every page.

        Example:
            >>> _ = client.organization.invites.create(email="max@example.org", role="reader")
            >>> "max@example.org" in client.organization.invites.list().to_frame()["email"].tolist()
            True
        """
        return self._list(INVITES, {"limit": limit, "after": after})

    def frame(self, **filters):
        """Every invite (all pages) as a DataFrame (see `frames.organization.invites`).

        Example:
            >>> client.organization.invites.frame().columns[:4].tolist()
            ['id', 'email', 'role', 'status']
        """
        from jupyter_api_kit.frames.organization import invites

        return invites(self.list(**filters).to_list())

    def retrieve(self, invite_id: str) -> APIObject:
        """One invite (its status: pending, accepted or expired).

        Example:
            >>> invite = client.organization.invites.create(email="sam@example.org", role="reader")
            >>> client.organization.invites.retrieve(invite.id).status
            'pending'
        """
        return self._get(f"{INVITES}/{path_id(invite_id, 'invite_id')}")

    def delete(self, invite_id: str) -> APIObject:
        """Withdraw an invite that was not accepted.

        Example:
            >>> invite = client.organization.invites.create(email="noa@example.org", role="reader")
            >>> client.organization.invites.delete(invite.id).deleted
            True
        """
        return self._delete(f"{INVITES}/{path_id(invite_id, 'invite_id')}")
