"""A request's raw parts, before any model reads them: the body as a JSON object (`json_body`, the
JSON standard and nothing more), the values of a repeated query parameter (`multi_param`), and how
an error names a JSON value's type (`type_name`). Request models (`request_models`) take it from here.

Example:
    >>> type_name("five"), type_name(5), type_name([5])
    ('a string', 'an integer', 'an array')
"""

from __future__ import annotations

import json
import math
import re

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
