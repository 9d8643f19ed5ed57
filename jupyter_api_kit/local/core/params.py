"""Reading request bodies and query strings with errors that name the parameter and what is allowed.

Example:
    >>> p = Params({"n": 2, "temperature": 0.5})
    >>> p.int("n", default=1, minimum=1, maximum=8), p.number("temperature", default=1.0, minimum=0, maximum=2)
    (2, 0.5)
    >>> Params({"n": "two"}).int("n", default=1)
    Traceback (most recent call last):
    ...
    jupyter_api_kit.local.core.errors.BadRequest: Invalid type for 'n': expected an integer, got a string.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping

from starlette.requests import Request

from jupyter_api_kit.local.core.errors import BadRequest

_TYPE_NAMES = {str: "a string", bool: "a boolean", int: "an integer", float: "a number",
               list: "an array", dict: "an object", type(None): "null"}


def type_name(value) -> str:
    """How an error message names a JSON value's type.

    Example:
        >>> type_name("x"), type_name(None), type_name([1]), type_name(1.5)
        ('a string', 'null', 'an array', 'a number')
    """
    return _TYPE_NAMES.get(type(value), type(value).__name__)


class _NotJSON(ValueError):
    """JSON that Python's parser takes but the JSON standard (and every later step) does not."""


def _no_constant(name: str):
    raise _NotJSON(f"The request body is not valid JSON: {name} is not a JSON number.")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotJSON(f"The request body is not valid JSON: the number {text[:24]} is out of range.")
    return value


#: a \uD800-\uDFFF escape, or the same code point as (invalid) UTF-8 bytes, which json.loads lets through
_SURROGATE = re.compile(rb"\\u[dD][89abAB]|\xed[\xa0-\xbf]")


async def json_body(request: Request) -> dict:
    """FastAPI dependency: the request body as a JSON object, or a 400 saying what is wrong.

    Python's json module takes more than JSON: NaN/Infinity (which then break every response that
    echoes them), lone surrogates (which SQLite cannot store) and nesting deep enough to overflow the
    stack. All of those are refused here, once, for every route.
    """
    raw = await request.body()
    if not raw:
        return {}
    try:
        body = json.loads(raw, parse_constant=_no_constant, parse_float=_finite)
    except _NotJSON as exc:
        raise BadRequest(str(exc)) from None
    except RecursionError:
        raise BadRequest("The request body is not valid JSON: it is nested too deeply.") from None
    except ValueError:
        raise BadRequest("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise BadRequest(f"The request body must be a JSON object, not {type_name(body)}.")
    if _SURROGATE.search(raw):
        try:
            json.dumps(body, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise BadRequest("The request body is not valid JSON: it holds an unpaired UTF-16 surrogate "
                             "(\\ud800-\\udfff); send text as UTF-8.") from None
    return body


_INT_TEXT = re.compile(r"-?[0-9]+")


class Params:
    """Typed access to a JSON body (or query mapping) with the API's style of 400 errors."""

    def __init__(self, data: Mapping, prefix: str = ""):
        self.data = data
        self.prefix = prefix

    def _name(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def has(self, key: str) -> bool:
        """Whether `key` is present with a value other than null.

        Example:
            >>> Params({"a": 0, "b": None}).has("a"), Params({"a": 0, "b": None}).has("b")
            (True, False)
        """
        return self.data.get(key) is not None

    def raw(self, key: str, default=None):
        """The value of `key` unchecked, or `default` when absent or null (for parameters of several types).

        Example:
            >>> Params({"stop": ["\\n"]}).raw("stop"), Params({}).raw("stop", default=[])
            (['\\n'], [])
        """
        value = self.data.get(key)
        return default if value is None else value

    def _bad_type(self, key, expected, value):
        return BadRequest(f"Invalid type for '{self._name(key)}': expected {expected}, got {type_name(value)}.",
                          param=self._name(key))

    def str(self, key: str, *, default=None, required=False, choices=None, max_length=None):
        """A string parameter: `required`, one of `choices`, at most `max_length` characters.

        Example:
            >>> Params({"order": "asc"}).str("order", choices=("asc", "desc"))
            'asc'
            >>> Params({"order": "up"}).str("order", choices=("asc", "desc"))  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            jupyter_api_kit.local.core.errors.BadRequest: Invalid value for 'order': 'up'. Supported values are: ...
        """
        value = self.data.get(key)
        if value is None:
            if required:
                raise BadRequest(f"Missing required parameter: '{self._name(key)}'.", param=self._name(key))
            return default
        if not isinstance(value, str):
            raise self._bad_type(key, "a string", value)
        if choices is not None and value not in choices:
            allowed = ", ".join(f"'{c}'" for c in choices)
            raise BadRequest(f"Invalid value for '{self._name(key)}': '{value[:40]}'. Supported values are: "
                             f"{allowed}.", param=self._name(key))
        if max_length is not None and len(value) > max_length:
            raise BadRequest(f"Invalid '{self._name(key)}': string too long ({len(value)} characters, at most "
                             f"{max_length}).", param=self._name(key))
        return value

    def bool(self, key: str, *, default=False):
        """A boolean parameter; the strings "true" and "false" count too, as query strings send them.

        Example:
            >>> Params({"stream": True}).bool("stream"), Params({"include_archived": "true"}).bool("include_archived")
            (True, True)
        """
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, str) and value in ("true", "false"):
            return value == "true"
        if not isinstance(value, bool):
            raise self._bad_type(key, "a boolean", value)
        return value

    def int(self, key: str, *, default=None, minimum=None, maximum=None, required=False):
        """An integer parameter within `minimum`..`maximum`; digit strings (query values) are read as
        integers, booleans and floats are refused.

        Example:
            >>> Params({"limit": "5"}).int("limit", minimum=1, maximum=100)
            5
            >>> Params({"n": True}).int("n")
            Traceback (most recent call last):
            ...
            jupyter_api_kit.local.core.errors.BadRequest: Invalid type for 'n': expected an integer, got a boolean.
        """
        value = self.data.get(key)
        if value is None:
            if required:
                raise BadRequest(f"Missing required parameter: '{self._name(key)}'.", param=self._name(key))
            return default
        if isinstance(value, str) and _INT_TEXT.fullmatch(value):
            # query strings arrive as text; ASCII digits only ('²'.isdigit() is True, int('²') fails)
            if len(value) > 30:
                raise BadRequest(f"Invalid '{self._name(key)}': {value[:30]}... has too many digits.",
                                 param=self._name(key))
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._bad_type(key, "an integer", value)
        self._range(key, value, minimum, maximum)
        return value

    def number(self, key: str, *, default=None, minimum=None, maximum=None):
        """A number parameter within `minimum`..`maximum`, always returned as a float.

        Example:
            >>> Params({"temperature": 1}).number("temperature", minimum=0, maximum=2)
            1.0
            >>> Params({"temperature": 3}).number("temperature", minimum=0, maximum=2)
            Traceback (most recent call last):
            ...
            jupyter_api_kit.local.core.errors.BadRequest: Invalid 'temperature': 3 is above the maximum of 2.
        """
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self._bad_type(key, "a number", value)
        self._range(key, value, minimum, maximum)
        return float(value)

    def _range(self, key, value, minimum, maximum):
        if minimum is not None and value < minimum:
            raise BadRequest(f"Invalid '{self._name(key)}': {value} is below the minimum of {minimum}.",
                             param=self._name(key))
        if maximum is not None and value > maximum:
            raise BadRequest(f"Invalid '{self._name(key)}': {value} is above the maximum of {maximum}.",
                             param=self._name(key))

    def list(self, key: str, *, default=None, required=False, max_items=None):
        """An array parameter; a `required` one must be non-empty; at most `max_items` items.

        Example:
            >>> Params({"ids": []}).list("ids", required=True)
            Traceback (most recent call last):
            ...
            jupyter_api_kit.local.core.errors.BadRequest: Invalid 'ids': empty array. Expected at least one item.
        """
        value = self.data.get(key)
        if value is None:
            if required:
                raise BadRequest(f"Missing required parameter: '{self._name(key)}'.", param=self._name(key))
            return default
        if not isinstance(value, list):
            raise self._bad_type(key, "an array", value)
        if required and not value:
            raise BadRequest(f"Invalid '{self._name(key)}': empty array. Expected at least one item.",
                             param=self._name(key))
        if max_items is not None and len(value) > max_items:
            raise BadRequest(f"Invalid '{self._name(key)}': {len(value)} items; at most {max_items} are allowed.",
                             param=self._name(key))
        return value

    def dict(self, key: str, *, default=None):
        """An object parameter, or `default` when absent; the prefix names nested fields in errors.

        Example:
            >>> Params({"static": 5}, prefix="chunking_strategy.").dict("static")  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            jupyter_api_kit.local.core.errors.BadRequest: Invalid type for 'chunking_strategy.static': ...
        """
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, dict):
            raise self._bad_type(key, "an object", value)
        return value


def multi_param(query, name: str, *, empty_ok: bool = True) -> list[str]:
    """A repeated query parameter, as `name[]=a&name[]=b` (the API's form) or `name=a&name=b`; an
    empty value (`name=`) is skipped, or refused when not `empty_ok` (where the API lists values).

    Example:
        >>> from starlette.datastructures import QueryParams
        >>> multi_param(QueryParams("group_by[]=model&group_by=project_id"), "group_by")
        ['model', 'project_id']
        >>> multi_param(QueryParams("group_by="), "group_by", empty_ok=False)
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.BadRequest: Invalid value for 'group_by': empty string. Give a value or leave the parameter out.
    """
    if not hasattr(query, "getlist"):
        value = query.get(name) or query.get(f"{name}[]")
        return list(value) if isinstance(value, (list, tuple)) else ([value] if value else [])
    values = [*query.getlist(f"{name}[]"), *query.getlist(name)]
    if not empty_ok and "" in values:
        raise BadRequest(f"Invalid value for '{name}': empty string. Give a value or leave the parameter out.",
                         param=name)
    return [v for v in values if v != ""]
