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

from pydantic import AfterValidator, Field

from jupyter_api_kit.local.core.request_models import BodyModel, LenientModel, Metadata, QueryModel, tagged
from jupyter_api_kit.local.vector_stores.chunking import MAX_CHUNK, MIN_CHUNK
from jupyter_api_kit.local.vector_stores.search import RANKERS
from jupyter_api_kit.local.vector_stores.store import STATUSES
from jupyter_api_kit.spec import MAX_METADATA_KEY as MAX_KEY
from jupyter_api_kit.spec import MAX_METADATA_PAIRS as MAX_ATTRIBUTES
from jupyter_api_kit.spec import MAX_METADATA_VALUE as MAX_VALUE

#: at most this many files are attached when a store is created
MAX_STORE_FILES = 500
#: at most this many files in one batch, as the API allows
MAX_BATCH_FILES = 2000


class ExpiresAfter(BodyModel):
    """When a store expires: `days` (1-365) after it was last active."""

    anchor: Literal["last_active_at"]
    days: Annotated[int, Field(ge=1, le=365)]


class StaticSizes(BodyModel):
    """A static strategy's sizes (the overlap at most half the chunk: `chunking.parse_strategy`)."""

    max_chunk_size_tokens: Annotated[int, Field(ge=MIN_CHUNK, le=MAX_CHUNK)]
    chunk_overlap_tokens: Annotated[int, Field(ge=0)]


class AutoChunking(BodyModel):
    type: Literal["auto"]


class StaticChunking(BodyModel):
    type: Literal["static"]
    static: StaticSizes


#: how a file is cut into chunks
ChunkingStrategy = tagged(AutoChunking, StaticChunking)


def _attribute_limits(value: dict) -> dict:
    if len(value) > MAX_ATTRIBUTES:
        raise ValueError(f"{len(value)} keys; at most {MAX_ATTRIBUTES} are allowed")
    for key, item in value.items():
        if len(key) > MAX_KEY:
            raise ValueError(f"key '{key[:20]}...' is longer than {MAX_KEY} characters")
        if isinstance(item, str) and len(item) > MAX_VALUE:
            raise ValueError(f"the value of '{key}' is longer than {MAX_VALUE} characters")
    return value


#: a file's `attributes`: up to 16 keys of at most 64 characters; values strings (at most 512
#: characters), numbers or booleans
Attributes = Annotated[dict[str, str | int | float | bool], AfterValidator(_attribute_limits)]


class CreateVectorStoreBody(BodyModel):
    """`POST /vector_stores`."""

    name: str | None = Field(None, max_length=256)
    description: str | None = None
    file_ids: Annotated[list[str], Field(max_length=MAX_STORE_FILES)] | None = None
    expires_after: ExpiresAfter | None = None
    chunking_strategy: ChunkingStrategy | None = None
    metadata: Metadata | None = None


class UpdateVectorStoreBody(BodyModel):
    """`POST /vector_stores/{id}`: a new name, expiry or metadata (null clears the latter two)."""

    name: str | None = Field(None, max_length=256)
    expires_after: ExpiresAfter | None = None
    metadata: Metadata | None = None


class VectorStoreFileBody(BodyModel):
    """`POST /vector_stores/{id}/files`, and each item of a batch's `files`."""

    file_id: str
    chunking_strategy: ChunkingStrategy | None = None
    attributes: Attributes | None = None


class FileBatchBody(BodyModel):
    """`POST /vector_stores/{id}/file_batches`: `file_ids` or `files` (exactly one: `routes` says so,
    as the API's `anyOf` does)."""

    file_ids: Annotated[list[str], Field(min_length=1, max_length=MAX_BATCH_FILES)] | None = None
    files: Annotated[list[VectorStoreFileBody], Field(min_length=1, max_length=MAX_BATCH_FILES)] | None = None
    chunking_strategy: ChunkingStrategy | None = None
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
