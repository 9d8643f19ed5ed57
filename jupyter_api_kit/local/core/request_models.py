"""Request models: pydantic v2 models that read a request's JSON body or query string before the
handler runs, with the API's one-line error naming the parameter.

A body model is strict (a string stays a string: `"5"` is not the integer 5) and refuses fields it
does not declare, as the API does; a query model converts the query's strings and ignores names it
does not know. `body(Model)` and `query(Model)` make the FastAPI dependency.

Example:
    >>> class Rename(BodyModel):
    ...     name: str
    ...     metadata: Metadata | None = None
    >>> read(Rename, {"name": "Demo", "metadata": {"topic": "moons"}}).metadata
    {'topic': 'moons'}
    >>> read(Rename, {"name": 7})
    Traceback (most recent call last):
    ...
    jupyter_api_kit.local.core.errors.BadRequest: Invalid type for 'name': expected a string, got an integer.
    >>> read(Rename, {"name": "Demo", "colour": "red"})
    Traceback (most recent call last):
    ...
    jupyter_api_kit.local.core.errors.BadRequest: Unrecognized request argument supplied: 'colour'.
"""

from __future__ import annotations

import typing
from typing import Annotated, Any

from fastapi import Depends, Request
from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError

from jupyter_api_kit.local.core.errors import BadRequest
from jupyter_api_kit.local.core.params import json_body, multi_param, type_name
from jupyter_api_kit.spec import MAX_METADATA_KEY, MAX_METADATA_PAIRS, MAX_METADATA_VALUE

_EXPECTED = {"string_type": "a string", "int_type": "an integer", "int_parsing": "an integer",
             "bool_type": "a boolean", "bool_parsing": "a boolean", "float_type": "a number",
             "dict_type": "an object", "list_type": "an array", "model_type": "an object",
             "model_attributes_type": "an object"}


class BodyModel(BaseModel):
    """A JSON body: strict types, unknown fields refused."""

    model_config = ConfigDict(extra="forbid", strict=True)


class QueryModel(BaseModel):
    """A query string: values converted from text, unknown names ignored."""

    model_config = ConfigDict(extra="ignore")


def _metadata_limits(value: dict[str, str]) -> dict[str, str]:
    if len(value) > MAX_METADATA_PAIRS:
        raise ValueError(f"too many pairs ({len(value)}); at most {MAX_METADATA_PAIRS} are allowed")
    for key, item in value.items():
        if len(key) > MAX_METADATA_KEY:
            raise ValueError(f"key '{key[:20]}...' is {len(key)} characters; keys are at most {MAX_METADATA_KEY}")
        if len(item) > MAX_METADATA_VALUE:
            raise ValueError(f"the value of '{key}' is {len(item)} characters; values are at most "
                             f"{MAX_METADATA_VALUE}")
    return value


#: the API's metadata: up to 16 pairs of strings, keys up to 64 characters, values up to 512
Metadata = Annotated[dict[str, str], AfterValidator(_metadata_limits)]


def param_name(loc) -> str:
    """A pydantic error location as the API names parameters: `items[2].content`.

    Example:
        >>> param_name(("items", 2, "content"))
        'items[2].content'
    """
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not str(part).startswith(("function-", "[")):
            out += f".{part}" if out else str(part)
    return out


def bad_request(exc: ValidationError) -> BadRequest:
    """The first problem pydantic found, as the API's 400 naming the parameter.

    Example:
        >>> class Query(QueryModel):
        ...     limit: int = 20
        >>> try:
        ...     Query.model_validate({"limit": "ten"})
        ... except ValidationError as exc:
        ...     print(bad_request(exc))
        Invalid type for 'limit': expected an integer, got 'ten'.
    """
    error = exc.errors(include_url=False)[0]
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    param = param_name(error["loc"]) or None
    if kind == "extra_forbidden":
        return BadRequest(f"Unrecognized request argument supplied: '{param}'.", param=param)
    if kind == "missing":
        return BadRequest(f"Missing required parameter: '{param}'.", param=param)
    if kind in _EXPECTED:
        got = repr(value) if isinstance(value, str) and kind.endswith("_parsing") else type_name(value)
        return BadRequest(f"Invalid type for '{param}': expected {_EXPECTED[kind]}, got {got}.", param=param)
    if kind in ("literal_error", "enum"):
        return BadRequest(f"Invalid value for '{param}': {value!r}. Supported values are: {ctx.get('expected')}.",
                          param=param)
    if kind in ("greater_than_equal", "greater_than"):
        return BadRequest(f"Invalid '{param}': {value} is below the minimum of {ctx.get('ge', ctx.get('gt'))}.",
                          param=param)
    if kind in ("less_than_equal", "less_than"):
        return BadRequest(f"Invalid '{param}': {value} is above the maximum of {ctx.get('le', ctx.get('lt'))}.",
                          param=param)
    if kind == "too_long":
        return BadRequest(f"Invalid '{param}': {ctx.get('actual_length')} items; at most {ctx.get('max_length')} "
                          "are allowed.", param=param)
    if kind == "value_error":
        return BadRequest(f"Invalid '{param}': {ctx.get('error')}.", param=param)
    message = error["msg"][:1].lower() + error["msg"][1:]
    return BadRequest(f"Invalid '{param}': {message}.", param=param)


def read(model: type[BaseModel], data: Any):
    """`data` validated as `model`, or the API's 400 for its first problem."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise bad_request(exc) from None


def body(model: type[BodyModel]):
    """A FastAPI dependency: the request's JSON body read as `model`.

    Example:
        >>> class Rename(BodyModel):
        ...     name: str
        >>> callable(body(Rename))
        True
    """

    def dependency(raw: dict = Depends(json_body)):
        return read(model, raw)

    return dependency


def _is_list(annotation) -> bool:
    args = typing.get_args(annotation)
    return typing.get_origin(annotation) is list or any(typing.get_origin(a) is list for a in args)


def query_values(model: type[QueryModel], query) -> dict:
    """The values of `model`'s fields in a query mapping; list fields take `name` and `name[]`.

    Example:
        >>> class Listing(QueryModel):
        ...     include: list[str] = []
        ...     limit: int = 20
        >>> from starlette.datastructures import QueryParams
        >>> query_values(Listing, QueryParams("include[]=a&include=b&limit=5&other=1"))
        {'include': ['a', 'b'], 'limit': '5'}
    """
    out = {}
    for name, field in model.model_fields.items():
        if _is_list(field.annotation):
            values = multi_param(query, name)
            if values:
                out[name] = values
        elif name in query:
            out[name] = query[name]
    return out


def query(model: type[QueryModel]):
    """A FastAPI dependency: the request's query string read as `model`."""

    def dependency(request: Request):
        return read(model, query_values(model, request.query_params))

    return dependency
