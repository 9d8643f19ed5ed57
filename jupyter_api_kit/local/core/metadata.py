"""Metadata met outside a request model: inside objects a feature reads by its own rules, and in a
list's `metadata[KEY]=VALUE` query pairs. Both are checked by the same `Metadata` type a model's
field uses, so the limits (from `jupyter_api_kit.spec`) are written once.

Example:
    >>> read_metadata({"topic": "moons"}, "thread.metadata")
    {'topic': 'moons'}
"""

from __future__ import annotations

from pydantic import TypeAdapter, ValidationError
from starlette.requests import Request

from jupyter_api_kit.local.core.errors import BadRequest
from jupyter_api_kit.local.core.request_models import Metadata, bad_request

_METADATA = TypeAdapter(Metadata | None)


def read_metadata(value, param: str = "metadata") -> dict:
    """Metadata found inside a request (or in a query's `metadata[KEY]` pairs) checked by the same
    type as a model's `Metadata` field, errors named from `param`; `{}` when absent.

    Example:
        >>> read_metadata({"topic": "moons"}), read_metadata(None)
        ({'topic': 'moons'}, {})
        >>> read_metadata({"topic": 7}, "thread.metadata")
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.BadRequest: Invalid type for 'thread.metadata.topic': expected a string, got an integer.
    """
    try:
        return _METADATA.validate_python(value, strict=True) or {}
    except ValidationError as exc:
        raise bad_request([{**e, "loc": (param, *e["loc"])} for e in exc.errors(include_url=False)]) from None


async def metadata_filter(request: Request) -> dict:
    """A FastAPI dependency: the `metadata[KEY]=VALUE` pairs of a list's query, within the metadata
    limits; a bare `metadata=` is refused (the API filters by pairs)."""
    pairs = {}
    for key, value in request.query_params.multi_items():
        if key.startswith("metadata[") and key.endswith("]"):
            pairs[key[len("metadata["):-1]] = value
        elif key == "metadata":
            raise BadRequest("Invalid 'metadata' filter: use metadata[KEY]=VALUE pairs.", param="metadata")
    return read_metadata(pairs)
