"""List objects (``{"object": "list", "data": [...]}``) as flat DataFrames.

This module also holds the small input-normalising helpers the other frame
converters share, so that every converter accepts the same kinds of input:
plain dicts, the client's dict-like results, pages with a ``.data`` list and
objects offering ``to_dict()`` / ``model_dump()``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

__all__ = ["to_frame"]


def _as_mapping(obj: Any) -> Mapping:
    """Return ``obj`` as a Mapping, converting SDK-style objects if needed."""
    if obj is None:
        return {}
    if isinstance(obj, Mapping):
        return obj
    for method in ("to_dict", "model_dump"):
        convert = getattr(obj, method, None)
        if callable(convert):
            return convert()
    raise TypeError(f"expected a mapping (API JSON object), got {type(obj).__name__}")


def _items(obj: Any) -> list:
    """The records held by a list object, a page, a plain list, or a single object.

    A single object (a mapping that is not a list object) is treated as a
    one-item list, so converters can be called on one response or many.
    """
    if obj is None:
        return []
    if isinstance(obj, Mapping):
        if obj.get("object") == "list" or ("data" in obj and isinstance(obj["data"], list)):
            return list(obj.get("data") or [])
        return [obj]
    if isinstance(obj, (list, tuple)):
        return list(obj)
    data = getattr(obj, "data", None)
    if isinstance(data, list):
        return data
    if callable(getattr(obj, "to_dict", None)) or callable(getattr(obj, "model_dump", None)):
        return _items(_as_mapping(obj))
    if isinstance(obj, Iterable) and not isinstance(obj, (str, bytes)):
        return list(obj)
    raise TypeError(f"expected a list object, page or list, got {type(obj).__name__}")


def _utc(seconds: list) -> pd.Series:
    """Unix seconds (ints, None allowed) -> tz-aware UTC datetimes (NaT for None)."""
    # float64 holds any realistic unix second exactly and lets None become NaN -> NaT.
    return pd.to_datetime(pd.Series(seconds, dtype="float64"), unit="s", utc=True)


def _text(values: list) -> pd.Series:
    """A text column in whatever dtype this pandas uses for text by default.

    Building it explicitly keeps the dtype stable when every value is None
    (inference would otherwise fall back to ``object`` for such columns).
    """
    return pd.Series(values, dtype=pd.Series(["x"]).dtype)


def _is_timestamp_name(column: str) -> bool:
    leaf = column.rsplit(".", 1)[-1]
    return leaf == "created" or leaf.endswith("_at")


def _is_int(value: Any) -> bool:
    # bool is an int subclass, but a flag is never a count or a timestamp.
    return isinstance(value, int) and not isinstance(value, bool)


def _flatten(record: Mapping, out: dict, prefix: str, metadata: bool) -> dict:
    """Flatten nested mappings into dotted keys; lists and scalars stay as values."""
    for key, value in record.items():
        name = f"{prefix}{key}"
        if name == "metadata" and metadata:
            # User-set string pairs: one column per key; a null map adds none,
            # so the row reads NA in the columns other items brought.
            if isinstance(value, Mapping):
                out.update({f"metadata.{k}": v for k, v in value.items()})
        elif isinstance(value, Mapping) and value and name != "metadata":
            _flatten(value, out, f"{name}.", metadata)
        else:
            out[name] = value
    return out


def _column(name: str, values: list) -> pd.Series:
    present = [v for v in values if v is not None]
    if present and all(_is_int(v) for v in present):
        if _is_timestamp_name(name):
            return _utc(values)
        if len(present) < len(values):
            return pd.Series(values, dtype="Int64")  # keep counts integral despite gaps
    return pd.Series(values)


def to_frame(page_or_list: Any, *, metadata: bool = True) -> pd.DataFrame:
    """One row per item of a list object, page or plain list of API objects.

    Nested objects are flattened into dotted columns (``usage.total_tokens``).
    With ``metadata=True`` the user ``metadata`` map becomes one
    ``metadata.<key>`` column per key seen in any item; with ``metadata=False``
    it stays a single ``metadata`` column of dicts. Lists stay as cell values.
    Integer columns named ``created`` or ending in ``_at`` (``created_at``,
    ``completed_at``, ``expires_at``...) become tz-aware UTC datetimes.
    Columns start with ``id`` and ``object``; the rest keep first-seen order.
    An empty list gives an empty frame with an ``id`` column.

    Example:
        >>> page = {"object": "list", "data": [
        ...     {"id": "file-1", "object": "file", "bytes": 120, "created_at": 1700000000,
        ...      "metadata": {"team": "a"}},
        ...     {"id": "file-2", "object": "file", "bytes": 80, "created_at": 1700000100,
        ...      "metadata": None}]}
        >>> df = to_frame(page)
        >>> list(df.columns)
        ['id', 'object', 'bytes', 'created_at', 'metadata.team']
        >>> str(df.loc[0, "created_at"])
        '2023-11-14 22:13:20+00:00'
        >>> df["metadata.team"].isna().tolist()
        [False, True]
    """
    rows = [_flatten(_as_mapping(item), {}, "", metadata) for item in _items(page_or_list)]
    if not rows:
        return pd.DataFrame({"id": pd.Series([], dtype=object)})
    names = list(dict.fromkeys(name for row in rows for name in row))
    columns = {name: [row.get(name) for row in rows] for name in names}
    # A key that is an object in some items and null in others flattens to
    # dotted columns; the bare all-null column would only duplicate that.
    for name in [n for n in names if all(v is None for v in columns[n])]:
        if any(other.startswith(f"{name}.") for other in names):
            del columns[name]
    head = ["id"] + (["object"] if "object" in columns else [])
    order = head + [name for name in columns if name not in head]
    columns.setdefault("id", [None] * len(rows))
    return pd.DataFrame({name: _column(name, columns[name]) for name in order})
