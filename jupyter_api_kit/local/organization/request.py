"""The organization's project, service-account, rate-limit and certificate requests as declared models
(after the API's `ProjectCreateRequest`, `ProjectUpdateRequest`, `ProjectUserCreateRequest`,
`ProjectUserUpdateRequest`, `ProjectServiceAccountCreateRequest`,
`CreateProjectServiceAccountApiKeyBody`, `ProjectRateLimitUpdateRequest`, `UploadCertificateRequest`,
`ModifyCertificateRequest`, `ToggleCertificatesRequest`) and their list filters, checked before a
handler runs. The API declares these objects without `additionalProperties: false`; the local server
refuses unknown fields all the same, as the live API answers them ("Unrecognized request argument").

What stays with the handlers: a name that is only spaces, an email's form, `user_id` or `email`
(one of them), and limits the local models do not have (images, audio).

Example:
    >>> from jupyter_api_kit.local.core.request_models import read
    >>> read(ProjectBody, {"name": "Moons", "residency": "EU_STORAGE_PROCESSING"}).residency
    'EU_STORAGE_PROCESSING'
    >>> read(ProjectUserBody, {"email": "ada@example.org", "role": "boss"})
    Traceback (most recent call last):
    ...
    jupyter_api_kit.local.core.errors.BadRequest: Invalid value for 'role': 'boss'. Supported values are: 'owner' or 'member'.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from jupyter_api_kit.local.core.request_models import BodyModel, QueryModel
from jupyter_api_kit.local.organization.rate_limits import DEFAULT_LIMITS
from jupyter_api_kit.local.organization.store import MAX_NAME, RESIDENCIES
from jupyter_api_kit.spec import PROJECT_ROLES

Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME)]


class ProjectBody(BodyModel):
    """`POST /organization/projects`."""

    name: Name
    residency: Literal[RESIDENCIES] | None = None  # type: ignore[valid-type]
    external_key_id: Annotated[str, Field(max_length=MAX_NAME)] | None = None


class ProjectUpdateBody(BodyModel):
    """`POST /organization/projects/{id}`."""

    name: Name | None = None
    external_key_id: Annotated[str, Field(max_length=MAX_NAME)] | None = None


class ProjectUserBody(BodyModel):
    """`POST /organization/projects/{id}/users`."""

    role: Literal[PROJECT_ROLES]  # type: ignore[valid-type]
    user_id: str | None = None
    email: Annotated[str, Field(max_length=MAX_NAME)] | None = None


class ProjectUserUpdateBody(BodyModel):
    """`POST /organization/projects/{id}/users/{user_id}` (the API allows null; nothing changes then
    but the handler needs a role, so the local server requires one)."""

    role: Literal[PROJECT_ROLES]  # type: ignore[valid-type]


class ServiceAccountBody(BodyModel):
    """`POST /organization/projects/{id}/service_accounts`."""

    name: Name
    create_service_account_only: bool | None = None


class ServiceAccountKeyBody(BodyModel):
    """`POST .../service_accounts/{id}/api_keys`."""

    name: Name = "Secret Key"
    scopes: Annotated[list[str], Field(max_length=32)] = []


def _limit(name: str):
    return Annotated[int, Field(ge=1, le=DEFAULT_LIMITS.get(name, 10**12))] | None


class RateLimitBody(BodyModel):
    """`POST /organization/projects/{id}/rate_limits/{rate_limit_id}`: each at least 1 and at most
    the organization's own limit."""

    max_requests_per_1_minute: _limit("max_requests_per_1_minute") = None
    max_tokens_per_1_minute: _limit("max_tokens_per_1_minute") = None
    max_images_per_1_minute: _limit("max_images_per_1_minute") = None
    max_audio_megabytes_per_1_minute: _limit("max_audio_megabytes_per_1_minute") = None
    max_requests_per_1_day: _limit("max_requests_per_1_day") = None
    batch_1_day_max_input_tokens: _limit("batch_1_day_max_input_tokens") = None


class RateLimitsQuery(QueryModel):
    """`GET /organization/projects/{id}/rate_limits`: one limit per model, paged in memory."""

    limit: Annotated[int, Field(ge=1, le=100)] = 100
    after: str | None = None
    before: str | None = None


class ProjectsQuery(QueryModel):
    include_archived: bool = False


class KeysQuery(QueryModel):
    owner_project_access: Literal["active", "inactive", "any"] | None = None


class CertificateBody(BodyModel):
    """`POST /organization/certificates`."""

    certificate: str
    name: Annotated[str, Field(max_length=MAX_NAME)] | None = None


class CertificateUpdateBody(BodyModel):
    """`POST /organization/certificates/{id}` (the API makes `name` optional; without it there is
    nothing to change, so the local server asks for it)."""

    name: Annotated[str, Field(max_length=MAX_NAME)]


class ToggleCertificatesBody(BodyModel):
    """`POST .../certificates/activate` and `/deactivate`."""

    certificate_ids: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1, max_length=10)]


class CertificateQuery(QueryModel):
    """`GET /organization/certificates/{id}`: `include[]=content` adds the PEM text."""

    include: list[Literal["content"]] = []
