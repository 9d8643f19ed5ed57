"""Checking what assistants and runs are configured with: tools, tool choice, response format,
tool resources, truncation strategy. A bad value is a 400 that names the parameter and what is allowed.

The local server runs `function` and `file_search` tools (see `file_search`): a `code_interpreter`
tool is refused with a 400 that says so, rather than accepted and silently never used.

Example:
    >>> parse_tools([{"type": "function", "function": {"name": "get_weather"}}])[0]["function"]["name"]
    'get_weather'
    >>> parse_tools([{"type": "code_interpreter"}])
    Traceback (most recent call last):
    ...
    jupyter_api_kit.local.core.errors.BadRequest: Invalid 'tools[0]': the local server cannot run 'code_interpreter' tools; it runs 'function' and 'file_search' tools.
"""

from __future__ import annotations

import re

from jupyter_api_kit.local.assistants.file_search import parse_file_search_tool, parse_new_stores
from jupyter_api_kit.local.core.errors import BadRequest
from jupyter_api_kit.local.inference.tools import check_json_schema

FUNCTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
UNRUNNABLE_TOOLS = ("code_interpreter",)


def parse_tools(value, param: str = "tools") -> list | None:
    """Function and file_search tools (as a request model has checked them) as the API echoes them;
    None when absent. The local server's own rules: no code_interpreter, one file_search, function
    names of the API's form, each once."""
    if value is None:
        return None
    out = []
    for i, tool in enumerate(value):
        where = f"{param}[{i}]"
        kind = tool["type"]
        if kind in UNRUNNABLE_TOOLS:
            raise BadRequest(f"Invalid '{where}': the local server cannot run '{kind}' tools; it runs 'function' "
                             "and 'file_search' tools.", param=f"{where}.type")
        if kind == "file_search":
            if any(t["type"] == "file_search" for t in out):
                raise BadRequest(f"Invalid '{where}': only one 'file_search' tool can be given.", param=where)
            out.append(parse_file_search_tool(tool, where))
            continue
        function = tool["function"]
        name = function["name"]
        if not FUNCTION_NAME.match(name):
            raise BadRequest(f"Invalid '{where}.function.name': '{name[:70]}'. Names are 1-64 characters of "
                             "letters, digits, '_' and '-'.", param=f"{where}.function.name")
        if function.get("parameters") is not None:
            check_json_schema(function["parameters"], f"{where}.function.parameters")
        out.append({"type": "function", "function": dict(function)})
    names = [t["function"]["name"] for t in out if t["type"] == "function"]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise BadRequest(f"Invalid '{param}': the function name '{duplicate}' is used twice.", param=param)
    return out


def parse_tool_choice(value, tools: list, param: str = "tool_choice"):
    """`none`, `auto`, `required`, `{"type": "file_search"}` (with a file_search tool) or
    `{"type": "function", "function": {"name": ...}}` naming one of `tools` (the shape checked by a
    request model; which tools this run has, here)."""
    if value is None:
        return None
    if isinstance(value, str):
        if value == "required" and not tools:
            raise BadRequest(f"Invalid '{param}': 'required' needs at least one tool, and this run has none.",
                             param=param)
        return value
    kind = value["type"]
    if kind in UNRUNNABLE_TOOLS:
        raise BadRequest(f"Invalid '{param}': the local server cannot run '{kind}' tools; name a function tool "
                         "or 'file_search'.", param=f"{param}.type")
    if kind == "file_search":
        if not any(t["type"] == "file_search" for t in tools):
            raise BadRequest(f"Invalid '{param}': 'file_search' needs a file_search tool among this run's tools.",
                             param=f"{param}.type")
        return {"type": "file_search"}
    name = (value.get("function") or {}).get("name")
    known = [t["function"]["name"] for t in tools if t["type"] == "function"]
    if name not in known:
        listed = ", ".join(f"'{n}'" for n in known) or "none"
        raise BadRequest(f"Invalid '{param}': function {name!r} is not one of this run's tools (function tools: "
                         f"{listed}).", param=f"{param}.function.name")
    return {"type": "function", "function": {"name": name}}


def parse_response_format(value, param: str = "response_format"):
    """A run's or assistant's `response_format` (as a request model has checked it): `"auto"`, or an
    object of type text, json_object or json_schema, whose schema must be one the local server fills
    in; None when absent.

    Example:
        >>> parse_response_format("auto"), parse_response_format({"type": "json_object"})
        ('auto', {'type': 'json_object'})
        >>> parse_response_format({"type": "json_schema", "json_schema": {"name": "x", "schema": {"$ref": "#/a"}}})
        ... # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.BadRequest: Invalid 'response_format.json_schema.schema': ...
    """
    if value is None or value == "auto":
        return value
    if value["type"] == "json_schema" and value["json_schema"].get("schema") is not None:
        check_json_schema(value["json_schema"]["schema"], f"{param}.json_schema.schema")
    return dict(value)


def parse_tool_resources(value, param: str = "tool_resources", *, new_stores: bool = False):
    """`code_interpreter.file_ids` (up to 20) and `file_search.vector_store_ids` (at most 1), echoed back.
    With `new_stores` (creating an assistant or a thread) `file_search.vector_stores` may ask for a store
    to be made (`file_search.create_new_stores` makes it); one store in all.

    Example:
        >>> parse_tool_resources({"file_search": {"vector_store_ids": ["vs_1"], "vector_stores": [{}]}},
        ...                      new_stores=True)
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.BadRequest: Invalid 'tool_resources.file_search': at most one vector store can be attached (given: 1 in 'vector_store_ids' and 1 in 'vector_stores').
    """
    if value is None:
        return None
    out = {}
    if "code_interpreter" in value:
        out["code_interpreter"] = {"file_ids": list((value["code_interpreter"] or {}).get("file_ids") or [])}
    if "file_search" in value:
        fs = value["file_search"] or {}
        where = f"{param}.file_search"
        if fs.get("vector_stores") is not None and not new_stores:
            raise BadRequest(f"Invalid '{where}.vector_stores': vector stores are made this way only when an "
                             "assistant or a thread is created; pass 'vector_store_ids'.",
                             param=f"{where}.vector_stores")
        ids = list(fs.get("vector_store_ids") or [])
        out["file_search"] = {"vector_store_ids": ids}
        if fs.get("vector_stores") is not None:
            made = parse_new_stores(fs["vector_stores"], f"{where}.vector_stores")
            if ids and made:
                raise BadRequest(f"Invalid '{where}': at most one vector store can be attached (given: {len(ids)} "
                                 f"in 'vector_store_ids' and {len(made)} in 'vector_stores').", param=where)
            out["file_search"]["vector_stores"] = made
    return out


def parse_truncation(value, param: str = "truncation_strategy"):
    """`{"type": "auto"}` or `{"type": "last_messages", "last_messages": N}` (N needed with that type)."""
    if value is None:
        return None
    kind, last = value["type"], value.get("last_messages")
    if kind == "last_messages" and last is None:
        raise BadRequest(f"Missing required parameter: '{param}.last_messages' (type 'last_messages' needs it).",
                         param=f"{param}.last_messages")
    return {"type": kind, "last_messages": last}


def sampling(body: dict) -> dict:
    """`temperature` and `top_p` as numbers (a request model has checked their ranges), None when absent.

    Example:
        >>> sampling({"temperature": 1})
        {'temperature': 1.0, 'top_p': None}
    """
    return {key: None if body.get(key) is None else float(body[key]) for key in ("temperature", "top_p")}
