"""Reading and checking a chat completion request, so the route deals with valid values only.

Example:
    >>> from jupyter_api_kit.local.core.request_models import read
    >>> body = {"model": "local-ngram", "messages": [{"role": "user", "content": "Hi"}], "n": 2}
    >>> req = parse_chat_request(read(ChatCompletionBody, body) and body)
    >>> req.n, req.messages
    (2, [{'role': 'user', 'content': 'Hi'}])
    >>> read(ChatCompletionBody, {"model": "local-ngram", "messages": [{"role": "user", "content": 7}]})
    Traceback (most recent call last):
    ...
    jupyter_api_kit.local.core.errors.BadRequest: Invalid type for 'messages[0].content': expected a string or an array, got an integer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Literal

from pydantic import Field, ValidationError, WrapValidator

from jupyter_api_kit.local.core.errors import BadRequest
from jupyter_api_kit.local.core.request_models import BodyModel, LenientModel, Metadata, QueryModel, read, tagged
from jupyter_api_kit.local.inference.engine import content_text
from jupyter_api_kit.local.inference.tools import check_json_schema
from jupyter_api_kit.spec import CHAT_ROLES as ROLES

RESPONSE_FORMATS = ("text", "json_object", "json_schema")


class TextPart(BodyModel):
    """A text part (the Responses API's `input_text`/`output_text` are taken too: a local leniency)."""

    type: Literal["text", "input_text", "output_text"]
    text: str


class RefusalPart(BodyModel):
    type: Literal["refusal"]
    refusal: str


class ImageURL(BodyModel):
    url: str
    detail: Literal["auto", "low", "high"] = "auto"


class ImagePart(BodyModel):
    type: Literal["image_url"]
    image_url: ImageURL


class AudioPart(LenientModel):
    type: Literal["input_audio"]
    input_audio: LenientModel


class FilePart(LenientModel):
    type: Literal["file"]
    file: LenientModel


Part = tagged(TextPart, RefusalPart, ImagePart, AudioPart, FilePart)


class FunctionCall(BodyModel):
    name: str
    arguments: str


class ToolCall(BodyModel):
    """A function call an assistant message made."""

    id: str
    type: Literal["function"]
    function: FunctionCall


class CustomToolCall(LenientModel):
    type: Literal["custom"]


class Message(BodyModel):
    """One message. The API declares one shape per role; this is their union in one model, so
    fields another role has (`tool_calls` on a user message) are taken and ignored, and which role
    needs `content` is `parse_chat_request`'s rule."""

    role: Literal[ROLES]  # type: ignore[valid-type]
    content: str | Annotated[list[Part], Field(min_length=1)] | None = None
    name: str | None = None
    tool_calls: list[tagged(ToolCall, CustomToolCall)] | None = None
    tool_call_id: str | None = None
    refusal: str | None = None
    audio: LenientModel | None = None
    function_call: LenientModel | None = None


class FunctionDefinition(BodyModel):
    name: str = Field(max_length=64)
    description: str | None = None
    parameters: dict | None = None  # a JSON Schema, read by `check_json_schema`
    strict: bool | None = None


class FunctionTool(BodyModel):
    type: Literal["function"]
    function: FunctionDefinition


class CustomTool(LenientModel):
    """A custom tool: declared by the API, refused by `parse_chat_request` (the local models call
    functions only)."""

    type: Literal["custom"]


class NamedFunction(BodyModel):
    name: str


class FunctionChoice(BodyModel):
    type: Literal["function"]
    function: NamedFunction


class OtherChoice(LenientModel):
    """`allowed_tools` and `custom` choices: declared by the API; the local server names no custom tool."""

    type: Literal["allowed_tools", "custom"]


def _whole_choice(value, handler):
    """A `tool_choice` that fits none of its forms is one error about `tool_choice` (which form was
    meant is anyone's guess), as the API answers it."""
    try:
        return handler(value)
    except ValidationError:
        raise ValueError("expected 'none', 'auto', 'required' or {'type': 'function', 'function': {'name': "
                         "...}} naming one of 'tools'") from None


ToolChoice = Annotated[Literal["none", "auto", "required"] | tagged(FunctionChoice, OtherChoice),
                       WrapValidator(_whole_choice)]


class JSONSchemaFormat(BodyModel):
    name: str = Field(max_length=64)
    description: str | None = None
    schema_: dict | None = Field(None, alias="schema")
    strict: bool | None = None


class TextFormat(BodyModel):
    type: Literal["text", "json_object"]


class SchemaFormat(BodyModel):
    type: Literal["json_schema"]
    json_schema: JSONSchemaFormat


class StreamOptions(BodyModel):
    include_usage: bool | None = None
    include_obfuscation: bool | None = None


class ChatCompletionBody(BodyModel):
    """`POST /chat/completions`, after the API's `CreateChatCompletionRequest`: every field it
    declares, typed and bounded as it says. Parameters the local models do not act on (audio,
    penalties, reasoning, service tier...) are checked and then ignored. Cross-field rules
    (`top_logprobs` needs `logprobs`, `stream_options` needs `stream`, a named tool must be given)
    are `parse_chat_request`'s."""

    model: str
    messages: Annotated[list[Message], Field(min_length=1)]
    metadata: Metadata | None = None
    temperature: Annotated[float, Field(ge=0, le=2)] | None = None
    top_p: Annotated[float, Field(ge=0, le=1)] | None = None
    n: Annotated[int, Field(ge=1, le=128)] | None = None
    max_tokens: Annotated[int, Field(ge=1)] | None = None  # the API takes any integer; 0 makes nothing
    max_completion_tokens: Annotated[int, Field(ge=1)] | None = None
    seed: int | None = None
    stop: str | Annotated[list[str], Field(min_length=1, max_length=4)] | None = None
    logprobs: bool | None = None
    top_logprobs: Annotated[int, Field(ge=0, le=20)] | None = None
    store: bool | None = None
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    response_format: tagged(TextFormat, SchemaFormat) | None = None
    tools: Annotated[list[tagged(FunctionTool, CustomTool)], Field(max_length=128)] | None = None
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    frequency_penalty: Annotated[float, Field(ge=-2, le=2)] | None = None
    presence_penalty: Annotated[float, Field(ge=-2, le=2)] | None = None
    logit_bias: dict[str, int] | None = None
    user: str | None = None
    safety_identifier: str | None = Field(None, max_length=64)
    prompt_cache_key: str | None = None
    prompt_cache_retention: Literal["in_memory", "24h"] | None = None
    prompt_cache_options: LenientModel | None = None
    service_tier: Literal["auto", "default", "flex", "scale", "priority", "fast"] | None = None
    modalities: list[Literal["text", "audio"]] | None = None
    verbosity: Literal["low", "medium", "high"] | None = None
    reasoning_effort: Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"] | None = None
    web_search_options: LenientModel | None = None
    audio: LenientModel | None = None
    prediction: LenientModel | None = None
    moderation: LenientModel | None = None
    function_call: Literal["none", "auto"] | LenientModel | None = None
    functions: Annotated[list[LenientModel], Field(min_length=1, max_length=128)] | None = None


class UpdateCompletionBody(BodyModel):
    """`POST /chat/completions/{id}`: the stored completion's new metadata (null clears it)."""

    metadata: Metadata | None


@dataclass
class ChatRequest:
    """A checked chat completion request: what `parse_chat_request` returns, with messages reduced
    to role and text and every option at its API default. `raw` keeps the body as sent (for storing).

    Example:
        >>> req = parse_chat_request({"model": "local-ngram", "messages": [{"role": "user", "content": "Hi"}],
        ...                           "stop": "\\n", "max_tokens": 20})
        >>> req.stop, req.max_tokens, req.temperature, req.stream
        (['\\n'], 20, 1.0, False)
    """

    model: str
    messages: list  # normalized: role + text content
    n: int = 1
    temperature: float = 1.0
    top_p: float = 1.0
    max_tokens: int | None = None
    seed: int | None = None
    stop: list = field(default_factory=list)
    logprobs: bool = False
    top_logprobs: int = 0
    store: bool = False
    metadata: dict | None = None
    stream: bool = False
    include_usage: bool = False
    response_format: dict | None = None
    tools: list = field(default_factory=list)
    tool_choice: object = None
    raw: dict = field(default_factory=dict)


def _messages(messages: list) -> list:
    out = []
    for i, message in enumerate(messages):
        role = message["role"]
        if message.get("content") is None and role != "assistant":
            raise BadRequest(f"Missing required parameter: 'messages[{i}].content'.", param=f"messages[{i}].content")
        item = {"role": role, "content": content_text(message.get("content"), f"messages[{i}].content")}
        # What the model needs to follow a tool round trip: which calls were made and answered.
        if role == "assistant" and message.get("tool_calls") is not None:
            item["tool_calls"] = _tool_calls(message["tool_calls"], f"messages[{i}].tool_calls")
        if role == "tool" and message.get("tool_call_id") is not None:
            item["tool_call_id"] = message["tool_call_id"]
        if role == "function" and message.get("name") is not None:
            item["name"] = message["name"]
        out.append(item)
    return out


def _tool_calls(calls: list, param: str) -> list:
    """An assistant message's function `tool_calls` (custom tool calls name no local function)."""
    for k, call in enumerate(calls):
        if call["type"] != "function":
            raise BadRequest(f"Invalid '{param}[{k}]': the local server runs tools of type 'function'.",
                             param=f"{param}[{k}].type")
    return [{"id": call["id"], "type": "function",
             "function": {"name": call["function"]["name"], "arguments": call["function"]["arguments"]}}
            for call in calls]


def _stop(stop) -> list:
    if stop is None:
        return []
    return [s for s in ([stop] if isinstance(stop, str) else stop) if s]


def _tools(body: dict) -> tuple[list, object]:
    tools = body.get("tools") or []
    for i, tool in enumerate(tools):
        if tool["type"] != "function":
            raise BadRequest(f"Invalid 'tools[{i}]': the local server runs tools of type 'function' with a "
                             "'function' object.", param=f"tools[{i}]")
        parameters = tool["function"].get("parameters")  # a JSON Schema object; the local model fills it in
        if parameters is not None:
            check_json_schema(parameters, f"tools[{i}].function.parameters")
    choice = body.get("tool_choice")
    names = {t["function"]["name"] for t in tools}
    if choice == "required" and not tools:
        raise BadRequest("'tool_choice' is 'required' but no 'tools' were given.", param="tool_choice")
    if isinstance(choice, dict):
        name = choice["function"]["name"] if choice["type"] == "function" else None
        if name not in names:
            raise BadRequest(f"Invalid 'tool_choice': function '{name}' is not among the given 'tools'.",
                             param="tool_choice")
    return tools, choice


def _response_format(fmt: dict | None):
    if fmt is not None and fmt["type"] == "json_schema" and fmt["json_schema"].get("schema") is not None:
        check_json_schema(fmt["json_schema"]["schema"], "response_format.json_schema.schema")
    return fmt


def parse_chat_request(body: dict) -> ChatRequest:
    """The request the local models act on, from a body `ChatCompletionBody` has checked; what no
    schema says (which fields need which) is a 400 naming the parameter here."""
    logprobs = bool(body.get("logprobs"))
    if body.get("top_logprobs") is not None and not logprobs:
        raise BadRequest("'top_logprobs' requires 'logprobs' to be true.", param="top_logprobs")
    stream = bool(body.get("stream"))
    options = body.get("stream_options")
    if options is not None and not stream:
        raise BadRequest("'stream_options' is only allowed when 'stream' is true.", param="stream_options")
    max_tokens = body.get("max_completion_tokens")
    if max_tokens is None:
        max_tokens = body.get("max_tokens")
    tools, tool_choice = _tools(body)

    def given(key, default):
        return default if body.get(key) is None else body[key]

    return ChatRequest(
        model=body["model"], messages=_messages(body["messages"]), n=given("n", 1),
        temperature=float(given("temperature", 1.0)), top_p=float(given("top_p", 1.0)), max_tokens=max_tokens,
        seed=body.get("seed"), stop=_stop(body.get("stop")), logprobs=logprobs,
        top_logprobs=given("top_logprobs", 0), store=bool(body.get("store")), metadata=body.get("metadata"),
        stream=stream, include_usage=bool(options and options.get("include_usage")),
        response_format=_response_format(body.get("response_format")), tools=tools, tool_choice=tool_choice,
        raw=body)


def chat_request(body: dict) -> ChatRequest:
    """A chat completion request built inside the server (an eval run's sampling), checked as a
    request from outside is: against `ChatCompletionBody`, then `parse_chat_request`'s rules.

    Example:
        >>> chat_request({"model": "local-ngram", "messages": [{"role": "user", "content": "Hi"}],
        ...               "temperature": 1}).temperature
        1.0
    """
    read(ChatCompletionBody, body)
    return parse_chat_request(body)


class ListQuery(QueryModel):
    """`GET /chat/completions`: only completions of one `model` (and, read apart, `metadata[KEY]` pairs)."""

    model: str | None = None
