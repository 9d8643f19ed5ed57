"""The text fields of a file upload as a declared model (after the API's `CreateFileRequest`): the
`purpose` and the optional `expires_after`. Form fields arrive as text, so numbers are read from
their digits; the file part itself (present, a file, not too large) is checked by `routes`.

Example:
    >>> from jupyter_api_kit.local.core.request_models import read
    >>> read(UploadForm, {"purpose": "fine-tune", "expires_after": {"anchor": "created_at", "seconds": "3600"}})
    UploadForm(purpose='fine-tune', expires_after=ExpiresAfter(anchor='created_at', seconds=3600))
    >>> read(UploadForm, {"purpose": "pictures"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    jupyter_api_kit.local.core.errors.BadRequest: Invalid value for 'purpose': 'pictures'. Supported values are: ...
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from jupyter_api_kit.local.core.request_models import QueryModel
from jupyter_api_kit.local.files.store import MAX_TTL, MIN_TTL, UPLOAD_PURPOSES


class ExpiresAfter(BaseModel):
    """When the file expires: `seconds` (1 hour to 30 days) after its creation."""

    model_config = ConfigDict(extra="forbid")

    anchor: Literal["created_at"]
    seconds: Annotated[int, Field(ge=MIN_TTL, le=MAX_TTL)]


class UploadForm(BaseModel):
    """`POST /files`, its text fields (`evals` is a purpose the API's upload takes, shown as `user_data`)."""

    model_config = ConfigDict(extra="forbid")

    purpose: Literal[UPLOAD_PURPOSES]  # type: ignore[valid-type]
    expires_after: ExpiresAfter | None = None


class FilesQuery(QueryModel):
    """`GET /files`: only files of one purpose (any text: a purpose no file has lists nothing)."""

    purpose: str | None = None
