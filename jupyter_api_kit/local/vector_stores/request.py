"""The Vector Stores API's request bodies and list filters as declared models (after the API's
`CreateVectorStoreRequest`, `UpdateVectorStoreRequest`, `CreateVectorStoreFileRequest`,
`CreateVectorStoreFileBatchRequest`, `UpdateVectorStoreFileAttributesRequest` and
`VectorStoreSearchRequest`), checked before a handler runs. `expires_after` and `chunking_strategy`
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

from typing import Annotated, Literal

from pydantic import Field

from jupyter_api_kit.local.core.request_models import BodyModel, LenientModel, Metadata, QueryModel
from jupyter_api_kit.local.vector_stores.search import RANKERS
from jupyter_api_kit.local.vector_stores.store import STATUSES

#: at most this many files are attached when a store is created
MAX_STORE_FILES = 500
#: at most this many files in one batch, as the API allows
MAX_BATCH_FILES = 2000


class CreateVectorStoreBody(BodyModel):
    """`POST /vector_stores`."""

    name: str | None = Field(None, max_length=256)
    description: str | None = None
    file_ids: Annotated[list[str], Field(max_length=MAX_STORE_FILES)] | None = None
    expires_after: LenientModel | None = None
    chunking_strategy: LenientModel | None = None
    metadata: Metadata | None = None


#: a file's `attributes`: strings, numbers or booleans under string keys (limits: `store.check_attributes`)
Attributes = dict[str, str | int | float | bool]


class UpdateVectorStoreBody(BodyModel):
    """`POST /vector_stores/{id}`: a new name, expiry or metadata (null clears the latter two)."""

    name: str | None = Field(None, max_length=256)
    expires_after: LenientModel | None = None
    metadata: Metadata | None = None


class VectorStoreFileBody(BodyModel):
    """`POST /vector_stores/{id}/files`, and each item of a batch's `files`."""

    file_id: str
    chunking_strategy: LenientModel | None = None
    attributes: Attributes | None = None


class FileBatchBody(BodyModel):
    """`POST /vector_stores/{id}/file_batches`: `file_ids` or `files` (exactly one: `routes` says so,
    as the API's `anyOf` does)."""

    file_ids: Annotated[list[str], Field(min_length=1, max_length=MAX_BATCH_FILES)] | None = None
    files: Annotated[list[VectorStoreFileBody], Field(min_length=1, max_length=MAX_BATCH_FILES)] | None = None
    chunking_strategy: LenientModel | None = None
    attributes: Attributes | None = None


class AttributesBody(BodyModel):
    """`POST /vector_stores/{id}/files/{file_id}`: the file's new attributes (null clears them)."""

    attributes: Attributes | None


class RankingOptions(BodyModel):
    """A search's `ranking_options`."""

    ranker: Literal[RANKERS] = "auto"
    score_threshold: Annotated[float, Field(ge=0, le=1)] = 0.0


class SearchBody(BodyModel):
    """`POST /vector_stores/{id}/search`. The query's emptiness and the filter's shape (recursive,
    with the local server's depth limit) are read by `routes.parse_queries` and `search.parse_filter`."""

    query: str | list[str]
    rewrite_query: bool = False
    max_num_results: Annotated[int, Field(ge=1, le=50)] = 10
    filters: LenientModel | None = None
    ranking_options: RankingOptions | None = None


class FilesQuery(QueryModel):
    """`GET /vector_stores/{id}/files` and a batch's files: only those of one status."""

    filter: Literal[STATUSES] | None = None
