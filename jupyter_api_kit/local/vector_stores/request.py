"""The Vector Stores API's request bodies as declared models (after the API's
`CreateVectorStoreRequest`), checked before a handler runs. `expires_after` and `chunking_strategy`
are read further by `store` and `chunking`, which name what the local server allows.

`description` is taken, as the API documents it, but not kept: the API's vector store object has no
field to show it in.

Example:
    >>> from jupyter_api_kit.local.core.request_models import read
    >>> read(CreateVectorStoreBody, {"name": "notes", "description": "Lecture notes"}).description
    'Lecture notes'
    >>> read(CreateVectorStoreBody, {"file_ids": "file-1"})
    Traceback (most recent call last):
    ...
    jupyter_api_kit.local.core.errors.BadRequest: Invalid type for 'file_ids': expected an array, got a string.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from jupyter_api_kit.local.core.request_models import BodyModel, LenientModel, Metadata

#: at most this many files are attached when a store is created
MAX_STORE_FILES = 500


class CreateVectorStoreBody(BodyModel):
    """`POST /vector_stores`."""

    name: str | None = None
    description: str | None = None
    file_ids: Annotated[list[str], Field(max_length=MAX_STORE_FILES)] | None = None
    expires_after: LenientModel | None = None
    chunking_strategy: LenientModel | None = None
    metadata: Metadata | None = None
