"""Tool calls for chat completions, Responses and Assistants runs: which function the model calls
now, with which arguments, and JSON answers; the one place the server asks the models package
(`models.tool_choice`, `models.structured`) and turns its `ModelInputError` into a 400.

The decision is the same everywhere: a named `tool_choice` always calls that function; "required"
calls a function not yet answered since the latest user message (the best match to it); "auto"
calls the function the latest user message is about, and answers in text once a function has
answered; "none" never calls one.

Example:
    >>> tools = [{"type": "function", "function": {"name": "get_weather",
    ...           "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]
    >>> function_to_call([{"role": "user", "content": "Weather in Oslo?"}], tools, "auto")["name"]
    'get_weather'
"""

from __future__ import annotations

import json

from jupyter_api_kit.local.core.errors import BadRequest
from jupyter_api_kit.local.models.errors import ModelInputError
from jupyter_api_kit.local.models.json_fill import check_schema
from jupyter_api_kit.local.models.structured import json_answer
from jupyter_api_kit.local.models.tool_choice import arguments_for, choose_function, functions_of

__all__ = ["call_arguments", "check_json_schema", "function_to_call", "functions_of", "json_text"]

# The answer a tool call's text fields are filled from is drawn with this budget.
ANSWER_TOKENS = 120


def function_to_call(messages, tools, tool_choice) -> dict | None:
    """The function ({"name", "description", "parameters"}) to call now, or None to answer in text.

    `tools` may be written the chat way or the Responses way (see `functions_of`); with tools and no
    `tool_choice` the choice is "auto", as in the API."""
    try:
        return choose_function(messages, functions_of(tools), "auto" if tool_choice is None else tool_choice)
    except ModelInputError as exc:
        raise BadRequest(str(exc), param=exc.param) from None


def call_arguments(model, function: dict, messages, *, seed=None, temperature: float = 1.0,
                   top_p: float = 1.0) -> str:
    """The JSON arguments of a call to `function`: its parameter schema filled from the
    conversation, free-text fields (a `summary`, an `answer`) from the model's own answer, drawn
    with the request's sampling only if such a field is there."""
    def answer() -> str:
        gen = model.generate(messages, max_tokens=ANSWER_TOKENS, temperature=temperature, top_p=top_p, seed=seed)
        return "".join(tok.text for tok in gen)

    try:
        return json.dumps(arguments_for(function, messages, answer))
    except ModelInputError as exc:
        raise BadRequest(f"Invalid schema of function '{function['name']}': {exc}", param="tools") from None


def json_text(model, messages, answer: str, response_format: dict, max_tokens: int | None):
    """The JSON answer (`models.structured.JSONAnswer`: text, finish_reason, tokens) of a JSON mode."""
    try:
        return json_answer(messages, answer, response_format, max_tokens, model.count_tokens)
    except ModelInputError as exc:
        raise BadRequest(str(exc), param=exc.param) from None


def check_json_schema(schema, param: str) -> None:
    """A 400 naming `param` when a schema cannot be filled (a `$ref` outside it, or to nothing).

    Example:
        >>> check_json_schema({"$ref": "https://example.com/s.json"}, "response_format.json_schema.schema")
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.BadRequest: Invalid 'response_format.json_schema.schema': $ref 'https://example.com/s.json' is not supported: only references inside the schema ('#/$defs/Name', '#/definitions/Name') are
    """
    try:
        check_schema(schema)
    except ModelInputError as exc:
        raise BadRequest(f"Invalid '{param}': {exc}", param=param) from None
