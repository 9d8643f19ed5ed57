"""`client.organization.projects`: projects and, per project, users, service accounts, API keys,
rate limits and certificate activations. All calls use the admin key.

Example:
    >>> projects = client.organization.projects                        # doctest: +SKIP
    >>> p = projects.create(name="Research")                           # doctest: +SKIP
    >>> account = projects.service_accounts.create(p.id, name="ci")    # doctest: +SKIP
    >>> account.api_key.value        # shown once: a key that works as an API key   # doctest: +SKIP
    >>> projects.rate_limits.update(p.id, "rl-local-ngram", max_requests_per_1_minute=30)  # doctest: +SKIP
"""

from __future__ import annotations

from functools import cached_property

from jupyter_api_kit.client.objects import APIObject
from jupyter_api_kit.client.organization import AdminResource
from jupyter_api_kit.client.resource import path_id
from jupyter_api_kit.errors import InvalidInputError

BASE = "organization/projects"


def _project(project_id) -> str:
    return f"{BASE}/{path_id(project_id, 'project_id')}"


class Projects(AdminResource):
    @cached_property
    def users(self) -> "ProjectUsers":
        return self._sub(ProjectUsers)

    @cached_property
    def service_accounts(self) -> "ServiceAccounts":
        return self._sub(ServiceAccounts)

    @cached_property
    def api_keys(self) -> "ProjectApiKeys":
        return self._sub(ProjectApiKeys)

    @cached_property
    def rate_limits(self) -> "RateLimits":
        return self._sub(RateLimits)

    @cached_property
    def certificates(self) -> "ProjectCertificates":
        return self._sub(ProjectCertificates)

    def list(self, *, limit: int | None = None, after: str | None = None, include_archived: bool | None = None):
        """Projects (archived ones with `include_archived=True`), as a page that iterates all pages.

        Example:
            >>> client.organization.projects.list(include_archived=True).to_frame()   # doctest: +SKIP
        """
        return self._list(BASE, {"limit": limit, "after": after, "include_archived": include_archived})

    def create(self, *, name: str, residency: str | None = None, external_key_id: str | None = None) -> APIObject:
        """Create a project.

        Example:
            >>> client.organization.projects.create(name="Teaching").status   # doctest: +SKIP
            'active'
        """
        if not isinstance(name, str) or not name.strip():
            raise InvalidInputError(f"name must be a non-empty string, got {name!r}", param="name")
        return self._post(BASE, {"name": name, "residency": residency, "external_key_id": external_key_id})

    def retrieve(self, project_id: str) -> APIObject:
        return self._get(_project(project_id))

    def update(self, project_id: str, *, name: str | None = None, external_key_id: str | None = None) -> APIObject:
        """Rename a project or change its external key id (archived projects cannot be changed)."""
        return self._post(_project(project_id), {"name": name, "external_key_id": external_key_id})

    modify = update

    def archive(self, project_id: str) -> APIObject:
        """Archive a project: its keys stop working; it can no longer be used or updated."""
        return self._post(f"{_project(project_id)}/archive")


class ProjectUsers(AdminResource):
    def list(self, project_id: str, *, limit: int | None = None, after: str | None = None):
        return self._list(f"{_project(project_id)}/users", {"limit": limit, "after": after})

    def create(self, project_id: str, *, role: str, user_id: str | None = None, email: str | None = None) -> APIObject:
        """Add an organization member (by `user_id`) or a person (by `email`) with role `owner` or `member`.

        Example:
            >>> client.organization.projects.users.create(p.id, email="ada@example.org", role="member")  # doctest: +SKIP
        """
        if not user_id and not email:
            raise InvalidInputError("give user_id (an organization member) or email", param="user_id")
        return self._post(f"{_project(project_id)}/users", {"role": role, "user_id": user_id, "email": email})

    def retrieve(self, project_id: str, user_id: str) -> APIObject:
        return self._get(f"{_project(project_id)}/users/{path_id(user_id, 'user_id')}")

    def update(self, project_id: str, user_id: str, *, role: str) -> APIObject:
        return self._post(f"{_project(project_id)}/users/{path_id(user_id, 'user_id')}", {"role": role})

    def delete(self, project_id: str, user_id: str) -> APIObject:
        return self._delete(f"{_project(project_id)}/users/{path_id(user_id, 'user_id')}")


class ServiceAccounts(AdminResource):
    def list(self, project_id: str, *, limit: int | None = None, after: str | None = None):
        return self._list(f"{_project(project_id)}/service_accounts", {"limit": limit, "after": after})

    def create(self, project_id: str, *, name: str, create_service_account_only: bool | None = None) -> APIObject:
        """Create a service account; unless `create_service_account_only`, the answer carries its API key
        (`.api_key.value`), shown this once.

        Example:
            >>> key = client.organization.projects.service_accounts.create(p.id, name="ci").api_key.value  # doctest: +SKIP
        """
        return self._post(f"{_project(project_id)}/service_accounts",
                          {"name": name, "create_service_account_only": create_service_account_only})

    def retrieve(self, project_id: str, service_account_id: str) -> APIObject:
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
    def list(self, project_id: str, *, limit: int | None = None, after: str | None = None,
             owner_project_access: str | None = None):
        return self._list(f"{_project(project_id)}/api_keys",
                          {"limit": limit, "after": after, "owner_project_access": owner_project_access})

    def retrieve(self, project_id: str, api_key_id: str) -> APIObject:
        return self._get(f"{_project(project_id)}/api_keys/{path_id(api_key_id, 'api_key_id')}")

    def delete(self, project_id: str, api_key_id: str) -> APIObject:
        """Delete a key: requests made with it get a 401 from then on."""
        return self._delete(f"{_project(project_id)}/api_keys/{path_id(api_key_id, 'api_key_id')}")


RATE_LIMIT_FIELDS = ("max_requests_per_1_minute", "max_tokens_per_1_minute", "max_images_per_1_minute",
                     "max_audio_megabytes_per_1_minute", "max_requests_per_1_day", "batch_1_day_max_input_tokens")


class RateLimits(AdminResource):
    def list(self, project_id: str, *, limit: int | None = None, after: str | None = None,
             before: str | None = None):
        """The project's limit per model (ids are `rl-<model>`)."""
        return self._list(f"{_project(project_id)}/rate_limits", {"limit": limit, "after": after, "before": before})

    def update(self, project_id: str, rate_limit_id: str, **limits: int) -> APIObject:
        """Lower a project's limits for one model, e.g. `max_requests_per_1_minute=30`.

        Example:
            >>> client.organization.projects.rate_limits.update(p.id, "rl-local-ngram", max_tokens_per_1_minute=5000)  # doctest: +SKIP
        """
        unknown = sorted(set(limits) - set(RATE_LIMIT_FIELDS))
        if unknown:
            raise InvalidInputError(f"unknown rate limit field {unknown[0]!r}; fields: {', '.join(RATE_LIMIT_FIELDS)}",
                                    param=unknown[0])
        return self._post(f"{_project(project_id)}/rate_limits/{path_id(rate_limit_id, 'rate_limit_id')}", limits)


class ProjectCertificates(AdminResource):
    def list(self, project_id: str, *, limit: int | None = None, after: str | None = None,
             order: str | None = None):
        """The organization's certificates, each `active` or not for this project."""
        return self._list(f"{_project(project_id)}/certificates", {"limit": limit, "after": after, "order": order})

    def activate(self, project_id: str, certificate_ids: list) -> APIObject:
        return self._post(f"{_project(project_id)}/certificates/activate", {"certificate_ids": list(certificate_ids)})

    def deactivate(self, project_id: str, certificate_ids: list) -> APIObject:
        return self._post(f"{_project(project_id)}/certificates/deactivate",
                          {"certificate_ids": list(certificate_ids)})
