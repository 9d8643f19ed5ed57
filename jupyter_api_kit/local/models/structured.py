"""JSON answers: the object a JSON mode asks for, shaped by a schema, filled from the conversation.

`response_format: json_schema` (chat) and `text.format: json_schema` (Responses) give the schema;
`json_object` gives none, so the prompt is read for one: a JSON schema or an example object written
into a system or user message (the way instructor's JSON modes and pydantic-ai's prompted output
ask for structure). With neither, the answer is `{"answer": "..."}`. Values come from the
conversation and from the model's own answer (`json_fill`, `extract`).

A JSON answer is always whole: `json_answer` makes the object fit the token budget (`max_tokens`)
by shortening its longest strings where that is enough, and otherwise returns the complete object
anyway, never a cut-off text that no client could parse (the local tokenizer spends more tokens on
JSON punctuation than the API's models do). Its `finish_reason` is "stop" and its token count is that
of the text returned.

Example:
    >>> messages = [{"role": "system", "content": 'Reply as JSON like {"city": "Rome", "days": 3}.'},
    ...             {"role": "user", "content": "Two days in Oslo, please."}]
    >>> out = json_answer(messages, "Oslo is lovely.", {"type": "json_object"}, None, lambda t: len(t.split()))
    >>> out.text, out.finish_reason
    ('{"city": "Oslo", "days": 2}', 'stop')
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from jupyter_api_kit.local.models.context import message_text
from jupyter_api_kit.local.models.extract import Extractor, json_objects
from jupyter_api_kit.local.models.json_fill import fill
from jupyter_api_kit.local.models.sentences import latest_user

_SCHEMA_KEYS = ("properties", "$defs", "definitions", "anyOf", "oneOf", "allOf", "$ref")


@dataclass
class JSONAnswer:
    """The JSON text returned, why it ended ("stop": it is whole), and its tokens."""

    text: str
    finish_reason: str
    tokens: int


def is_schema(value) -> bool:
    """Whether a JSON object reads as a JSON schema rather than an example of the answer.

    Example:
        >>> is_schema({"type": "object", "properties": {"a": {"type": "string"}}}), is_schema({"name": "Ada"})
        (True, False)
    """
    if not isinstance(value, dict):
        return False
    if any(isinstance(value.get(k), (dict, list, str)) for k in _SCHEMA_KEYS if k != "$ref") or "$ref" in value:
        return isinstance(value.get("properties", {}), dict)
    return value.get("type") == "object"


def schema_of_example(value):
    """A JSON schema for objects shaped like an example one (types from its values).

    Example:
        >>> schema_of_example({"name": "Ada", "tags": ["x"], "age": 36})["properties"]["tags"]
        {'type': 'array', 'items': {'type': 'string'}}
    """
    if isinstance(value, dict):
        return {"type": "object", "properties": {k: schema_of_example(v) for k, v in value.items()},
                "required": list(value)}
    if isinstance(value, list):
        return {"type": "array", "items": schema_of_example(value[0]) if value else {"type": "string"}}
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "integer"}
    if isinstance(value, float):
        return {"type": "number"}
    if value is None:
        return {"type": ["string", "null"]}
    return {"type": "string"}


def prompt_schema(messages) -> dict | None:
    """The schema a conversation asks its JSON answer to follow: a schema written in a system,
    developer or user message (the latest first), else one made from an example object there."""
    ordered = [m for m in messages if m.get("role") in ("system", "developer")]
    ordered += [m for m in reversed(messages) if m.get("role") == "user"]
    examples = []
    for message in ordered:
        for value in json_objects(message_text(message)):
            if is_schema(value):
                return value.get("schema") if is_schema(value.get("schema")) else value
            examples.append(value)
    if examples:
        return schema_of_example(examples[0])
    return None


def without_json(text: str) -> str:
    """A text without the JSON objects written in it (a schema's or an example's values are no facts).

    Example:
        >>> without_json('Answer like {"days": 3}. Two days in Oslo.')
        'Answer like . Two days in Oslo.'
    """
    decoder = json.JSONDecoder()
    out, i = [], 0
    start = text.find("{")
    while start >= 0:
        try:
            _, end = decoder.raw_decode(text, start)
        except ValueError:
            start = text.find("{", start + 1)
            continue
        out.append(text[i:start])
        i = end
        start = text.find("{", end)
    out.append(text[i:])
    return "".join(out)


def extractor_for(messages, answer="") -> Extractor:
    """An `Extractor` over a conversation: its latest user turn first, then the rest; `answer` is
    the model's answer, or a function making it (called only if a field needs free text)."""
    last = latest_user(messages)
    text = without_json(message_text(messages[last])) if last >= 0 else ""
    # A tool's JSON result is data; JSON written in an instruction is a shape to follow.
    earlier = "\n".join(message_text(m) if m.get("role") in ("tool", "function") else without_json(message_text(m))
                        for i, m in enumerate(messages) if i != last and m.get("role") != "assistant")
    return Extractor(text, answer, earlier)


def answer_value(messages, answer: str, response_format: dict | None):
    """The JSON value of an answer in the mode `response_format` asks for."""
    fmt = response_format or {}
    schema = None
    if fmt.get("type") == "json_schema":
        spec = fmt.get("json_schema") if isinstance(fmt.get("json_schema"), dict) else fmt
        schema = spec.get("schema") if isinstance(spec.get("schema"), dict) else {"type": "object"}
    else:
        schema = prompt_schema(messages)
    if schema is None:
        return {"answer": answer.strip()}
    return fill(schema, extractor_for(messages, answer.strip()))


def json_answer(messages, answer: str, response_format: dict | None, max_tokens: int | None,
                count_tokens) -> JSONAnswer:
    """The JSON text of an answer within `max_tokens` tokens (see the module docstring)."""
    value = answer_value(messages, answer, response_format)
    text = json.dumps(value, ensure_ascii=False)
    tokens = count_tokens(text)
    if max_tokens is None or tokens <= max_tokens:
        return JSONAnswer(text, "stop", tokens)
    longest = max((len(s) for s in _strings(value)), default=0)
    low, high, best = 0, longest, None
    while low <= high:  # the longest string length that still fits
        mid = (low + high) // 2
        short = json.dumps(_shorten(value, mid), ensure_ascii=False)
        if count_tokens(short) <= max_tokens:
            best, low = short, mid + 1
        else:
            high = mid - 1
    if best is not None:
        return JSONAnswer(best, "stop", count_tokens(best))
    return JSONAnswer(text, "stop", tokens)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _shorten(value, limit: int):
    if isinstance(value, str):
        if len(value) <= limit:
            return value
        cut = value[:limit]
        return cut.rsplit(" ", 1)[0] if " " in cut[limit // 2:] else cut
    if isinstance(value, dict):
        return {k: _shorten(v, limit) for k, v in value.items()}
    if isinstance(value, list):
        return [_shorten(v, limit) for v in value]
    return value
