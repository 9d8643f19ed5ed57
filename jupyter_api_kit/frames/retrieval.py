"""Vector store search results, stores and store files as DataFrames.

- :func:`search_results`: one row per result: ``rank``, ``score``, ``file_id``, ``filename``, ``text``,
  then one ``attributes.<key>`` column per attribute seen.
- :func:`vector_stores`: one row per store: ``id``, ``name``, ``status``, ``usage_bytes``,
  ``file_counts.<status>``, ``created_at``, ``last_active_at``, ``expires_at``, ``metadata.<key>``.
- :func:`vector_store_files`: one row per store file: ``id``, ``status``, ``usage_bytes``,
  ``created_at``, ``last_error.code``, ``last_error.message``, ``attributes.<key>``.

Example:
    >>> page = {"object": "vector_store.search_results.page", "search_query": ["moons"], "data": [
    ...     {"file_id": "file-1", "filename": "a.md", "score": 0.8, "attributes": {"topic": "space"},
    ...      "content": [{"type": "text", "text": "Jupiter has many moons."}]}]}
    >>> search_results(page)[["rank", "score", "filename", "attributes.topic"]]
       rank  score filename attributes.topic
    0     1    0.8     a.md            space
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from jupyter_api_kit.frames.lists import _as_mapping, _items, to_frame

__all__ = ["search_results", "vector_store_files", "vector_stores"]

_SEARCH_COLUMNS = ["rank", "score", "file_id", "filename", "text"]


def search_results(page: Any) -> pd.DataFrame:
    """One row per search result, best first (see the module docstring for the columns)."""
    rows = []
    for rank, item in enumerate(_items(page), 1):
        item = _as_mapping(item)
        text = "\n".join(str(_as_mapping(part).get("text") or "") for part in item.get("content") or [])
        row = {"rank": rank, "score": item.get("score"), "file_id": item.get("file_id"),
               "filename": item.get("filename"), "text": text}
        row.update({f"attributes.{k}": v for k, v in (item.get("attributes") or {}).items()})
        rows.append(row)
    if not rows:
        return pd.DataFrame({name: pd.Series([], dtype=object) for name in _SEARCH_COLUMNS})
    frame = pd.DataFrame(rows)
    frame["score"] = frame["score"].astype(float)
    return frame


def _select(frame: pd.DataFrame, first: list[str], prefixes: tuple[str, ...]) -> pd.DataFrame:
    keep = [c for c in first if c in frame.columns]
    keep += [c for c in frame.columns if c.startswith(prefixes) and c not in keep]
    return frame[keep]


def vector_stores(page: Any) -> pd.DataFrame:
    """One row per vector store (timestamps as UTC datetimes)."""
    frame = to_frame(page)
    return _select(frame, ["id", "name", "status", "usage_bytes"],
                   ("file_counts.", "created_at", "last_active_at", "expires_at", "metadata."))


def vector_store_files(page: Any) -> pd.DataFrame:
    """One row per file of a vector store (or of a file batch)."""
    rows = []
    for item in _items(page):
        item = dict(_as_mapping(item))
        item["last_error"] = item.get("last_error") or {"code": None, "message": None}
        rows.append(item)
    frame = to_frame(rows)
    return _select(frame, ["id", "status", "usage_bytes", "created_at", "last_error.code", "last_error.message"],
                   ("attributes.", "chunking_strategy.static."))
