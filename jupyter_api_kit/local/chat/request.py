"""Reading and checking a chat completion request, so the route deals with valid values only.

Example:
    >>> req = parse_chat_request({"model": "local-ngram", "messages": [{"role": "user", "content": "Hi"}], "n": 2})
    >>> req.n, req.messages
    (2, [{'role': 'user', 'content': 'Hi'}])
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from jupyter_api_kit.local.core.errors import BadRequest
from jupyter_api_kit.local.core.params import Params
from jupyter_api_kit.local.core.request_models import BodyModel, Metadata
from jupyter_api_kit.local.inference.engine import content_text
from jupyter_api_kit.local.inference.tools import check_json_schema
from jupyter_api_kit.spec import CHAT_ROLES as ROLES

RESPONSE_FORMATS = ("text", "json_object", "json_schema")


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


def _messages(p: Params) -> list:
    messages = p.list("messages", required=True)
    out = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise BadRequest(f"Invalid type for 'messages[{i}]': expected an object.", param=f"messages[{i}]")
        mp = Params(message, prefix=f"messages[{i}].")
        role = mp.str("role", required=True, choices=ROLES)
        if message.get("content") is None and role != "assistant":
            raise BadRequest(f"Missing required parameter: 'messages[{i}].content'.", param=f"messages[{i}].content")
        item = {"role": role, "content": content_text(message.get("content"), f"messages[{i}].content")}
        # What the model needs to follow a tool round trip: which calls were made and answered.
        if role == "assistant" and message.get("tool_calls") is not None:
            item["tool_calls"] = _tool_calls(message["tool_calls"], f"messages[{i}].tool_calls")
        if role == "tool" and message.get("tool_call_id") is not None:
            item["tool_call_id"] = mp.str("tool_call_id")
        if role == "function" and message.get("name") is not None:
            item["name"] = mp.str("name")
        out.append(item)
    return out


def _tool_calls(calls, param: str) -> list:
    """An assistant message's `tool_calls`, checked: each an object with an id and a function call."""
    if not isinstance(calls, list):
        raise BadRequest(f"Invalid type for '{param}': expected an array.", param=param)
    out = []
    for k, call in enumerate(calls):
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise BadRequest(f"Invalid '{param}[{k}]': expected an object with a 'function' naming the function "
                             "called.", param=f"{param}[{k}]")
        arguments = function.get("arguments", "")
        out.append({"id": str(call.get("id") or ""), "type": "function",
                    "function": {"name": function["name"], "arguments": arguments if isinstance(arguments, str)
                                 else json.dumps(arguments)}})
    return out


def _stop(p: Params) -> list:
    stop = p.raw("stop")
    if stop is None:
        return []
    if isinstance(stop, str):
        return [stop] if stop else []
    if isinstance(stop, list) and all(isinstance(s, str) for s in stop):
        if len(stop) > 4:
            raise BadRequest(f"Invalid 'stop': {len(stop)} sequences; at most 4 are allowed.", param="stop")
        return [s for s in stop if s]
    raise BadRequest("Invalid type for 'stop': expected a string or an array of up to 4 strings.", param="stop")


def _tools(p: Params) -> tuple[list, object]:
    tools = p.list("tools", default=[], max_items=128)
    for i, tool in enumerate(tools):
        if not isinstance(tool, dict) or tool.get("type") != "function" or not isinstance(tool.get("function"), dict):
            raise BadRequest(f"Invalid 'tools[{i}]': the local server runs tools of type 'function' with a "
                             "'function' object.", param=f"tools[{i}]")
        function = Params(tool["function"], prefix=f"tools[{i}].function.")
        function.str("name", required=True)
        parameters = function.dict("parameters")  # a JSON Schema object; the local model fills it in
        if parameters is not None:
            check_json_schema(parameters, f"tools[{i}].function.parameters")
    choice = p.raw("tool_choice")
    names = {t["function"]["name"] for t in tools}
    if isinstance(choice, str):
        if choice not in ("none", "auto", "required"):
            raise BadRequest(f"Invalid value for 'tool_choice': '{choice}'. Supported values are: 'none', 'auto', "
                             "'required', or an object naming a function.", param="tool_choice")
        if choice == "required" and not tools:
            raise BadRequest("'tool_choice' is 'required' but no 'tools' were given.", param="tool_choice")
    elif isinstance(choice, dict):
        name = (choice.get("function") or {}).get("name") if isinstance(choice.get("function"), dict) else None
        if choice.get("type") != "function" or not isinstance(name, str) or name not in names:
            raise BadRequest(f"Invalid 'tool_choice': function '{name}' is not among the given 'tools'.",
                             param="tool_choice")
    elif choice is not None:
        raise BadRequest("Invalid type for 'tool_choice': expected a string or an object.", param="tool_choice")
    return tools, choice


def _response_format(p: Params):
    fmt = p.dict("response_format")
    if fmt is None:
        return None
    kind = Params(fmt, prefix="response_format.").str("type", required=True, choices=RESPONSE_FORMATS)
    if kind == "json_schema":
        schema = fmt.get("json_schema")
        if not isinstance(schema, dict) or not isinstance(schema.get("name"), str):
            raise BadRequest("Invalid 'response_format.json_schema': expected an object with a 'name' and a "
                             "'schema'.", param="response_format.json_schema")
        if schema.get("schema") is not None:
            check_json_schema(schema["schema"], "response_format.json_schema.schema")
    return fmt


def parse_chat_request(body: dict) -> ChatRequest:
    """Check every parameter the local server acts on; a bad one is a 400 naming it."""
    p = Params(body)
    model = p.str("model", required=True)
    messages = _messages(p)
    logprobs = p.bool("logprobs", default=False)
    top_logprobs = p.int("top_logprobs", default=0, minimum=0, maximum=20)
    if p.has("top_logprobs") and not logprobs:
        raise BadRequest("'top_logprobs' requires 'logprobs' to be true.", param="top_logprobs")
    stream = p.bool("stream", default=False)
    options = p.dict("stream_options")
    if options is not None and not stream:
        raise BadRequest("'stream_options' is only allowed when 'stream' is true.", param="stream_options")
    max_tokens = p.int("max_completion_tokens", minimum=1)
    if max_tokens is None:
        max_tokens = p.int("max_tokens", minimum=1)
    tools, tool_choice = _tools(p)
    return ChatRequest(
        model=model, messages=messages, n=p.int("n", default=1, minimum=1, maximum=128),
        temperature=p.number("temperature", default=1.0, minimum=0, maximum=2),
        top_p=p.number("top_p", default=1.0, minimum=0, maximum=1), max_tokens=max_tokens,
        seed=p.int("seed"), stop=_stop(p), logprobs=logprobs, top_logprobs=top_logprobs,
        store=p.bool("store", default=False), metadata=p.metadata(), stream=stream,
        include_usage=bool(options and Params(options, "stream_options.").bool("include_usage")),
        response_format=_response_format(p), tools=tools, tool_choice=tool_choice, raw=body)
