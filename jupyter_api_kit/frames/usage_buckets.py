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
    >>> list(df.columns)[:6]
    ['start_time', 'end_time', 'model', 'input_tokens', 'output_tokens', 'input_cached_tokens']
    >>> df["output_tokens"].tolist(), str(df.loc[1, "start_time"])
    ([4, 0], '2025-01-02 00:00:00+00:00')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from jupyter_api_kit.frames.lists import _as_mapping, _text, _utc
from jupyter_api_kit.frames.readable import readable

__all__ = ["costs", "usage_buckets", "usage_plot"]

#: result fields that say who or what a row is about (the `group_by` dimensions)
DIMENSIONS = ("project_id", "user_id", "api_key_id", "model", "batch", "service_tier", "size", "source",
              "vector_store_id", "context_level", "line_item")


def _pages(obj: Any) -> Any:
    """A generator of pages (e.g. ``UsagePage.iter_pages()``) read once into a list."""
    if isinstance(obj, Mapping) or hasattr(obj, "data") or isinstance(obj, (list, tuple, str, bytes)):
        return obj
    return list(obj) if isinstance(obj, Iterable) else obj


#: the counts each usage kind reports, so that a frame has them even when every bucket is empty
KIND_FIELDS = {
    "completions": ("input_tokens", "output_tokens", "input_cached_tokens", "input_uncached_tokens",
                    "input_audio_tokens", "output_audio_tokens", "num_model_requests"),
    "embeddings": ("input_tokens", "num_model_requests"),
    "moderations": ("input_tokens", "num_model_requests"),
    "images": ("images", "num_model_requests"),
    "audio_speeches": ("characters", "num_model_requests"),
    "audio_transcriptions": ("seconds", "num_model_requests"),
    "vector_stores": ("usage_bytes",),
    "code_interpreter_sessions": ("num_sessions",),
    "file_search_calls": ("num_requests",),
    "web_search_calls": ("num_model_requests", "num_requests"),
}


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


def _frame(rows: list[dict], numeric_fill, expected: tuple = ()) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame({"start_time": _utc([]), "end_time": _utc([]),
                             **{name: pd.Series([], dtype="int64") for name in expected}})
    names = [n for n in dict.fromkeys(k for row in rows for k in row) if n != "object"]
    names += [n for n in expected if n not in names]
    dims = [n for n in names if n in DIMENSIONS and any(row.get(n) is not None for row in rows)]
    measures = [n for n in names if n not in DIMENSIONS and n not in ("start_time", "end_time")]
    measures = [n for n in expected if n in measures] + [n for n in measures if n not in expected]
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
        fill = numeric_fill(name)
        if (present or fill is not None) and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                 for v in present):
            filled = [fill if v is None else v for v in values]
            if fill is not None and all(isinstance(v, int) for v in filled):
                columns[name] = pd.Series(filled, dtype="int64")
            else:
                columns[name] = pd.Series(filled, dtype="float64")
        else:
            columns[name] = _text(values) if all(isinstance(v, str) for v in present) else pd.Series(values)
    return pd.DataFrame(columns)


def _kind_of(rows: list[dict]) -> str | None:
    for row in rows:
        obj = row.get("object") or ""
        if obj.startswith("organization.usage.") and obj.endswith(".result"):
            name = obj[len("organization.usage."):-len(".result")]
            return {"file_searches": "file_search_calls", "web_searches": "web_search_calls"}.get(name, name)
    return None


def usage_buckets(resp_or_pages: Any, *, include_empty: bool = True, kind: str | None = None) -> pd.DataFrame:
    """Usage buckets as one row per bucket and group.

    Columns: ``start_time`` and ``end_time`` (tz-aware UTC datetimes), then the grouped dimensions
    present in the results (``project_id``, ``user_id``, ``api_key_id``, ``model``, ``batch``, ...;
    dimensions that are null in every row, i.e. not grouped by, are left out), then every count the
    results carry (``input_tokens``, ``output_tokens``, ``input_cached_tokens``,
    ``input_uncached_tokens``, ``input_audio_tokens``, ``output_audio_tokens``, ``num_model_requests``,
    or ``images``, ``characters``, ``seconds``, ``usage_bytes``, ``num_sessions``, ``num_requests``).
    With ``include_empty`` a bucket without results still gives a row, with counts 0, so time
    series have no gaps. ``kind`` (e.g. ``"completions"``; read from the results or the client pages
    when not given) makes the counts of that kind columns even when every bucket is empty.
    """
    resp_or_pages = _pages(resp_or_pages)
    rows = _rows(resp_or_pages, _usage_fields, include_empty)
    items = resp_or_pages if isinstance(resp_or_pages, (list, tuple)) else [resp_or_pages]
    kind = kind or _kind_of(rows) or next((k for k in (getattr(i, "kind", None) for i in items) if k), None)
    return _frame(rows, lambda name: 0, KIND_FIELDS.get(kind or "", ()))


def _usage_fields(result: Mapping) -> dict:
    out = dict(result)
    if "input_uncached_tokens" not in out and "input_cached_tokens" in out and "input_tokens" in out:
        # Servers that leave it out still report both of its parts.
        out["input_uncached_tokens"] = (out["input_tokens"] or 0) - (out["input_cached_tokens"] or 0)
    return out


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
    local server names its price table) are kept in ``df.attrs["notes"]``. ``amount`` is shown as
    money (``$0.000024``) and stays a float column.

    Example:
        >>> df = costs({"object": "page", "data": [{"object": "bucket", "start_time": 0, "end_time": 86400,
        ...     "results": [{"object": "organization.costs.result", "amount": {"value": 0.25, "currency": "usd"},
        ...                  "project_id": "proj_a", "line_item": None}]}]})
        >>> df[["project_id", "amount", "currency"]].values.tolist()
        [['proj_a', 0.25, 'usd']]
    """
    resp_or_pages = _pages(resp_or_pages)
    df = _frame(_rows(resp_or_pages, _cost_fields, include_empty),
                lambda name: 0.0 if name == "amount" else None, ("amount",))
    if "amount" in df:
        df["amount"] = df["amount"].astype("float64")
    df.attrs["notes"] = _notes(resp_or_pages)
    return readable(df, money=["amount"])


#: what `usage_plot` charts when no metric is named: the headline count of each kind
DEFAULT_METRICS = ("total_tokens", "amount", "input_tokens", "images", "characters", "seconds", "usage_bytes",
                   "num_sessions", "num_requests", "num_model_requests")


def usage_plot(frame: pd.DataFrame, metric: str | None = None, by: list | None = None, title: str | None = None):
    """A stacked bar chart of a :func:`usage_buckets` or :func:`costs` frame, as a matplotlib Figure.

    ``metric`` is a numeric column, or ``total_tokens`` (input + output); by default the first of
    :data:`DEFAULT_METRICS` the frame has. ``by`` names the columns whose values get one colour each.

    Example:
        >>> df = usage_buckets([{"object": "bucket", "start_time": 0, "end_time": 86400, "results": [
        ...     {"input_tokens": 3, "output_tokens": 4, "model": "a"}]}])
        >>> usage_plot(df, by=["model"]).axes[0].get_ylabel()
        'total_tokens'
    """
    from matplotlib.figure import Figure

    data = frame.copy()
    if "input_tokens" in data and "output_tokens" in data:
        data["total_tokens"] = data["input_tokens"] + data["output_tokens"]
    if metric is None:
        metric = next((m for m in DEFAULT_METRICS if m in data.columns), None)
    if metric not in data.columns:
        numeric = [c for c in data.columns if pd.api.types.is_numeric_dtype(data[c]) and c not in DIMENSIONS]
        raise ValueError(f"no column {metric!r} to plot; numeric columns: {', '.join(numeric) or 'none'}")
    by = [c for c in (by or []) if c in data.columns]
    if by:
        data["group"] = data[by].astype("string").fillna("(none)").agg(" / ".join, axis=1)
        table = data.pivot_table(index="start_time", columns="group", values=metric, aggfunc="sum", fill_value=0)
    else:
        table = data.groupby("start_time")[[metric]].sum()
    # Empty buckets carry no group; their zero row keeps the time axis whole but needs no colour.
    table = table.drop(columns=[c for c in table.columns if c == "(none)" and not table[c].any()], errors="ignore")
    fig = Figure(figsize=(8, 3.6))
    ax = fig.add_subplot()
    labels = [_tick(t, frame) for t in table.index]
    bottom = None
    for column in table.columns:
        values = table[column].to_numpy()
        ax.bar(range(len(table)), values, bottom=bottom, label=str(column))
        bottom = values if bottom is None else bottom + values
    step = max(1, len(labels) // 12)
    ax.set_xticks(range(0, len(labels), step), labels[::step], rotation=45, ha="right", fontsize=8)
    ax.set_ylabel(metric)
    ax.set_title(title or f"{metric} per bucket" + (f" by {', '.join(by)}" if by else ""))
    if by and len(table.columns):
        ax.legend(fontsize=8, loc="upper left", frameon=False)
    fig.tight_layout()
    return fig


def _tick(start: pd.Timestamp, frame: pd.DataFrame) -> str:
    """A bucket's label: its day for day-wide buckets from midnight, else its day and time (buckets start at
    the query's start_time, so days may run from any hour).

    Example:
        >>> days = pd.DataFrame({"start_time": pd.to_datetime([0, 86400], unit="s", utc=True),
        ...                      "end_time": pd.to_datetime([86400, 172800], unit="s", utc=True)})
        >>> evenings = days + pd.Timedelta(hours=18)
        >>> _tick(days["start_time"][1], days), _tick(evenings["start_time"][1], evenings)
        ('1970-01-02', '01-02 18:00')
    """
    width = (frame["end_time"] - frame["start_time"]).min() if len(frame) else pd.Timedelta(days=1)
    whole_days = width >= pd.Timedelta(days=1) and start == start.normalize()
    return start.strftime("%Y-%m-%d" if whole_days else "%m-%d %H:%M")
