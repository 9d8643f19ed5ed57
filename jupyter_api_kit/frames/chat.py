"""Chat / legacy completion responses as DataFrames: one row per choice, usage per response."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from jupyter_api_kit.frames.lists import _as_mapping, _items, _text, _utc

__all__ = ["choices", "usage"]

_CHOICE_COLUMNS = ["id", "model", "created", "index", "role", "content",
                   "finish_reason", "refusal", "tool_calls"]
# Column builders for the non-text columns; every other column is text.
_CHOICE_DTYPES = {
    "created": _utc,
    "index": lambda values: pd.Series(values, dtype="Int64"),  # a chunk may omit it
    "tool_calls": lambda values: pd.Series(values, dtype="int64"),
}


def _tool_call_count(message: Mapping) -> int:
    calls = message.get("tool_calls") or ()
    # The deprecated single `function_call` is still a call the model made;
    # counting it keeps "did the model call a tool?" a single column test.
    return len(calls) if calls else int(bool(message.get("function_call")))


def _full_choice(response: Mapping, choice: Mapping) -> dict:
    message = choice.get("message")
    if message is None:  # legacy text completion: `text`, no role, no tools
        message = {"content": choice.get("text")}
        role = None
    else:
        message = _as_mapping(message)
        role = message.get("role")
    return {"id": response.get("id"), "model": response.get("model"),
            "created": response.get("created"), "index": choice.get("index"),
            "role": role, "content": message.get("content"),
            "finish_reason": choice.get("finish_reason"), "refusal": message.get("refusal"),
            "tool_calls": _tool_call_count(message)}


def _merge_delta(row: dict | None, response: Mapping, choice: Mapping) -> dict:
    """Fold one streamed chunk's choice into the row accumulated for it so far."""
    if row is None:
        row = {"id": response.get("id"), "model": response.get("model"),
               "created": response.get("created"), "index": choice.get("index"),
               "role": None, "content": None, "finish_reason": None, "refusal": None,
               "tool_calls": 0, "_tool_indexes": set()}
    delta = _as_mapping(choice.get("delta"))
    row["role"] = row["role"] or delta.get("role")
    for key in ("content", "refusal"):
        if delta.get(key) is not None:
            row[key] = (row[key] or "") + delta[key]
    # A tool call streams as many fragments sharing one `index`: count indexes.
    for call in delta.get("tool_calls") or ():
        row["_tool_indexes"].add(call.get("index"))
    if delta.get("function_call") is not None:
        row["_tool_indexes"].add("function_call")
    row["tool_calls"] = len(row["_tool_indexes"])
    row["finish_reason"] = choice.get("finish_reason") or row["finish_reason"]
    return row


def choices(resp: Any) -> pd.DataFrame:
    """One row per choice of a chat completion, legacy completion, or stream.

    Columns: ``id, model, created`` (tz-aware UTC), ``index, role, content,
    finish_reason, refusal`` and ``tool_calls`` (the number of tool calls the
    choice made; a deprecated ``function_call`` counts as one). Legacy
    completions put ``text`` in ``content`` and have no role. A list of
    responses gives their choices one after another; a list of
    ``chat.completion.chunk`` objects is first assembled into one row per
    (stream id, choice index), concatenating the deltas.

    Example:
        >>> resp = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1700000000,
        ...         "model": "m", "choices": [{"index": 0, "finish_reason": "stop",
        ...         "message": {"role": "assistant", "content": "Hi!", "refusal": None},
        ...         "logprobs": None}]}
        >>> df = choices(resp)
        >>> df[["index", "role", "content", "finish_reason", "tool_calls"]].values.tolist()
        [[0, 'assistant', 'Hi!', 'stop', 0]]
        >>> str(df.loc[0, "created"])
        '2023-11-14 22:13:20+00:00'
    """
    rows: dict[Any, dict] = {}
    for response in map(_as_mapping, _items(resp)):
        for choice in map(_as_mapping, response.get("choices") or ()):
            if "delta" in choice:
                key = (response.get("id"), choice.get("index"))
                rows[key] = _merge_delta(rows.get(key), response, choice)
            else:
                rows[object()] = _full_choice(response, choice)  # a key nothing else shares
    values = list(rows.values())
    column = {name: [row[name] for row in values] for name in _CHOICE_COLUMNS}
    return pd.DataFrame({name: _CHOICE_DTYPES.get(name, _text)(values)
                         for name, values in column.items()})


def _flat_usage(usage: Mapping, prefix: str = "") -> dict:
    out = {}
    for key, value in usage.items():
        if isinstance(value, Mapping):
            out.update(_flat_usage(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


_CHAT_CORE = ["prompt_tokens", "completion_tokens", "total_tokens"]
_RESPONSES_CORE = ["input_tokens", "output_tokens", "total_tokens"]


def usage(resp: Any) -> pd.DataFrame:
    """Token usage, one row per response (one response, a list, or a list object).

    Columns: ``id, model``, then ``prompt_tokens, completion_tokens,
    total_tokens`` and every detail key found in any row flattened with dots
    (``prompt_tokens_details.cached_tokens``,
    ``completion_tokens_details.reasoning_tokens``...). A key missing from a
    row (or a response without usage) counts as 0, so the columns can be
    summed directly. Responses-API usage (``input_tokens``,
    ``output_tokens``, ``input_tokens_details.*``...) is flattened the same
    way and then leads with ``input_tokens, output_tokens, total_tokens``.

    Example:
        >>> r1 = {"id": "a", "model": "m", "usage": {"prompt_tokens": 10,
        ...       "completion_tokens": 5, "total_tokens": 15,
        ...       "prompt_tokens_details": {"cached_tokens": 4}}}
        >>> r2 = {"id": "b", "model": "m", "usage": {"prompt_tokens": 3,
        ...       "completion_tokens": 2, "total_tokens": 5}}
        >>> df = usage([r1, r2])
        >>> list(df.columns)[2:]
        ['prompt_tokens', 'completion_tokens', 'total_tokens', 'prompt_tokens_details.cached_tokens']
        >>> df["prompt_tokens_details.cached_tokens"].tolist()
        [4, 0]
    """
    responses = [_as_mapping(r) for r in _items(resp)]
    flat = [_flat_usage(_as_mapping(r.get("usage"))) for r in responses]
    keys = list(dict.fromkeys(key for row in flat for key in row))
    # Lead with the Responses-API names only when every reported usage uses them.
    reported = [row for row in flat if row]
    responses_shape = bool(reported) and all(
        "input_tokens" in row and "prompt_tokens" not in row for row in reported)
    core = _RESPONSES_CORE if responses_shape else _CHAT_CORE
    frame = {"id": _text([r.get("id") for r in responses]),
             "model": _text([r.get("model") for r in responses])}
    for key in core + [k for k in keys if k not in core]:
        values = [0 if row.get(key) is None else row[key] for row in flat]
        frame[key] = pd.Series(values, dtype="int64" if _all_int(values) else None)
    return pd.DataFrame(frame)


def _all_int(values: list) -> bool:
    return all(isinstance(v, int) and not isinstance(v, bool) for v in values)
