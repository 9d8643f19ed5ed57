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
from jupyter_api_kit.spec import INPUT_ROLES, STRING_CHECK_OPERATIONS

#: the most items one run grades
MAX_ITEMS = 10_000
#: the most graders of one eval, labels of one label model grader, messages of one template
MAX_CRITERIA, MAX_LABELS, MAX_MESSAGES = 32, 64, 64

#: the states of an eval run
RUN_STATUSES = ("queued", "in_progress", "completed", "canceled", "failed")

Name = Annotated[str, Field(max_length=256)]


class ContentRow(LenientModel):
    """A row of inline content: `item` is required, and `sources` says so naming the row."""

    item: dict | None = None
    sample: dict | None = None


class FileContent(BodyModel):
    type: Literal["file_content"]
    content: Annotated[list[ContentRow], Field(max_length=MAX_ITEMS)]


class FileId(BodyModel):
    type: Literal["file_id"]
    id: str


Count = Annotated[int, Field(ge=0)]
Label = Annotated[str, Field(min_length=1)]
Labels = Annotated[list[Label], Field(min_length=1, max_length=MAX_LABELS)]


class StoredCompletions(BodyModel):
    """Stored chat completions as a run's source, filtered (`created_before` after `created_after`:
    `stored_completions` says so)."""

    type: Literal["stored_completions"]
    metadata: Metadata | None = None
    model: str | None = None
    created_after: Count | None = None
    created_before: Count | None = None
    limit: Annotated[int, Field(ge=1, le=MAX_ITEMS)] | None = None


class EvalMessage(LenientModel):
    """A message of a template or a grader's input (its content, text or parts, is read by
    `templates.content_texts`)."""

    role: Literal[INPUT_ROLES]  # type: ignore[valid-type]
    content: str | dict | list
    type: Literal["message"] | None = None


class Template(BodyModel):
    type: Literal["template"]
    template: Annotated[list[EvalMessage], Field(max_length=MAX_MESSAGES)]


class ItemReference(BodyModel):
    type: Literal["item_reference"]
    item_reference: str


class SamplingParams(LenientModel):
    """A completions run's sampling (`response_format` and `tools` are read as a chat completion's)."""

    temperature: Annotated[float, Field(ge=0, le=2)] | None = None
    top_p: Annotated[float, Field(ge=0, le=1)] | None = None
    max_completion_tokens: Annotated[int, Field(ge=1, le=4096)] | None = None
    seed: int | None = None
    reasoning_effort: str | None = None  # taken; the local models do not reason
    response_format: dict | None = None
    tools: list | None = None


class GraderSampling(LenientModel):
    """A score model grader's sampling."""

    temperature: Annotated[float, Field(ge=0, le=2)] | None = None
    top_p: Annotated[float, Field(ge=0, le=1)] | None = None
    seed: int | None = None
    max_completions_tokens: Annotated[int, Field(ge=1)] | None = None
    reasoning_effort: str | None = None


class JsonlSource(BodyModel):
    type: Literal["jsonl"]
    source: tagged(FileContent, FileId)


class CompletionsSource(BodyModel):
    type: Literal["completions"]
    source: tagged(FileContent, FileId, StoredCompletions)
    model: str | None = None
    input_messages: tagged(Template, ItemReference) | None = None
    sampling_params: SamplingParams | None = None


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
    name: Name
    input: str
    reference: str
    operation: Literal[STRING_CHECK_OPERATIONS]  # type: ignore[valid-type]


class TextSimilarityGrader(LenientModel):
    """The metric is read by `graders`, which names the ones the local server computes."""

    type: Literal["text_similarity"]
    name: Name
    input: str
    reference: str
    evaluation_metric: str
    pass_threshold: Annotated[float, Field(ge=0, le=1)]


class LabelModelGrader(LenientModel):
    type: Literal["label_model"]
    name: Name
    model: str
    input: Annotated[list[EvalMessage], Field(min_length=1, max_length=MAX_MESSAGES)]
    labels: Labels
    passing_labels: Labels


class ScoreModelGrader(LenientModel):
    type: Literal["score_model"]
    name: Name
    model: str
    input: Annotated[list[EvalMessage], Field(min_length=1, max_length=MAX_MESSAGES)]
    pass_threshold: float | None = None  # within `range`: `model_graders` says so
    range: Annotated[list[float], Field(min_length=2, max_length=2)] | None = None
    sampling_params: GraderSampling | None = None


class PythonGrader(LenientModel):
    """Declared by the API; `graders` refuses it (the local server runs no submitted code)."""

    type: Literal["python"]
    name: Name
    source: str


class MultiGrader(LenientModel):
    """Declared by the API; `graders` refuses it (model and code graders combined)."""

    type: Literal["multi"]


class CreateEvalBody(BodyModel):
    """`POST /evals`. The configs and graders are objects the API leaves open (extra fields kept);
    their fields' types and the graders' required fields are checked here."""

    name: Name | None = None
    metadata: Metadata | None = None
    data_source_config: tagged(CustomConfig, LogsConfig, StoredCompletionsConfig)
    testing_criteria: Annotated[list[tagged(StringCheckGrader, TextSimilarityGrader, LabelModelGrader,
                                            ScoreModelGrader, PythonGrader, MultiGrader)],
                                Field(min_length=1, max_length=MAX_CRITERIA)]


class EvalsQuery(QueryModel):
    """`GET /evals`."""

    order_by: Literal["created_at", "updated_at"] = "created_at"


class RunsQuery(QueryModel):
    """`GET /evals/{id}/runs`."""

    status: Literal[RUN_STATUSES] | None = None  # type: ignore[valid-type]


class OutputItemsQuery(QueryModel):
    """`GET /evals/{id}/runs/{run_id}/output_items`."""

    status: Literal["pass", "fail"] | None = None
