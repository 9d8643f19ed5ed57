"""The query strings of the usage and costs endpoints as declared models, one per kind (the API
gives each kind its own widths, groupings and filters), read before any bucket is counted.

What stays with `buckets`: `end_time` after `start_time`, the largest `limit` of each bucket width
and the `page` cursor belonging to its query.

Example:
    >>> from jupyter_api_kit.local.usage.buckets import KINDS
    >>> model = usage_query_model("completions", KINDS["completions"])
    >>> read_usage_query(model, {"start_time": "60", "group_by[]": ["model", "project_id"]}).group_by
    ['model', 'project_id']
    >>> from starlette.datastructures import QueryParams
    >>> read_usage_query(model, QueryParams("start_time=60&group_by="))
    Traceback (most recent call last):
    ...
    jupyter_api_kit.local.core.errors.BadRequest: Invalid value for 'group_by': empty string. Give a value or leave the parameter out.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, create_model

from jupyter_api_kit.local.core.raw_request import multi_param
from jupyter_api_kit.local.core.request_models import QueryModel, read_query

#: the last second of the year 9999: later times do not fit SQLite's 64-bit integers in bucket arithmetic
MAX_TIME = 253402300799
Time = Annotated[int, Field(ge=0, le=MAX_TIME)]

_MODELS: dict[str, type[QueryModel]] = {}


def usage_query_model(kind_name: str, spec) -> type[QueryModel]:
    """The query model of one usage kind (or of costs), made once from its `Kind`."""
    if kind_name not in _MODELS:
        fields = {"start_time": (Time, ...), "end_time": (Time | None, None),
                  "bucket_width": (Literal[tuple(spec.widths)], "1d"),
                  "limit": (Annotated[int, Field(ge=1)] | None, None), "page": (str | None, None),
                  "group_by": (list[Literal[tuple(spec.groups)]], [])}
        fields |= {name: (list[str], []) for name in spec.filters}
        fields |= {name: (list[Literal[tuple(allowed)]], []) for name, allowed in spec.choices.items()}
        if kind_name == "completions":
            fields["batch"] = (bool | None, None)
        _MODELS[kind_name] = create_model(f"{kind_name}_query", __base__=QueryModel, **fields)
    return _MODELS[kind_name]


def read_usage_query(model: type[QueryModel], query) -> QueryModel:
    """`query` read as `model`; an empty value of a list parameter (`group_by=`) is refused, as the
    API refuses it, rather than dropped."""
    for name, field in model.model_fields.items():
        if isinstance(field.default, list):
            multi_param(query, name, empty_ok=False)
    return read_query(model, query)
