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
from jupyter_api_kit.local.core.params import Params, type_name
from jupyter_api_kit.local.inference.tools import check_json_schema

FUNCTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
UNRUNNABLE_TOOLS = ("code_interpreter",)


def parse_tools(value, param: str = "tools", max_items: int = 128) -> list | None:
    """Function and file_search tools as the API echoes them; None when absent."""
    if value is None:
        return None
    tools = Params({param: value}).list(param, max_items=max_items)
    out = []
    for i, tool in enumerate(tools):
        where = f"{param}[{i}]"
        if not isinstance(tool, dict):
            raise BadRequest(f"Invalid type for '{where}': expected an object, got {type_name(tool)}.", param=where)
        kind = tool.get("type")
        if kind in UNRUNNABLE_TOOLS:
            raise BadRequest(f"Invalid '{where}': the local server cannot run '{kind}' tools; it runs 'function' "
                             "and 'file_search' tools.", param=f"{where}.type")
        if kind == "file_search":
            if any(t["type"] == "file_search" for t in out):
                raise BadRequest(f"Invalid '{where}': only one 'file_search' tool can be given.", param=where)
            out.append(parse_file_search_tool(tool, where))
            continue
        if kind != "function":
            raise BadRequest(f"Invalid value for '{where}.type': {kind!r}. Supported values are: 'function', "
                             "'file_search' ('code_interpreter' is not run by the local server).",
                             param=f"{where}.type")
        function = tool.get("function")
        if not isinstance(function, dict):
            raise BadRequest(f"Missing required parameter: '{where}.function'.", param=f"{where}.function")
        fp = Params(function, prefix=f"{where}.function.")
        name = fp.str("name", required=True)
        if not FUNCTION_NAME.match(name):
            raise BadRequest(f"Invalid '{where}.function.name': '{name[:70]}'. Names are 1-64 characters of "
                             "letters, digits, '_' and '-'.", param=f"{where}.function.name")
        fp.str("description")
        parameters = fp.dict("parameters")
        if parameters is not None:
            check_json_schema(parameters, f"{where}.function.parameters")
        fp.bool("strict", default=False)
        out.append({"type": "function", "function": dict(function)})
    names = [t["function"]["name"] for t in out if t["type"] == "function"]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise BadRequest(f"Invalid '{param}': the function name '{duplicate}' is used twice.", param=param)
    return out


def parse_tool_choice(value, tools: list, param: str = "tool_choice"):
    """`none`, `auto`, `required`, `{"type": "file_search"}` (with a file_search tool) or
    `{"type": "function", "function": {"name": ...}}` naming one of `tools`."""
    if value is None:
        return None
    if isinstance(value, str):
        if value not in ("none", "auto", "required"):
            raise BadRequest(f"Invalid value for '{param}': '{value[:40]}'. Supported values are: 'none', 'auto', "
                             "'required', or an object naming a function tool.", param=param)
        if value == "required" and not tools:
            raise BadRequest(f"Invalid '{param}': 'required' needs at least one tool, and this run has none.",
                             param=param)
        return value
    if not isinstance(value, dict):
        raise BadRequest(f"Invalid type for '{param}': expected a string or an object, got {type_name(value)}.",
                         param=param)
    kind = value.get("type")
    if kind in UNRUNNABLE_TOOLS:
        raise BadRequest(f"Invalid '{param}': the local server cannot run '{kind}' tools; name a function tool "
                         "or 'file_search'.", param=f"{param}.type")
    if kind == "file_search":
        if not any(t["type"] == "file_search" for t in tools):
            raise BadRequest(f"Invalid '{param}': 'file_search' needs a file_search tool among this run's tools.",
                             param=f"{param}.type")
        return {"type": "file_search"}
    if kind != "function":
        raise BadRequest(f"Invalid value for '{param}.type': {kind!r}. Supported values are: 'function', "
                         "'file_search'.", param=f"{param}.type")
    function = value.get("function")
    name = function.get("name") if isinstance(function, dict) else None
    known = [t["function"]["name"] for t in tools if t["type"] == "function"]
    if name not in known:
        listed = ", ".join(f"'{n}'" for n in known) or "none"
        raise BadRequest(f"Invalid '{param}': function {name!r} is not one of this run's tools (function tools: "
                         f"{listed}).", param=f"{param}.function.name")
    return {"type": "function", "function": {"name": name}}


def parse_response_format(value, param: str = "response_format"):
    """A run's or assistant's `response_format`: `"auto"`, or an object of type text,
    json_object or json_schema (which needs a `json_schema` with a `name`); None when absent.

    Example:
        >>> parse_response_format("auto"), parse_response_format({"type": "json_object"})
        ('auto', {'type': 'json_object'})
        >>> parse_response_format({"type": "json_schema"})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.BadRequest: Invalid 'response_format.json_schema': expected an object ...
    """
    if value is None:
        return None
    if value == "auto":
        return "auto"
    if not isinstance(value, dict):
        raise BadRequest(f"Invalid value for '{param}': expected 'auto' or an object with a 'type'.", param=param)
    kind = Params(value, prefix=f"{param}.").str("type", required=True, choices=("text", "json_object",
                                                                                "json_schema"))
    if kind == "json_schema":
        schema = value.get("json_schema")
        if not isinstance(schema, dict) or not isinstance(schema.get("name"), str):
            raise BadRequest(f"Invalid '{param}.json_schema': expected an object with a 'name' and a 'schema'.",
                             param=f"{param}.json_schema")
        if schema.get("schema") is not None:
            check_json_schema(schema["schema"], f"{param}.json_schema.schema")
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
    if not isinstance(value, dict):
        raise BadRequest(f"Invalid type for '{param}': expected an object, got {type_name(value)}.", param=param)
    out = {}
    for key in value:
        if key not in ("code_interpreter", "file_search"):
            raise BadRequest(f"Unrecognized '{param}.{key}'. Supported keys are: 'code_interpreter', "
                             "'file_search'.", param=f"{param}.{key}")
    if "code_interpreter" in value:
        p = Params(value["code_interpreter"] or {}, prefix=f"{param}.code_interpreter.")
        ids = p.list("file_ids", default=[], max_items=20)
        out["code_interpreter"] = {"file_ids": _strings(ids, f"{param}.code_interpreter.file_ids")}
    if "file_search" in value:
        fs = value["file_search"] or {}
        where = f"{param}.file_search"
        if isinstance(fs, dict) and fs.get("vector_stores") is not None and not new_stores:
            raise BadRequest(f"Invalid '{where}.vector_stores': vector stores are made this way only when an "
                             "assistant or a thread is created; pass 'vector_store_ids'.",
                             param=f"{where}.vector_stores")
        p = Params(fs if isinstance(fs, dict) else {}, prefix=f"{where}.")
        ids = p.list("vector_store_ids", default=[], max_items=1)
        out["file_search"] = {"vector_store_ids": _strings(ids, f"{where}.vector_store_ids")}
        if isinstance(fs, dict) and fs.get("vector_stores") is not None:
            made = parse_new_stores(fs["vector_stores"], f"{where}.vector_stores")
            if ids and made:
                raise BadRequest(f"Invalid '{where}': at most one vector store can be attached (given: {len(ids)} "
                                 f"in 'vector_store_ids' and {len(made)} in 'vector_stores').", param=where)
            out["file_search"]["vector_stores"] = made
    return out


def _strings(values: list, param: str) -> list:
    for i, item in enumerate(values):
        if not isinstance(item, str):
            raise BadRequest(f"Invalid type for '{param}[{i}]': expected a string, got {type_name(item)}.",
                             param=f"{param}[{i}]")
    return list(values)


def parse_truncation(value, param: str = "truncation_strategy"):
    """`{"type": "auto"}` or `{"type": "last_messages", "last_messages": N}`."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise BadRequest(f"Invalid type for '{param}': expected an object, got {type_name(value)}.", param=param)
    p = Params(value, prefix=f"{param}.")
    kind = p.str("type", required=True, choices=("auto", "last_messages"))
    last = p.int("last_messages", minimum=1)
    if kind == "last_messages" and last is None:
        raise BadRequest(f"Missing required parameter: '{param}.last_messages' (type 'last_messages' needs it).",
                         param=f"{param}.last_messages")
    return {"type": kind, "last_messages": last}


def sampling(p: Params) -> dict:
    """`temperature` (0-2) and `top_p` (0-1), None when absent."""
    return {"temperature": p.number("temperature", minimum=0, maximum=2),
            "top_p": p.number("top_p", minimum=0, maximum=1)}
