"""The Responses API's request bodies as declared models, after the API's request schemas
(`CreateResponse`, `TokenCountsBody`, `CompactResponseMethodPublicBody`): types, required fields and
allowed values are checked here, before a handler runs, so a wrongly typed `tool_choice.name` or a
file search result that is not an object is a 400 naming it, never a 500 or a stored value.

What no schema says (the local server reads text parts only, runs `function` and `file_search`
tools, resolves item references) is checked afterwards by `request` and `engine`. Documented
leniencies, kept for the clients that rely on them: a content part may be `{"type": "text"}`, and an
echoed `file_search_call` may leave out its `id`, `queries` and `status` (they are filled in).

Example:
    >>> from jupyter_api_kit.local.core.request_models import read
    >>> read(InputTokensBody, {"model": "local-ngram", "input": "Hi"}).input
    'Hi'
    >>> read(InputTokensBody, {"tool_choice": {"type": "function", "name": {"x": 1}}})
    Traceback (most recent call last):
    ...
    jupyter_api_kit.local.core.errors.BadRequest: Invalid type for 'tool_choice.name': expected a string, got an object.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from jupyter_api_kit.local.core.request_models import BodyModel, LenientModel, Metadata, QueryModel, tagged
from jupyter_api_kit.spec import INPUT_ROLES

Role = Literal[INPUT_ROLES]  # type: ignore[valid-type]
Include = Literal["file_search_call.results", "message.output_text.logprobs", "web_search_call.results",
                  "web_search_call.action.sources", "message.input_image.image_url",
                  "computer_call_output.output.image_url", "code_interpreter_call.outputs",
                  "reasoning.encrypted_content"]
#: tools the API documents besides function and file_search (the local server refuses them by name)
OTHER_TOOLS = Literal["web_search", "web_search_preview", "web_search_preview_2025_03_11", "web_search_2025_08_26",
                      "computer_use_preview", "code_interpreter", "image_generation", "mcp", "local_shell",
                      "shell", "custom", "apply_patch"]


class TextPart(BodyModel):
    type: Literal["input_text", "text"]
    text: str


class OutputTextPart(LenientModel):
    type: Literal["output_text"]
    text: str


class ImagePart(LenientModel):
    type: Literal["input_image", "input_audio"]


class FilePart(BodyModel):
    type: Literal["input_file"]
    file_id: str | None = None
    filename: str | None = None
    file_data: str | None = None
    file_url: str | None = None


class Message(BodyModel):
    type: Literal["message"] | None = None
    id: str | None = None
    role: Role
    content: str | list[tagged(TextPart, OutputTextPart, ImagePart, FilePart)]
    status: Literal["in_progress", "completed", "incomplete"] | None = None


class ItemReference(BodyModel):
    type: Literal["item_reference"]
    id: str


class FunctionCall(BodyModel):
    type: Literal["function_call"]
    id: str | None = None
    call_id: str
    name: str
    arguments: str
    status: Literal["in_progress", "completed", "incomplete"] | None = None


class FunctionCallOutput(BodyModel):
    type: Literal["function_call_output"]
    id: str | None = None
    call_id: str
    output: str | list[tagged(TextPart, ImagePart, FilePart)]
    status: Literal["in_progress", "completed", "incomplete"] | None = None


class FileSearchResult(BodyModel):
    file_id: str | None = None
    filename: str | None = None
    text: str | None = None
    score: float | None = None
    attributes: dict[str, str | float | bool] | None = None


class FileSearchCall(BodyModel):
    type: Literal["file_search_call"]
    id: str | None = None
    queries: list[str] | None = None
    status: Literal["in_progress", "searching", "completed", "incomplete", "failed"] | None = None
    results: list[FileSearchResult] | None = None


class Compaction(BodyModel):
    type: Literal["compaction"]
    id: str | None = None
    encrypted_content: str


Item = tagged(Message, ItemReference, FunctionCall, FunctionCallOutput, FileSearchCall, Compaction,
              default="message")
Input = str | list[Item]


class FunctionTool(BodyModel):
    type: Literal["function"]
    name: str
    description: str | None = None
    parameters: dict | None = None
    strict: bool | None = None


class FileSearchTool(BodyModel):
    type: Literal["file_search"]
    vector_store_ids: list[str]
    max_num_results: Annotated[int, Field(ge=1, le=50)] | None = None
    ranking_options: LenientModel | None = None
    filters: LenientModel | None = None


class OtherTool(LenientModel):
    type: OTHER_TOOLS


Tool = tagged(FunctionTool, FileSearchTool, OtherTool)


class FunctionChoice(BodyModel):
    type: Literal["function"]
    name: str


class NamedChoice(BodyModel):
    type: Literal["mcp", "custom"]
    name: str | None = None
    server_label: str | None = None


class HostedChoice(BodyModel):
    type: Literal["file_search", "web_search_preview", "web_search_preview_2025_03_11", "computer_use_preview",
                  "code_interpreter", "image_generation"]


class AllowedTools(BodyModel):
    type: Literal["allowed_tools"]
    mode: Literal["auto", "required"]
    tools: list[dict]


ToolChoice = Literal["none", "auto", "required"] | tagged(FunctionChoice, NamedChoice, HostedChoice, AllowedTools)


class PlainFormat(BodyModel):
    type: Literal["text", "json_object"]


class SchemaFormat(BodyModel):
    type: Literal["json_schema"]
    name: Annotated[str, Field(max_length=64)]
    schema_: dict = Field(alias="schema")
    description: str | None = None
    strict: bool | None = None


class TextOptions(BodyModel):
    format: tagged(PlainFormat, SchemaFormat) | None = None
    verbosity: Literal["low", "medium", "high"] | None = None


class Reasoning(BodyModel):
    effort: Literal["none", "minimal", "low", "medium", "high", "xhigh"] | None = None
    summary: Literal["auto", "concise", "detailed"] | None = None
    generate_summary: Literal["auto", "concise", "detailed"] | None = None


class ConversationRef(BodyModel):
    id: str


class Context(BodyModel):
    """What a request for input tokens and a request for a response both say about the conversation."""

    model: str | None = None
    input: Input | None = None
    instructions: str | None = None
    previous_response_id: str | None = None
    conversation: str | ConversationRef | None = None
    tools: Annotated[list[Tool], Field(max_length=128)] | None = None
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    text: TextOptions | None = None
    reasoning: Reasoning | None = None
    truncation: Literal["auto", "disabled"] | None = None


class InputTokensBody(Context):
    """`POST /responses/input_tokens`."""

    personality: str | None = None


class StreamOptions(BodyModel):
    include_obfuscation: bool | None = None


class CreateResponseBody(Context):
    """`POST /responses` (`prompt` and `context_management` are declared so that the refusal says the
    local server does not support them)."""

    model: str
    metadata: Metadata | None = None
    max_output_tokens: Annotated[int, Field(ge=16)] | None = None  # the API refuses fewer than 16
    temperature: Annotated[float, Field(ge=0, le=2)] | None = None
    top_p: Annotated[float, Field(ge=0, le=1)] | None = None
    top_logprobs: Annotated[int, Field(ge=0, le=20)] | None = None
    include: list[Include] | None = None
    store: bool | None = None
    background: bool | None = None
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    user: str | None = None
    safety_identifier: str | None = None
    prompt_cache_key: str | None = None
    prompt_cache_retention: Literal["in-memory", "24h"] | None = None
    service_tier: Literal["auto", "default", "flex", "scale", "priority"] | None = None
    max_tool_calls: int | None = None
    prompt: LenientModel | None = None
    context_management: list | None = None


class CompactBody(BodyModel):
    """`POST /responses/compact`."""

    model: str
    input: Input | None = None
    instructions: str | None = None
    previous_response_id: str | None = None
    prompt_cache_key: str | None = None
    prompt_cache_retention: Literal["in-memory", "24h"] | None = None
    prompt_cache_options: LenientModel | None = None
    service_tier: Literal["auto", "default", "flex", "scale", "priority"] | None = None


class RetrieveQuery(QueryModel):
    """`GET /responses/{id}` (a replayed stream, `stream=true`, is refused by the handler)."""

    include: list[Include] = []
    stream: bool = False
    starting_after: int | None = None
    include_obfuscation: bool | None = None
