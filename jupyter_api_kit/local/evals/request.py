"""The Evals API's request bodies as declared models (after the API's `UpdateEvalRequest` and
`CreateEvalRunRequest`), checked before a handler runs: a wrongly typed field is a 400 naming it,
and nothing of the request is stored. What no schema says (which sources and templates the local
server runs, the item schema of the eval) is checked afterwards by `sources`.

Example:
    >>> from jupyter_api_kit.local.core.request_models import read
    >>> source = {"type": "jsonl", "source": {"type": "file_content", "content": [{"item": {}, "sample": 0}]}}
    >>> read(CreateRunBody, {"data_source": source})
    Traceback (most recent call last):
    ...
    jupyter_api_kit.local.core.errors.BadRequest: Invalid type for 'data_source.source.content[0].sample': expected an object, got an integer.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from jupyter_api_kit.local.core.request_models import BodyModel, LenientModel, Metadata, tagged

Name = Annotated[str, Field(max_length=256)]


class ContentRow(LenientModel):
    """A row of inline content: `item` is required, and `sources` says so naming the row."""

    item: dict | None = None
    sample: dict | None = None


class FileContent(BodyModel):
    type: Literal["file_content"]
    content: list[ContentRow]


class FileId(BodyModel):
    type: Literal["file_id"]
    id: str


class StoredCompletions(LenientModel):
    type: Literal["stored_completions"]


class JsonlSource(BodyModel):
    type: Literal["jsonl"]
    source: tagged(FileContent, FileId)


class CompletionsSource(BodyModel):
    type: Literal["completions"]
    source: tagged(FileContent, FileId, StoredCompletions)
    model: str | None = None
    input_messages: LenientModel | None = None
    sampling_params: LenientModel | None = None


class ResponsesSource(LenientModel):
    type: Literal["responses"]


class UpdateEvalBody(BodyModel):
    """`POST /evals/{id}`."""

    name: Name | None = None
    metadata: Metadata | None = None


class CreateRunBody(BodyModel):
    """`POST /evals/{id}/runs`."""

    name: Name | None = None
    metadata: Metadata | None = None
    data_source: tagged(JsonlSource, CompletionsSource, ResponsesSource)
