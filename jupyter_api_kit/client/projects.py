"""`client.organization.projects`: projects and, per project, users, service accounts, API keys,
rate limits and certificate activations. All calls use the admin key.

Example:
    >>> projects = client.organization.projects
    >>> project = projects.create(name="Research")
    >>> account = projects.service_accounts.create(project.id, name="ci")
    >>> account.api_key.value.startswith("sk-")   # shown once: a key that works as an API key
    True
    >>> projects.rate_limits.update(project.id, "rl-local-ngram", max_requests_per_1_minute=30).id
    'rl-local-ngram'
"""

from __future__ import annotations

from functools import cached_property

from jupyter_api_kit.client.objects import APIObject
from jupyter_api_kit.client.admin import AdminResource
from jupyter_api_kit.client.resource import path_id
from jupyter_api_kit.errors import InvalidInputError

BASE = "organization/projects"


def _project(project_id) -> str:
    return f"{BASE}/{path_id(project_id, 'project_id')}"


class Projects(AdminResource):
    """Projects (`/organization/projects`): list, create, retrieve, rename and archive them; per
    project `users`, `service_accounts`, `api_keys`, `rate_limits` and `certificates`. Uses the admin
    key. Reached as `client.organization.projects`.

    Example:
        >>> client.organization.projects.create(name=" ")
        Traceback (most recent call last):
        ...
        jupyter_api_kit.errors.InvalidInputError: name must be a non-empty string, got ' '
        >>> p = client.organization.projects.create(name="Research")
        >>> client.organization.projects.retrieve(project.id).status
        'active'
    """

    @cached_property
    def users(self) -> "ProjectUsers":
        """The project's members and their roles.

        Example:
            >>> client.organization.projects.users.retrieve(project.id, member.id).role
            'member'
        """
        return self._sub(ProjectUsers)

    @cached_property
    def service_accounts(self) -> "ServiceAccounts":
        """The project's service accounts (bot users with their own API keys).

        Example:
            >>> client.organization.projects.service_accounts.create(project.id, name="ci").role
            'member'
        """
        return self._sub(ServiceAccounts)

    @cached_property
    def api_keys(self) -> "ProjectApiKeys":
        """The project's API keys (values are never shown again after creation).

        Example:
            >>> client.organization.projects.api_keys.list(project.id).has_more
            False
        """
        return self._sub(ProjectApiKeys)

    @cached_property
    def rate_limits(self) -> "RateLimits":
        """The project's rate limits, one per model.

        Example:
            >>> "rl-local-ngram" in client.organization.projects.rate_limits.list(project.id).to_frame()["id"].tolist()
            True
        """
        return self._sub(RateLimits)

    @cached_property
    def certificates(self) -> "ProjectCertificates":
        """The organization's certificates and whether each is active for the project.

        Example:
            >>> client.organization.projects.certificates.activate(project.id, [cert.id]).data[0].active
            True
        """
        return self._sub(ProjectCertificates)

    def list(self, *, limit: int | None = None, after: str | None = None, include_archived: bool | None = None):
        """Projects (archived ones with `include_archived=True`), as a page that iterates all pages.

        Example:
            >>> "Research" in client.organization.projects.list(include_archived=True).to_frame()["name"].tolist()
            True
        """
        return self._list(BASE, {"limit": limit, "after": after, "include_archived": include_archived})

    def create(self, *, name: str, residency: str | None = None, external_key_id: str | None = None) -> APIObject:
        """Create a project.

        Example:
            >>> client.organization.projects.create(name="Teaching").status
            'active'
        """
        if not isinstance(name, str) or not name.strip():
            raise InvalidInputError(f"name must be a non-empty string, got {name!r}", param="name")
        return self._post(BASE, {"name": name, "residency": residency, "external_key_id": external_key_id})

    def retrieve(self, project_id: str) -> APIObject:
        """A project by id (archived ones too).

        Example:
            >>> client.organization.projects.retrieve(project.id).name
            'Research'
        """
        return self._get(_project(project_id))

    def update(self, project_id: str, *, name: str | None = None, external_key_id: str | None = None) -> APIObject:
        """Rename a project or change its external key id (archived projects cannot be changed)."""
        return self._post(_project(project_id), {"name": name, "external_key_id": external_key_id})

    modify = update

    def archive(self, project_id: str) -> APIObject:
        """Archive a project: its keys stop working; it can no longer be used or updated."""
        return self._post(f"{_project(project_id)}/archive")


class ProjectUsers(AdminResource):
    """The members of a project (`/organization/projects/{id}/users`): add, list, change roles,
    remove. Uses the admin key. Reached as `client.organization.projects.users`.

    Example:
        >>> client.organization.projects.users.create("proj_abc", role="member")
        Traceback (most recent call last):
        ...
        jupyter_api_kit.errors.InvalidInputError: give user_id (a user listed by client.organization.users.list()) or email
        >>> ada = client.organization.users.list(emails=[member.email]).data[0]   # in the organization
        >>> teaching = client.organization.projects.create(name="Teaching")
        >>> client.organization.projects.users.create(teaching.id, user_id=ada.id, role="owner").role
        'owner'
    """

    def list(self, project_id: str, *, limit: int | None = None, after: str | None = None):
        """The project's users with their roles, as a page that iterates every page.

        Example:
            >>> client.organization.projects.users.list(project.id).to_frame().columns.tolist()
            ['id', 'object', 'name', 'email', 'role', 'added_at']
        """
        return self._list(f"{_project(project_id)}/users", {"limit": limit, "after": after})

    def create(self, project_id: str, *, role: str, user_id: str | None = None, email: str | None = None) -> APIObject:
        """Add an organization user (by `user_id`, as `client.organization.users.list()` gives it) or a
        person (by `email`, who then joins the organization) with role `owner` or `member`.

        Example:
            >>> client.organization.projects.users.create(project.id, email="grace@example.org", role="member").name
            'grace'
        """
        if not user_id and not email:
            raise InvalidInputError("give user_id (a user listed by client.organization.users.list()) or email", param="user_id")
        return self._post(f"{_project(project_id)}/users", {"role": role, "user_id": user_id, "email": email})

    def retrieve(self, project_id: str, user_id: str) -> APIObject:
        """One member of the project.

        Example:
            >>> client.organization.projects.users.retrieve(project.id, member.id).email
            'ada@example.org'
        """
        return self._get(f"{_project(project_id)}/users/{path_id(user_id, 'user_id')}")

    def update(self, project_id: str, user_id: str, *, role: str) -> APIObject:
        """Change a member's role (`owner` or `member`).

        Example:
            >>> bob = client.organization.projects.users.create(project.id, email="bob@example.org", role="member")
            >>> client.organization.projects.users.update(project.id, bob.id, role="owner").role
            'owner'
        """
        return self._post(f"{_project(project_id)}/users/{path_id(user_id, 'user_id')}", {"role": role})

    def delete(self, project_id: str, user_id: str) -> APIObject:
        """Remove a member from the project (they stay in the organization).

        Example:
            >>> eve = client.organization.projects.users.create(project.id, email="eve@example.org", role="member")
            >>> client.organization.projects.users.delete(project.id, eve.id).deleted
            True
        """
        return self._delete(f"{_project(project_id)}/users/{path_id(user_id, 'user_id')}")


class ServiceAccounts(AdminResource):
    """The service accounts of a project (`/organization/projects/{id}/service_accounts`): bot users
    whose API keys act for the project. Uses the admin key. Reached as
    `client.organization.projects.service_accounts`.

    Example:
        >>> account = client.organization.projects.service_accounts.create(project.id, name="ci")
        >>> account.api_key.value.startswith("sk-")
        True
    """

    def list(self, project_id: str, *, limit: int | None = None, after: str | None = None):
        """The project's service accounts, as a page that iterates every page.

        Example:
            >>> client.organization.projects.service_accounts.create(project.id, name="ci").role
            'member'
            >>> "ci" in [account.name for account in client.organization.projects.service_accounts.list(project.id)]
            True
        """
        return self._list(f"{_project(project_id)}/service_accounts", {"limit": limit, "after": after})

    def create(self, project_id: str, *, name: str, create_service_account_only: bool | None = None) -> APIObject:
        """Create a service account; unless `create_service_account_only`, the answer carries its API key
        (`.api_key.value`), shown this once.

        Example:
            >>> key = client.organization.projects.service_accounts.create(project.id, name="ci").api_key.value
            >>> key.startswith("sk-")
            True
        """
        return self._post(f"{_project(project_id)}/service_accounts",
                          {"name": name, "create_service_account_only": create_service_account_only})

    def retrieve(self, project_id: str, service_account_id: str) -> APIObject:
        """One service account (its keys' values are not included).

        Example:
            >>> account = client.organization.projects.service_accounts.create(project.id, name="ci")
            >>> client.organization.projects.service_accounts.retrieve(project.id, account.id).name
            'ci'
        """
        return self._get(f"{_project(project_id)}/service_accounts/"
                         f"{path_id(service_account_id, 'service_account_id')}")

    def delete(self, project_id: str, service_account_id: str) -> APIObject:
        """Delete a service account; its keys stop working."""
        return self._delete(f"{_project(project_id)}/service_accounts/"
                            f"{path_id(service_account_id, 'service_account_id')}")

    def create_key(self, project_id: str, service_account_id: str, *, name: str | None = None,
                   scopes: list | None = None) -> APIObject:
        """Another API key for a service account; `.value` is shown this once."""
        return self._post(f"{_project(project_id)}/service_accounts/"
                          f"{path_id(service_account_id, 'service_account_id')}/api_keys",
                          {"name": name, "scopes": scopes})


class ProjectApiKeys(AdminResource):
    """The API keys of a project (`/organization/projects/{id}/api_keys`): list, inspect (redacted)
    and delete them. Uses the admin key. Reached as `client.organization.projects.api_keys`.

    Example:
        >>> account = client.organization.projects.service_accounts.create(project.id, name="bot")
        >>> client.organization.projects.api_keys.delete(project.id, account.api_key.id).deleted
        True
    """

    def list(self, project_id: str, *, limit: int | None = None, after: str | None = None,
             owner_project_access: str | None = None):
        """The project's keys (redacted values), as a page that iterates every page.

        Example:
            >>> client.organization.projects.service_accounts.create(project.id, name="ci").api_key.name
            'Secret Key'
            >>> client.organization.projects.api_keys.list(project.id).to_frame()["name"].tolist()[0]
            'Secret Key'
        """
        return self._list(f"{_project(project_id)}/api_keys",
                          {"limit": limit, "after": after, "owner_project_access": owner_project_access})

    def retrieve(self, project_id: str, api_key_id: str) -> APIObject:
        """One key: its name, redacted value, owner and creation time.

        Example:
            >>> key = client.organization.projects.service_accounts.create(project.id, name="ci").api_key
            >>> client.organization.projects.api_keys.retrieve(project.id, key.id).redacted_value.startswith("sk-")
            True
        """
        return self._get(f"{_project(project_id)}/api_keys/{path_id(api_key_id, 'api_key_id')}")

    def delete(self, project_id: str, api_key_id: str) -> APIObject:
        """Delete a key: requests made with it get a 401 from then on."""
        return self._delete(f"{_project(project_id)}/api_keys/{path_id(api_key_id, 'api_key_id')}")


RATE_LIMIT_FIELDS = ("max_requests_per_1_minute", "max_tokens_per_1_minute", "max_images_per_1_minute",
                     "max_audio_megabytes_per_1_minute", "max_requests_per_1_day", "batch_1_day_max_input_tokens")


class RateLimits(AdminResource):
    """The rate limits of a project, one per model (`/organization/projects/{id}/rate_limits`):
    list and lower them. Uses the admin key. Reached as `client.organization.projects.rate_limits`.

    Example:
        >>> limits = client.organization.projects.rate_limits
        >>> limits.update("proj_abc", "rl-local-ngram", max_requests=5)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        jupyter_api_kit.errors.InvalidInputError: unknown rate limit field 'max_requests'; fields: ...
        >>> limits.update(project.id, "rl-local-ngram", max_requests_per_1_minute=30).max_requests_per_1_minute
        30
    """

    def list(self, project_id: str, *, limit: int | None = None, after: str | None = None,
             before: str | None = None):
        """The project's limit per model (ids are `rl-<model>`)."""
        return self._list(f"{_project(project_id)}/rate_limits", {"limit": limit, "after": after, "before": before})

    def update(self, project_id: str, rate_limit_id: str, **limits: int) -> APIObject:
        """Lower a project's limits for one model, e.g. `max_requests_per_1_minute=30`.

        Example:
            >>> limit = client.organization.projects.rate_limits.update(project.id, "rl-local-ngram",
            ...                                                         max_tokens_per_1_minute=5000)
            >>> limit.model, limit.max_tokens_per_1_minute
            ('local-ngram', 5000)
        """
        unknown = sorted(set(limits) - set(RATE_LIMIT_FIELDS))
        if unknown:
            raise InvalidInputError(f"unknown rate limit field {unknown[0]!r}; fields: {', '.join(RATE_LIMIT_FIELDS)}",
                                    param=unknown[0])
        return self._post(f"{_project(project_id)}/rate_limits/{path_id(rate_limit_id, 'rate_limit_id')}", limits)


class ProjectCertificates(AdminResource):
    """Certificate activation per project (`/organization/projects/{id}/certificates`): list the
    organization's certificates with their state for the project, activate or deactivate them there.
    Uses the admin key. Reached as `client.organization.projects.certificates`.

    Example:
        >>> client.organization.projects.certificates.activate(project.id, [cert.id]).object
        'organization.project.certificate.activation'
        >>> [c.active for c in client.organization.projects.certificates.list(project.id) if c.id == cert.id]
        [True]
    """

    def list(self, project_id: str, *, limit: int | None = None, after: str | None = None,
             order: str | None = None):
        """The organization's certificates, each `active` or not for this project."""
        return self._list(f"{_project(project_id)}/certificates", {"limit": limit, "after": after, "order": order})

    def activate(self, project_id: str, certificate_ids: list) -> APIObject:
        """Activate certificates (uploaded to the organization) for this project.

        Example:
            >>> client.organization.projects.certificates.activate(project.id, [cert.id]).data[0].active
            True
        """
        return self._post(f"{_project(project_id)}/certificates/activate", {"certificate_ids": list(certificate_ids)})

    def deactivate(self, project_id: str, certificate_ids: list) -> APIObject:
        """Deactivate certificates for this project (they stay uploaded and active elsewhere).

        Example:
            >>> client.organization.projects.certificates.activate(project.id, [cert.id]).data[0].active
            True
            >>> client.organization.projects.certificates.deactivate(project.id, [cert.id]).data[0].active
            False
        """
        return self._post(f"{_project(project_id)}/certificates/deactivate",
                          {"certificate_ids": list(certificate_ids)})
