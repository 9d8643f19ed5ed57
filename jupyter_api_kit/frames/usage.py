"""Organization usage and costs pages as tidy DataFrames: one row per bucket and group.

Both converters take a usage/costs response (``{"object": "page", "data": [buckets]}``), a client
``UsagePage``, a list or iterator of those (every page of a query), or a plain list of buckets. Nothing is
fetched here: pass the pages you have (``UsagePage.to_frame()`` walks them for you).

Example:
    >>> page = {"object": "page", "has_more": False, "next_page": None, "data": [
    ...     {"object": "bucket", "start_time": 1735689600, "end_time": 1735776000, "results": [
    ...         {"object": "organization.usage.completions.result", "input_tokens": 10, "output_tokens": 4,
    ...          "input_cached_tokens": 6, "num_model_requests": 2, "model": "local-ngram", "project_id": None}]},
    ...     {"object": "bucket", "start_time": 1735776000, "end_time": 1735862400, "results": []}]}
    >>> df = usage_buckets(page)
    >>> list(df.columns)
    ['start_time', 'end_time', 'model', 'input_tokens', 'output_tokens', 'input_cached_tokens', 'num_model_requests']
    >>> df["output_tokens"].tolist(), str(df.loc[1, "start_time"])
    ([4, 0], '2025-01-02 00:00:00+00:00')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from jupyter_api_kit.frames.lists import _as_mapping, _text, _utc

__all__ = ["costs", "usage_buckets"]

#: result fields that say who or what a row is about (the `group_by` dimensions)
DIMENSIONS = ("project_id", "user_id", "api_key_id", "model", "batch", "service_tier", "size", "source",
              "vector_store_id", "context_level", "line_item")


def _pages(obj: Any) -> Any:
    """A generator of pages (e.g. ``UsagePage.iter_pages()``) read once into a list."""
    if isinstance(obj, Mapping) or hasattr(obj, "data") or isinstance(obj, (list, tuple, str, bytes)):
        return obj
    return list(obj) if isinstance(obj, Iterable) else obj


def _buckets(obj: Any) -> list:
    """Every bucket in a page, a UsagePage, a list of pages, or a list of buckets."""
    if obj is None:
        return []
    if isinstance(obj, Mapping):
        if obj.get("object") == "bucket":
            return [obj]
        return list(obj.get("data") or [])
    if isinstance(obj, (list, tuple)):
        return [b for item in obj for b in _buckets(item)]
    data = getattr(obj, "data", None)  # a client page: this page's buckets only, never a fetch
    if data is not None:
        return list(data)
    return _buckets(_as_mapping(obj))


def _notes(obj: Any) -> list[str]:
    items = obj if isinstance(obj, (list, tuple)) else [obj]
    return list(dict.fromkeys(n for n in (getattr(i, "note", None) for i in items) if n))


def _rows(obj: Any, flatten, include_empty: bool) -> list[dict]:
    rows = []
    for bucket in _buckets(obj):
        bucket = _as_mapping(bucket)
        span = {"start_time": bucket.get("start_time"), "end_time": bucket.get("end_time")}
        results = bucket.get("results") or []
        if not results and include_empty:
            rows.append(dict(span))
        for result in results:
            rows.append({**span, **flatten(_as_mapping(result))})
    return rows


def _frame(rows: list[dict], numeric_fill) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame({"start_time": _utc([]), "end_time": _utc([])})
    names = [n for n in dict.fromkeys(k for row in rows for k in row) if n != "object"]
    dims = [n for n in names if n in DIMENSIONS and any(row.get(n) is not None for row in rows)]
    measures = [n for n in names if n not in DIMENSIONS and n not in ("start_time", "end_time")]
    columns = {"start_time": _utc([r["start_time"] for r in rows]), "end_time": _utc([r["end_time"] for r in rows])}
    for name in dims:
        values = [r.get(name) for r in rows]
        if name == "batch":
            columns[name] = pd.Series(values, dtype="boolean")
        else:
            columns[name] = _text(values)
    for name in measures:
        values = [r.get(name) for r in rows]
        present = [v for v in values if v is not None]
        if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
            fill = numeric_fill(name)
            filled = [fill if v is None else v for v in values]
            if fill is not None and all(isinstance(v, int) for v in filled):
                columns[name] = pd.Series(filled, dtype="int64")
            else:
                columns[name] = pd.Series(filled, dtype="float64")
        else:
            columns[name] = _text(values) if all(isinstance(v, str) for v in present) else pd.Series(values)
    return pd.DataFrame(columns)


def usage_buckets(resp_or_pages: Any, *, include_empty: bool = True) -> pd.DataFrame:
    """Usage buckets as one row per bucket and group.

    Columns: ``start_time`` and ``end_time`` (tz-aware UTC datetimes), then the grouped dimensions
    present in the results (``project_id``, ``user_id``, ``api_key_id``, ``model``, ``batch``, ...;
    dimensions that are null in every row, i.e. not grouped by, are left out), then every count the
    results carry (``input_tokens``, ``output_tokens``, ``input_cached_tokens``,
    ``input_uncached_tokens``, ``input_audio_tokens``, ``output_audio_tokens``, ``num_model_requests``,
    or ``images``, ``characters``, ``seconds``, ``usage_bytes``, ``num_sessions``, ``num_requests``).
    With ``include_empty`` a bucket without results still gives a row, with counts 0, so time
    series have no gaps.
    """
    return _frame(_rows(_pages(resp_or_pages), lambda r: r, include_empty), lambda name: 0)


def _cost_fields(result: Mapping) -> dict:
    out = {k: v for k, v in result.items() if k != "amount"}
    amount = result.get("amount") or {}
    out["amount"] = float(amount.get("value") or 0.0)
    out["currency"] = amount.get("currency")
    return out


def costs(resp_or_pages: Any, *, include_empty: bool = True) -> pd.DataFrame:
    """Costs buckets as one row per bucket and group.

    Columns: ``start_time``, ``end_time`` (UTC datetimes), the grouped dimensions present
    (``project_id``, ``line_item``, ``api_key_id``), ``amount`` (float, in ``currency``),
    ``currency``, and ``quantity``/``quantity_unit`` when the server reports them (per line item).
    Empty buckets give a row with amount 0 when ``include_empty``. Notes the pages carry (the
    local server names its price table) are kept in ``df.attrs["notes"]``.

    Example:
        >>> df = costs({"object": "page", "data": [{"object": "bucket", "start_time": 0, "end_time": 86400,
        ...     "results": [{"object": "organization.costs.result", "amount": {"value": 0.25, "currency": "usd"},
        ...                  "project_id": "proj_a", "line_item": None}]}]})
        >>> df[["project_id", "amount", "currency"]].values.tolist()
        [['proj_a', 0.25, 'usd']]
    """
    resp_or_pages = _pages(resp_or_pages)
    df = _frame(_rows(resp_or_pages, _cost_fields, include_empty),
                lambda name: 0.0 if name == "amount" else None)
    if "amount" in df:
        df["amount"] = df["amount"].astype("float64")
    df.attrs["notes"] = _notes(resp_or_pages)
    return df
