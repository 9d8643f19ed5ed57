"""The Evals API's request bodies and list filters as declared models (after the API's
`CreateEvalRequest`, `UpdateEvalRequest` and `CreateEvalRunRequest`), checked before a handler runs: a wrongly typed field is a 400 naming it,
and nothing of the request is stored. What no schema says (which sources, graders and templates
the local server runs, the item schema of the eval) is checked afterwards by `sources` and `graders`.

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

from jupyter_api_kit.local.core.request_models import BodyModel, LenientModel, Metadata, QueryModel, tagged
from jupyter_api_kit.spec import STRING_CHECK_OPERATIONS

#: the states of an eval run
RUN_STATUSES = ("queued", "in_progress", "completed", "canceled", "failed")

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


class CustomConfig(LenientModel):
    type: Literal["custom"]
    item_schema: dict
    include_sample_schema: bool | None = None


class LogsConfig(LenientModel):
    type: Literal["logs"]
    metadata: dict | None = None


class StoredCompletionsConfig(LenientModel):
    type: Literal["stored_completions"]
    metadata: dict | None = None


class StringCheckGrader(LenientModel):
    type: Literal["string_check"]
    name: str
    input: str
    reference: str
    operation: Literal[STRING_CHECK_OPERATIONS]  # type: ignore[valid-type]


class TextSimilarityGrader(LenientModel):
    """The metric is read by `graders`, which names the ones the local server computes."""

    type: Literal["text_similarity"]
    name: str
    input: str
    reference: str
    evaluation_metric: str
    pass_threshold: float


class LabelModelGrader(LenientModel):
    type: Literal["label_model"]
    name: str
    model: str
    input: list
    labels: list[str]
    passing_labels: list[str]


class ScoreModelGrader(LenientModel):
    type: Literal["score_model"]
    name: str
    model: str
    input: list
    pass_threshold: float | None = None
    range: list[float] | None = None
    sampling_params: dict | None = None


class PythonGrader(LenientModel):
    """Declared by the API; `graders` refuses it (the local server runs no submitted code)."""

    type: Literal["python"]
    name: str
    source: str


class CreateEvalBody(BodyModel):
    """`POST /evals`. The configs and graders are objects the API leaves open (extra fields kept);
    their fields' types and the graders' required fields are checked here."""

    name: Name | None = None
    metadata: Metadata | None = None
    data_source_config: tagged(CustomConfig, LogsConfig, StoredCompletionsConfig)
    testing_criteria: list[tagged(StringCheckGrader, TextSimilarityGrader, LabelModelGrader, ScoreModelGrader,
                                  PythonGrader)]


class EvalsQuery(QueryModel):
    """`GET /evals`."""

    order_by: Literal["created_at", "updated_at"] = "created_at"


class RunsQuery(QueryModel):
    """`GET /evals/{id}/runs`."""

    status: Literal[RUN_STATUSES] | None = None  # type: ignore[valid-type]


class OutputItemsQuery(QueryModel):
    """`GET /evals/{id}/runs/{run_id}/output_items`."""

    status: Literal["pass", "fail"] | None = None
