"""Making a response: the request read and checked, the conversation assembled (previous responses,
instructions, input), tools run (`file_search` over vector stores, forced `function` calls), the local
model's answer generated, and every step reported as the documented stream events.

The work itself is `responses.run.Run`: its `events()` is the one code path, whether a request is
plain, streamed or in the background.

Event order (text answer): response.created, response.in_progress, response.output_item.added,
response.content_part.added, response.output_text.delta..., response.output_text.done,
response.content_part.done, response.output_item.done, response.completed (or response.incomplete
when max_output_tokens cut the answer). A file_search call adds output_item.added,
file_search_call.in_progress, .searching, .completed and output_item.done before the message.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jupyter_api_kit.local.conversations import store as conversation_store
from jupyter_api_kit.local.core.errors import BadRequest
from jupyter_api_kit.local.core.ids import now
from jupyter_api_kit.local.core.params import Params, check_metadata
from jupyter_api_kit.local.inference.engine import resolve_language_model
from jupyter_api_kit.local.inference.tools import check_json_schema
from jupyter_api_kit.local.models.context import render_messages
from jupyter_api_kit.local.responses import store as response_store
from jupyter_api_kit.local.responses.request import parse_input, parse_tools, to_messages

INCLUDABLE = ("file_search_call.results", "message.output_text.logprobs", "web_search_call.results",
              "web_search_call.action.sources", "message.input_image.image_url",
              "computer_call_output.output.image_url", "code_interpreter_call.outputs", "reasoning.encrypted_content")
FIELDS = {"model", "input", "instructions", "previous_response_id", "store", "metadata", "max_output_tokens",
          "temperature", "top_p", "text", "tools", "tool_choice", "background", "stream", "stream_options",
          "include", "parallel_tool_calls", "top_logprobs", "user", "safety_identifier", "prompt_cache_key",
          "service_tier", "truncation", "reasoning", "max_tool_calls", "prompt_cache_retention", "conversation"}
UNSUPPORTED = {"prompt": "prompt templates", "context_management": "context management"}


@dataclass
class ResponseRequest:
    """A checked Responses API request (what `parse_request` returns): the resolved model, the parsed
    input items, the conversation the model reads (`messages`: instructions, the chain of previous
    responses or the conversation's items, then this input) and every option at its API default.

    Example:
        >>> req = parse_request(app, {"model": "local-ngram", "input": "Hi", "instructions": "Be brief."})
        >>> req.messages, req.store, req.text_format
        ([{'role': 'developer', 'content': 'Be brief.'}, {'role': 'user', 'content': 'Hi'}], True, {'type': 'text'})
    """

    model: object
    inputs: list
    messages: list
    instructions: str | None = None
    previous_response_id: str | None = None
    #: the conversation the response reads and appends to
    conversation_id: str | None = None
    tools: list = field(default_factory=list)
    tool_choice: object = "auto"
    text_format: dict = field(default_factory=lambda: {"type": "text"})
    temperature: float = 1.0
    top_p: float = 1.0
    max_output_tokens: int | None = None
    top_logprobs: int = 0
    include: list = field(default_factory=list)
    store: bool = True
    background: bool = False
    stream: bool = False
    metadata: dict = field(default_factory=dict)
    parallel_tool_calls: bool = True


def _text_format(p: Params) -> dict:
    text = p.dict("text", default={})
    fmt = text.get("format") or {"type": "text"}
    if not isinstance(fmt, dict):
        raise BadRequest("Invalid type for 'text.format': expected an object.", param="text.format")
    kind = Params(fmt, prefix="text.format.").str("type", required=True, choices=("text", "json_object", "json_schema"))
    if kind == "json_schema":
        if not isinstance(fmt.get("name"), str) or not isinstance(fmt.get("schema"), dict):
            raise BadRequest("Invalid 'text.format': a json_schema format needs a 'name' and a 'schema' object.",
                             param="text.format")
        check_json_schema(fmt["schema"], "text.format.schema")
        return {"type": "json_schema", "name": fmt["name"], "schema": fmt["schema"],
                "strict": bool(fmt.get("strict", False))}
    return {"type": kind}


def conversation(app, inputs: list, previous_response_id, instructions, conversation_id=None) -> list[dict]:
    """The messages the model reads: instructions, then the chain's items (or the conversation's),
    then this input."""
    if conversation_id:
        items = conversation_store.context(app.state.store, conversation_id, "conversation")
    else:
        items = response_store.history(app.state.store, previous_response_id) if previous_response_id else []
    messages = [{"role": "developer", "content": instructions}] if instructions else []
    return messages + to_messages(items + inputs)


def conversation_id(value, previous_response_id) -> str | None:
    """The id of a request's `conversation` (an id, or an object with `id`), or None.

    Example:
        >>> conversation_id({"id": "conv_1"}, None), conversation_id(None, "resp_1")
        ('conv_1', None)
        >>> conversation_id("conv_1", "resp_1")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.BadRequest: Invalid 'conversation': it cannot be used with ...
    """
    if value is None:
        return None
    if isinstance(value, dict):
        unknown = sorted(set(value) - {"id"})
        if unknown:
            raise BadRequest(f"Unrecognized request argument supplied: 'conversation.{unknown[0]}'.",
                             param=f"conversation.{unknown[0]}")
        value = Params(value, prefix="conversation.").str("id", required=True)
    elif not isinstance(value, str):
        raise BadRequest("Invalid type for 'conversation': expected a conversation id or an object with 'id'.",
                         param="conversation")
    if not value:
        raise BadRequest("Invalid 'conversation': empty string; give a conversation id.", param="conversation")
    if previous_response_id is not None:
        raise BadRequest("Invalid 'conversation': it cannot be used with 'previous_response_id'; a conversation "
                         "already carries the earlier turns.", param="conversation")
    return value


def parse_request(app, body: dict, *, for_counting: bool = False) -> ResponseRequest:
    """Read and check a `POST /responses` body (or, `for_counting`, a `POST /responses/input_tokens`
    body, where `model` and `input` may be missing); each bad field is a 400 naming it, and fields the
    local server cannot honour are refused rather than ignored.

    Example:
        >>> parse_request(app, {"model": "local-ngram", "input": "Hi", "conversation": "conv_1"})
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.NotFound: Conversation with id 'conv_1' not found.
        >>> body = {"model": "local-ngram", "input": "Hi", "background": True, "store": False}
        >>> parse_request(app, body)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.BadRequest: Background responses must be stored: ...
    """
    for name, what in UNSUPPORTED.items():
        if body.get(name) is not None:
            raise BadRequest(f"Invalid '{name}': the local server does not support {what}.", param=name)
    unknown = sorted(set(body) - FIELDS - set(UNSUPPORTED))
    if unknown:
        raise BadRequest(f"Unrecognized request argument supplied: '{unknown[0]}'.", param=unknown[0])
    p = Params(body)
    model_id = p.str("model", required=not for_counting)
    model = resolve_language_model(app, model_id)
    instructions = p.str("instructions")
    previous = p.str("previous_response_id")
    conv = conversation_id(body.get("conversation"), previous)
    inputs = parse_input(body.get("input"), store=app.state.store, app=app)
    if not inputs and not previous and not conv and not for_counting:  # a conversation may be answered as it is
        raise BadRequest("Missing required parameter: 'input'.", param="input")
    tools, choice = parse_tools(p)
    include = p.list("include", default=[])
    for i, name in enumerate(include):
        if name not in INCLUDABLE:
            raise BadRequest(f"Invalid value for 'include[{i}]': {name!r}.", param=f"include[{i}]")
    req = ResponseRequest(
        model=model, inputs=inputs, messages=conversation(app, inputs, previous, instructions, conv),
        instructions=instructions, previous_response_id=previous, conversation_id=conv, tools=tools,
        tool_choice=choice,
        text_format=_text_format(p), temperature=p.number("temperature", default=1.0, minimum=0, maximum=2),
        top_p=p.number("top_p", default=1.0, minimum=0, maximum=1),
        max_output_tokens=p.int("max_output_tokens", minimum=16),
        top_logprobs=p.int("top_logprobs", default=0, minimum=0, maximum=20), include=include,
        store=p.bool("store", default=True), background=p.bool("background"), stream=p.bool("stream"),
        metadata=check_metadata(body.get("metadata")), parallel_tool_calls=p.bool("parallel_tool_calls", default=True))
    if req.temperature == 0 and req.top_p == 0:
        raise BadRequest("Invalid 'top_p': must be greater than 0.", param="top_p")
    if req.background and not req.store:
        raise BadRequest("Background responses must be stored: 'background' needs 'store' to be true.",
                         param="background")
    return req


def count_input_tokens(model, messages: list[dict]) -> int:
    """Input tokens as usage reports them: the rendered conversation, as the model reads it."""
    return model.count_tokens(render_messages(messages)) if messages else 0


def public_tool(tool: dict) -> dict:
    """A request's tool as the response object echoes it: function tools with `strict` (default
    true) and their description if any, file_search tools with the options that were given.

    Example:
        >>> public_tool({"type": "function", "name": "get_weather", "parameters": {"type": "object"}})
        {'type': 'function', 'name': 'get_weather', 'parameters': {'type': 'object'}, 'strict': True}
        >>> public_tool({"type": "file_search", "vector_store_ids": ["vs_1"], "max_num_results": 3})
        {'type': 'file_search', 'vector_store_ids': ['vs_1'], 'filters': None, 'max_num_results': 3}
    """
    if tool["type"] == "function":
        out = {"type": "function", "name": tool["name"], "parameters": tool.get("parameters"),
               "strict": tool.get("strict", True)}
        if tool.get("description"):
            out["description"] = tool["description"]
        return out
    out = {"type": "file_search", "vector_store_ids": tool["vector_store_ids"], "filters": tool.get("filters")}
    for key in ("max_num_results", "ranking_options"):
        if tool.get(key) is not None:
            out[key] = tool[key]
    return out


def response_object(req: ResponseRequest, response_id: str, status: str) -> dict:
    """The `response` object at its start (`status` queued or in_progress, no output yet), echoing
    the request's settings; the engine fills in output, usage and the final status.

    Example:
        >>> req = parse_request(app, {"model": "local-ngram", "input": "Hi", "metadata": {"topic": "demo"}})
        >>> obj = response_object(req, "resp_1", "in_progress")
        >>> obj["status"], obj["output"], obj["model"], obj["metadata"]
        ('in_progress', [], 'local-ngram', {'topic': 'demo'})
    """
    return {"id": response_id, "object": "response", "created_at": now(), "status": status,
            "background": req.background,
            "completed_at": None, "error": None, "incomplete_details": None, "instructions": req.instructions,
            "max_output_tokens": req.max_output_tokens, "model": req.model.id, "output": [], "output_text": "",
            "parallel_tool_calls": req.parallel_tool_calls, "previous_response_id": req.previous_response_id,
            "conversation": {"id": req.conversation_id} if req.conversation_id else None,
            "reasoning": None, "service_tier": "default", "store": req.store, "temperature": req.temperature,
            "text": {"format": req.text_format}, "tool_choice": req.tool_choice,
            "tools": [public_tool(t) for t in req.tools], "top_logprobs": req.top_logprobs, "top_p": req.top_p,
            "truncation": "disabled", "metadata": req.metadata}


def present(response: dict, include=()) -> dict:
    """A stored response as served: file_search results only when asked for."""
    out = dict(response)
    if "file_search_call.results" not in include:
        out["output"] = [{**item, "results": None} if item.get("type") == "file_search_call" else item
                         for item in response.get("output") or []]
    return out
