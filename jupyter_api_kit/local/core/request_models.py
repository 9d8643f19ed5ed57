"""Request models: the one boundary where every request is checked. Each feature declares pydantic v2
models of its request bodies and query strings (in its `request.py`, after the API's request schemas);
the dependencies made here validate the request before the handler runs, and any pydantic error,
wherever raised, becomes the API's one-line 400 naming the parameter as a path (`tools[0].function`).

A body model is strict (a string stays a string: `"5"` is not the integer 5, `0` is not `false`) and
refuses fields it does not declare, as the API does (`LenientModel` is for the few objects the API
documents as open); a query model converts the query's strings and ignores names it does not know.
`body(Model)` hands the handler the model; `checked(Model)` hands it the validated JSON object, for
handlers that read it further with the feature's own rules (what no schema can say: the local
server's limits, cross-field rules). `query(Model)` reads the query string.

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
from typing import Annotated, Any, Literal, Union

from fastapi import Depends, Request
from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Tag, ValidationError

from jupyter_api_kit.local.core.errors import BadRequest
from jupyter_api_kit.local.core.raw_request import json_body, multi_param, type_name
from jupyter_api_kit.spec import MAX_METADATA_KEY, MAX_METADATA_PAIRS, MAX_METADATA_VALUE

_EXPECTED = {"string_type": "a string", "int_type": "an integer", "int_parsing": "an integer",
             "bool_type": "a boolean", "bool_parsing": "a boolean", "float_type": "a number",
             "dict_type": "an object", "list_type": "an array", "model_type": "an object",
             "model_attributes_type": "an object"}


#: the order of a list query
Order = Literal["asc", "desc"]


class BodyModel(BaseModel):
    """A JSON body: strict types, unknown fields refused."""

    model_config = ConfigDict(extra="forbid", strict=True)


class LenientModel(BaseModel):
    """An object the API documents as open (extra fields allowed and kept), still strictly typed."""

    model_config = ConfigDict(extra="allow", strict=True)


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


_UNSET = object()

def real_path(loc, data=_UNSET, *, missing: bool = False) -> tuple:
    """The parts of a pydantic error location that are steps into the request: when the request
    (`data`) is known, a part that names no key or index of it is a union member's tag (`str`,
    `literal[...]`, a model's name) and is left out, except the name of a `missing` field at the end.

    Example:
        >>> real_path(("tool_choice", "ToolChoiceFunction", "name"), {"tool_choice": {"name": {}}})
        ('tool_choice', 'name')
    """
    if data is _UNSET:
        return tuple(p for p in loc if not str(p).startswith(("function-", "[")))
    out, here = [], data
    for i, part in enumerate(loc):
        if isinstance(here, list) and isinstance(part, int) and 0 <= part < len(here):
            out.append(part)
            here = here[part]
        elif isinstance(here, dict) and part in here:
            out.append(part)
            here = here[part]
        elif missing and i == len(loc) - 1 and isinstance(part, str):
            out.append(part)
    return tuple(out)


def _path(error: dict, data=_UNSET) -> tuple:
    return real_path(tuple(error.get("loc", ())), data, missing=error.get("type") == "missing")


def _type_values(model: type[BaseModel]) -> tuple:
    """The values a model's `type` Literal allows (`Literal["message"] | None` allows "message")."""
    annotation = model.model_fields["type"].annotation
    if typing.get_origin(annotation) is Literal:
        return typing.get_args(annotation)
    return tuple(v for arg in typing.get_args(annotation) if typing.get_origin(arg) is Literal
                 for v in typing.get_args(arg))


def tagged(*models: type[BaseModel], default: str | None = None):
    """One of `models`, chosen by the object's `type` (each model declares `type` as a Literal), as
    the API's unions of typed objects are: only the chosen model's errors are reported, and an
    unknown or missing `type` is one clear error (or, with a `default`, a missing `type` means that one).

    Example:
        >>> from typing import Literal
        >>> class Text(BodyModel):
        ...     type: Literal["text"]
        ...     text: str
        >>> class Image(BodyModel):
        ...     type: Literal["image_url"]
        ...     url: str
        >>> from pydantic import TypeAdapter
        >>> parts = TypeAdapter(list[tagged(Text, Image)])
        >>> parts.validate_python([{"type": "text", "text": "Hi"}])[0].text
        'Hi'
        >>> try:
        ...     parts.validate_python([{"type": "video"}])
        ... except ValidationError as exc:
        ...     print(bad_request(exc))
        Invalid value for '[0].type': 'video'. Supported values are: 'text', 'image_url'.
    """
    by_type = {value: model for model in models for value in _type_values(model)}
    expected = ", ".join(f"'{t}'" for t in by_type)

    def kind(value):
        found = value.get("type", default) if isinstance(value, dict) else getattr(value, "type", None)
        return f"[{found}]" if isinstance(found, str) and found in by_type else None

    members = tuple(Annotated[model, Tag(f"[{value}]")] for value, model in by_type.items())
    # the supported values travel as the error's message: a context dict would make the type unhashable
    return Annotated[Union[members], Discriminator(kind, custom_error_type="type_tag",  # noqa: UP007
                                                   custom_error_message=expected)]


def param_name(path) -> str:
    """A path into the request as the API names parameters: `items[2].content`.

    Example:
        >>> param_name(("items", 2, "content"))
        'items[2].content'
    """
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def bad_request(exc: ValidationError | list, data=_UNSET) -> BadRequest:
    """The first problem pydantic found (a ValidationError, or FastAPI's list of its errors), as the
    API's 400 naming the parameter.

    Example:
        >>> class Query(QueryModel):
        ...     limit: int = 20
        >>> try:
        ...     Query.model_validate({"limit": "ten"})
        ... except ValidationError as exc:
        ...     print(bad_request(exc))
        Invalid type for 'limit': expected an integer, got 'ten'.
    """
    errors = exc if isinstance(exc, list) else exc.errors(include_url=False)
    error = _most_telling(errors, data)
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    param = param_name(_path(error, data)) or None
    if kind == "type_tag":
        if not isinstance(value, dict):
            return BadRequest(f"Invalid type for '{param}': expected an object, got {type_name(value)}.",
                              param=param)
        where = f"{param}.type" if param else "type"
        if value.get("type") is None:
            return BadRequest(f"Missing required parameter: '{where}'.", param=where)
        return BadRequest(f"Invalid value for '{where}': {value['type']!r}. Supported values are: "
                          f"{error['msg']}.", param=where)
    if kind == "extra_forbidden":
        return BadRequest(f"Unrecognized request argument supplied: '{param}'.", param=param)
    if kind == "missing":
        return BadRequest(f"Missing required parameter: '{param}'.", param=param)
    if kind in _EXPECTED:
        got = repr(value) if isinstance(value, str) and kind.endswith("_parsing") else type_name(value)
        # a value of none of a union's types: every type it could have been, as the API lists them
        same = [_EXPECTED[e["type"]] for e in errors if e["type"] in _EXPECTED and _path(e, data) == _path(error, data)]
        expected = " or ".join(dict.fromkeys(same)) if data is not _UNSET else _EXPECTED[kind]
        return BadRequest(f"Invalid type for '{param}': expected {expected}, got {got}.", param=param)
    if kind in ("literal_error", "enum"):
        return BadRequest(f"Invalid value for '{param}': {value!r}. Supported values are: {ctx.get('expected')}.",
                          param=param)
    if kind in ("greater_than_equal", "greater_than"):
        return BadRequest(f"Invalid '{param}': {value} is below the minimum of {ctx.get('ge', ctx.get('gt'))}.",
                          param=param)
    if kind in ("less_than_equal", "less_than"):
        return BadRequest(f"Invalid '{param}': {value} is above the maximum of {ctx.get('le', ctx.get('lt'))}.",
                          param=param)
    if kind in ("string_too_short", "too_short") and ctx.get("min_length") == 1:
        return BadRequest(f"Invalid '{param}': empty {'string' if kind.startswith('string') else 'array'}. "
                          "Expected a value with at least one "
                          f"{'character' if kind.startswith('string') else 'item'}.", param=param)
    if kind == "string_too_long":
        return BadRequest(f"Invalid '{param}': string too long ({len(value)} characters, at most "
                          f"{ctx.get('max_length')}).", param=param)
    if kind == "string_pattern_mismatch":
        return BadRequest(f"Invalid '{param}': {str(value)[:40]!r} is not of the expected form.", param=param)
    if kind == "too_long":
        return BadRequest(f"Invalid '{param}': {ctx.get('actual_length')} items; at most {ctx.get('max_length')} "
                          "are allowed.", param=param)
    if kind == "value_error":
        return BadRequest(f"Invalid '{param}': {ctx.get('error')}.", param=param)
    message = error["msg"][:1].lower() + error["msg"][1:]
    return BadRequest(f"Invalid '{param}': {message}.", param=param)


def _most_telling(errors: list, data=_UNSET) -> dict:
    """Of pydantic's errors for one value, the one a person can act on. When a value fits none of a
    union's shapes pydantic reports each shape: the error reached deepest into the request (the shape
    the value was closest to) says most, and among equals one about the value's own content says more
    than "it is not a string" from a member whose location ends in its tag."""

    def rank(error):
        loc = tuple(error.get("loc", ()))
        path = _path(error, data)
        ends_in_tag = data is not _UNSET and bool(loc) and path[-1:] != loc[-1:]
        names_type = error["type"] == "type_tag" and isinstance(error.get("input"), dict)  # '....type'
        return len(path) + names_type, not ends_in_tag

    return max(errors, key=rank)


def read(model: type[BaseModel], data: Any):
    """`data` validated as `model`, or the API's 400 for its first problem."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise bad_request(exc, data) from None


async def _present_json_body(request: Request) -> dict:
    if not await request.body():
        raise BadRequest("The request body is missing: this operation takes a JSON object ({} to change "
                         "nothing).")
    return await json_body(request)


# The dependencies are coroutines: checking a body is quick work, cheaper on the event loop than a
# thread hop per request.

def body(model: type[BodyModel], *, required: bool = False):
    """A FastAPI dependency: the request's JSON body read as `model` (with `required`, as the API's
    description requires, a request without a body is refused rather than read as `{}`).

    Example:
        >>> class Rename(BodyModel):
        ...     name: str
        >>> callable(body(Rename))
        True
    """

    async def dependency(raw: dict = Depends(_present_json_body if required else json_body)):
        return read(model, raw)

    return dependency


def checked(model: type[BaseModel], *, required: bool = False):
    """A FastAPI dependency: the request's JSON body, validated as `model`, handed on as the dict it
    is (for a handler that reads it further with the feature's own rules); `required` as for `body`.

    Example:
        >>> class Rename(BodyModel):
        ...     name: str
        >>> callable(checked(Rename))
        True
    """

    async def dependency(raw: dict = Depends(_present_json_body if required else json_body)):
        read(model, raw)
        return raw

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
        name = field.alias or name  # a query name no Python name can be: `effective_at[gt]`
        if _is_list(field.annotation):
            values = multi_param(query, name)
            if values:
                out[name] = values
        elif name in query:
            out[name] = query[name]
    return out


def read_query(model: type[QueryModel], query) -> QueryModel:
    """A query mapping read as `model`, or the API's 400 naming the query parameter (a query has no
    deeper path: a bad item of `include[]` is a bad `include`).

    Example:
        >>> from starlette.datastructures import QueryParams
        >>> class Including(QueryModel):
        ...     include: list[Literal["content"]] = []
        >>> read_query(Including, QueryParams("include[]=content")).include
        ['content']
        >>> read_query(Including, QueryParams("include[]=secrets"))
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.BadRequest: Invalid value for 'include': 'secrets'. Supported values are: 'content'.
    """
    try:
        return model.model_validate(query_values(model, query))
    except ValidationError as exc:
        raise bad_request([{**e, "loc": tuple(e["loc"])[:1]} for e in exc.errors(include_url=False)]) from None


def query(model: type[QueryModel]):
    """A FastAPI dependency: the request's query string read as `model`."""

    async def dependency(request: Request):
        return read_query(model, request.query_params)

    return dependency


def install(app) -> None:
    """The one place a failed request model becomes the API's 400: FastAPI's own checks of path and
    query parameters, and a model validated inside a handler, answer as the dependencies above do."""
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse

    def reply(err: BadRequest):
        return JSONResponse(err.body(), status_code=err.status)

    @app.exception_handler(RequestValidationError)
    async def _request_validation(request, exc: RequestValidationError):
        # FastAPI's locations start with where the parameter is (`query`, `path`...): not part of its name
        errors = [{**e, "loc": tuple(e.get("loc", ()))[1:]} for e in exc.errors()]
        return reply(bad_request(errors) if errors else BadRequest("Invalid request."))

    @app.exception_handler(ValidationError)
    async def _model_validation(request, exc: ValidationError):
        return reply(bad_request(exc))
