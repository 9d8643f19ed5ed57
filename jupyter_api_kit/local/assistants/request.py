"""The Assistants API's requests: their declared shapes (after the API's request schemas, checked
before a handler runs), then reading a create-run (or create-thread-and-run) request and building
the run object it asks for.

Everything is checked before anything is written, so a bad request leaves no message, thread or
run behind. The run copies the assistant's model, instructions, tools and sampling, with the
request's overrides on top. What no schema says (the local server runs function tools only; a
`required` tool choice needs a tool) is checked by `options`, after the shape.

Example:
    >>> req = parse_run_request({"assistant_id": "asst_1", "temperature": 0.2, "max_completion_tokens": 300})
    >>> req["temperature"], req["max_completion_tokens"], req["stream"]
    (0.2, 300, False)
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from jupyter_api_kit.local.assistants.file_search import RANKERS
from jupyter_api_kit.local.assistants.options import (
    parse_response_format,
    parse_tool_choice,
    parse_tool_resources,
    parse_tools,
    parse_truncation,
    sampling,
)
from jupyter_api_kit.local.assistants.store import (
    parse_message,
    parse_messages,
)
from jupyter_api_kit.local.core.errors import BadRequest
from jupyter_api_kit.local.core.ids import new_id, now
from jupyter_api_kit.local.core.raw_request import type_name
from jupyter_api_kit.local.core.request_models import BodyModel, LenientModel, Metadata, QueryModel, tagged
from jupyter_api_kit.local.vector_stores.request import ChunkingStrategy
from jupyter_api_kit.spec import MESSAGE_ROLES

Effort = Literal["minimal", "low", "medium", "high"]
#: the API's floor for both token limits of a run
MIN_TOKEN_LIMIT = 256
Temperature = Annotated[float, Field(ge=0, le=2)]
TopP = Annotated[float, Field(ge=0, le=1)]
Detail = Literal["auto", "low", "high"]
#: an absolute URI: a scheme, a colon, then something (a data: URL counts)
URI = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9+.-]*:.+")]


class CodeInterpreterResources(BodyModel):
    file_ids: Annotated[list[str], Field(max_length=20)] | None = None


def _file_id(value):
    if not isinstance(value, str) or not value:
        raise ValueError(f"expected a file id string, got {type_name(value) if value != '' else 'an empty one'}")
    return value


#: a file's id: a non-empty string (the error says what was expected in the words of the API)
FileId = Annotated[str, BeforeValidator(_file_id)]


class NewVectorStore(BodyModel):
    """A vector store to make with the assistant or thread (`file_search.vector_stores`)."""

    file_ids: Annotated[list[FileId], Field(max_length=10000)] | None = None
    chunking_strategy: ChunkingStrategy | None = None
    metadata: Metadata | None = None


class FileSearchResources(BodyModel):
    vector_store_ids: Annotated[list[str], Field(max_length=1)] | None = None
    vector_stores: Annotated[list[NewVectorStore], Field(max_length=1)] | None = None


class ToolResources(BodyModel):
    """`tool_resources` of an assistant, a thread or a create-thread-and-run request."""

    code_interpreter: CodeInterpreterResources | None = None
    file_search: FileSearchResources | None = None


class FunctionDefinition(BodyModel):
    name: str
    description: str | None = None
    parameters: dict | None = None
    strict: bool | None = None


class FunctionTool(BodyModel):
    type: Literal["function"]
    function: FunctionDefinition


class CodeInterpreterTool(BodyModel):
    type: Literal["code_interpreter"]


class RankingOptions(BodyModel):
    ranker: Literal[RANKERS] | None = None  # type: ignore[valid-type]
    score_threshold: Annotated[float, Field(ge=0, le=1)]


class FileSearchOptions(BodyModel):
    max_num_results: Annotated[int, Field(ge=1, le=50)] | None = None
    ranking_options: RankingOptions | None = None


class FileSearchTool(BodyModel):
    type: Literal["file_search"]
    file_search: FileSearchOptions | None = None


Tool = tagged(FunctionTool, CodeInterpreterTool, FileSearchTool)


class JSONSchemaFormat(BodyModel):
    name: Annotated[str, Field(max_length=64)]
    description: str | None = None
    schema_: dict | None = Field(None, alias="schema")
    strict: bool | None = None


class TextFormat(BodyModel):
    type: Literal["text"]


class JSONObjectFormat(BodyModel):
    type: Literal["json_object"]


class JSONSchemaResponseFormat(BodyModel):
    type: Literal["json_schema"]
    json_schema: JSONSchemaFormat


ResponseFormat = Literal["auto"] | tagged(TextFormat, JSONObjectFormat, JSONSchemaResponseFormat)


class NamedFunction(BodyModel):
    name: str


class ToolChoiceObject(BodyModel):
    type: Literal["function", "code_interpreter", "file_search"]
    function: NamedFunction | None = None


ToolChoice = Literal["none", "auto", "required"] | ToolChoiceObject


class TruncationStrategy(BodyModel):
    type: Literal["auto", "last_messages"]
    last_messages: Annotated[int, Field(ge=1)] | None = None


class TextPart(BodyModel):
    type: Literal["text"]
    text: str


class ImageFile(BodyModel):
    file_id: str
    detail: Detail = "auto"


class ImageFilePart(BodyModel):
    type: Literal["image_file"]
    image_file: ImageFile


class ImageURL(BodyModel):
    url: URI
    detail: Detail = "auto"


class ImageURLPart(BodyModel):
    type: Literal["image_url"]
    image_url: ImageURL


class AttachmentTool(BodyModel):
    type: Literal["code_interpreter", "file_search"]


class Attachment(BodyModel):
    file_id: str
    tools: list[AttachmentTool] | None = None


class CreateMessageBody(BodyModel):
    """`POST /threads/{id}/messages`, and each message of a new thread or of a run's additions."""

    role: Literal[MESSAGE_ROLES]
    content: str | Annotated[list[tagged(TextPart, ImageFilePart, ImageURLPart)], Field(min_length=1)]
    attachments: list[Attachment] | None = None
    metadata: Metadata | None = None


class MetadataBody(BodyModel):
    """Modifying a message or a run: only its metadata."""

    metadata: Metadata | None = None


class AssistantBody(BodyModel):
    """`POST /assistants/{id}` (every field optional); `CreateAssistantBody` needs a `model`."""

    model: str | None = None
    name: Annotated[str, Field(max_length=256)] | None = None
    description: Annotated[str, Field(max_length=512)] | None = None
    instructions: Annotated[str, Field(max_length=256000)] | None = None
    reasoning_effort: Effort | None = None
    tools: Annotated[list[Tool], Field(max_length=128)] | None = None
    tool_resources: ToolResources | None = None
    metadata: Metadata | None = None
    temperature: Temperature | None = None
    top_p: TopP | None = None
    response_format: ResponseFormat | None = None


class CreateAssistantBody(AssistantBody):
    model: str


class ModifyThreadBody(BodyModel):
    """`POST /threads/{id}`."""

    tool_resources: ToolResources | None = None
    metadata: Metadata | None = None


class CreateThreadBody(ModifyThreadBody):
    """`POST /threads`, and the `thread` of create-thread-and-run."""

    messages: list[CreateMessageBody] | None = None


class RunOptions(BodyModel):
    """What both ways of creating a run take."""

    assistant_id: str
    model: str | None = None
    instructions: Annotated[str, Field(max_length=256000)] | None = None
    tools: Annotated[list[Tool], Field(max_length=20)] | None = None
    metadata: Metadata | None = None
    temperature: Temperature | None = None
    top_p: TopP | None = None
    stream: bool | None = None
    max_prompt_tokens: Annotated[int, Field(ge=MIN_TOKEN_LIMIT)] | None = None
    max_completion_tokens: Annotated[int, Field(ge=MIN_TOKEN_LIMIT)] | None = None
    truncation_strategy: TruncationStrategy | None = None
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    response_format: ResponseFormat | None = None


class CreateRunBody(RunOptions):
    """`POST /threads/{id}/runs`."""

    reasoning_effort: Effort | None = None
    additional_instructions: str | None = None
    additional_messages: list[CreateMessageBody] | None = None


class CreateThreadAndRunBody(RunOptions):
    """`POST /threads/runs`."""

    thread: CreateThreadBody | None = None
    tool_resources: ToolResources | None = None


class ToolOutput(BodyModel):
    tool_call_id: str | None = None
    output: str | None = None


class SubmitToolOutputsBody(BodyModel):
    """`POST /threads/{id}/runs/{id}/submit_tool_outputs`."""

    tool_outputs: list[ToolOutput]
    stream: bool | None = None

def parse_thread_request(body: dict, param: str = "") -> dict:
    """A CreateThreadRequest (as `CreateThreadBody` checked it): `messages`, `tool_resources`, `metadata`."""
    prefix = f"{param}." if param else ""
    return {"messages": parse_messages(body.get("messages")),
            "tool_resources": parse_tool_resources(body.get("tool_resources"), f"{prefix}tool_resources",
                                                   new_stores=True),
            "metadata": body.get("metadata")}


def parse_run_request(body: dict, *, with_thread: bool = False) -> dict:
    """The fields of a run request (as `CreateRunBody` or `CreateThreadAndRunBody` checked them) with
    the API's defaults; tool choice is checked later against the run's tools."""
    out = {
        "assistant_id": body["assistant_id"],
        "model": body.get("model"),
        "instructions": body.get("instructions"),
        "additional_instructions": body.get("additional_instructions"),
        "tools": parse_tools(body.get("tools")),
        "metadata": body.get("metadata"),
        "stream": bool(body.get("stream")),
        "max_prompt_tokens": body.get("max_prompt_tokens"),
        "max_completion_tokens": body.get("max_completion_tokens"),
        "truncation_strategy": parse_truncation(body.get("truncation_strategy")),
        "tool_choice_raw": body.get("tool_choice"),
        "parallel_tool_calls": body.get("parallel_tool_calls") is not False,
        "response_format": parse_response_format(body.get("response_format")),
        **sampling(body),
    }
    if out["assistant_id"] == "":
        raise BadRequest("Invalid 'assistant_id': empty string.", param="assistant_id")
    if with_thread:
        out["thread"] = parse_thread_request(body.get("thread") or {}, "thread")
        out["tool_resources"] = parse_tool_resources(body.get("tool_resources"))
    else:
        out["additional_messages"] = parse_messages(body.get("additional_messages"))
    return out


def build_run(req: dict, assistant: dict, thread_id: str, *, expiry: float = 600.0,
              created: int | None = None) -> dict:
    """The `thread.run` object, status `queued`, for a checked request and its assistant."""
    tools = req["tools"] if req["tools"] is not None else assistant.get("tools") or []
    tool_choice = parse_tool_choice(req["tool_choice_raw"], tools)
    instructions = req["instructions"] if req["instructions"] is not None else assistant.get("instructions") or ""
    if req.get("additional_instructions"):
        instructions = f"{instructions}\n\n{req['additional_instructions']}".strip()
    created = now() if created is None else created

    def pick(key, default):
        value = req.get(key)
        if value is None:
            value = assistant.get(key)
        return default if value is None else value

    return {
        "id": new_id("run_"), "object": "thread.run", "created_at": created, "thread_id": thread_id,
        "assistant_id": assistant["id"], "status": "queued", "required_action": None, "last_error": None,
        "expires_at": created + int(expiry + 0.999), "started_at": None, "cancelled_at": None, "failed_at": None,
        "completed_at": None, "incomplete_details": None, "model": req["model"] or assistant["model"],
        "instructions": instructions, "tools": tools, "metadata": req["metadata"] or {}, "usage": None,
        "temperature": pick("temperature", 1.0), "top_p": pick("top_p", 1.0),
        "max_prompt_tokens": req["max_prompt_tokens"], "max_completion_tokens": req["max_completion_tokens"],
        "truncation_strategy": req["truncation_strategy"] or {"type": "auto", "last_messages": None},
        "tool_choice": tool_choice or "auto", "parallel_tool_calls": req["parallel_tool_calls"],
        "response_format": pick("response_format", "auto"),
    }


def parse_tool_outputs(body: dict) -> tuple[list, bool]:
    """`tool_outputs` ([{tool_call_id, output}]) and `stream` of a submit-tool-outputs request (as
    `SubmitToolOutputsBody` checked it); each output must name its call, as the run needs to know which.

    Example:
        >>> parse_tool_outputs({"tool_outputs": [{"tool_call_id": "call_1", "output": "42"}]})
        ([{'tool_call_id': 'call_1', 'output': '42'}], False)
    """
    checked = []
    for i, item in enumerate(body["tool_outputs"]):
        if item.get("tool_call_id") is None:
            raise BadRequest(f"Missing required parameter: 'tool_outputs[{i}].tool_call_id'.",
                             param=f"tool_outputs[{i}].tool_call_id")
        checked.append({"tool_call_id": item["tool_call_id"], "output": item.get("output") or ""})
    return checked, bool(body.get("stream"))


__all__ = ["build_run", "parse_message", "parse_run_request", "parse_thread_request", "parse_tool_outputs"]


class MessagesQuery(QueryModel):
    """`GET /threads/{id}/messages`: only the messages one run made."""

    run_id: str | None = None
