"""Thread messages, runs and run steps as DataFrames, one row per object, in the order given.

Timestamps become tz-aware UTC datetimes; usage is flattened to token columns; a run's timings
are given as seconds (`queued_s`: created to started, `duration_s`: started to ended).

Example:
    >>> msg = {"id": "msg_1", "object": "thread.message", "created_at": 1700000000, "thread_id": "thread_1",
    ...        "role": "user", "status": "completed", "run_id": None, "assistant_id": None,
    ...        "content": [{"type": "text", "text": {"value": "Hi", "annotations": []}}],
    ...        "attachments": [{"file_id": "file-1", "tools": [{"type": "file_search"}]}], "metadata": {}}
    >>> messages([msg])[["role", "text", "attachments"]].to_dict("records")
    [{'role': 'user', 'text': 'Hi', 'attachments': ['file-1']}]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from jupyter_api_kit.frames.lists import _as_mapping, _items, _utc
from jupyter_api_kit.frames.readable import readable

__all__ = ["messages", "run_steps", "runs", "transcript"]

# What people read first (who said what, when), then the ids: a table of ids squeezes the text.
MESSAGE_COLUMNS = ["role", "text", "created_at", "status", "attachments", "id", "thread_id", "run_id",
                   "assistant_id"]
RUN_COLUMNS = ["id", "thread_id", "assistant_id", "status", "model", "created_at", "started_at", "ended_at",
               "queued_s", "duration_s", "prompt_tokens", "completion_tokens", "total_tokens", "last_error",
               "incomplete_reason"]
STEP_COLUMNS = ["id", "run_id", "type", "status", "created_at", "completed_at", "message_id", "tool_calls",
                "prompt_tokens", "completion_tokens", "total_tokens"]
_TIMES = ("created_at", "started_at", "ended_at", "completed_at")
_TOKENS = ("prompt_tokens", "completion_tokens", "total_tokens")


def _text(message: Mapping) -> str:
    return "\n".join(part.get("text", {}).get("value") or "" for part in message.get("content") or []
                     if part.get("type") == "text")


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    data = {}
    for name in columns:
        values = [row.get(name) for row in rows]
        if name in _TIMES:
            data[name] = _utc(values)
        elif name in _TOKENS:
            data[name] = pd.Series(values, dtype="Int64")  # null until a run has used the model
        elif name in ("queued_s", "duration_s"):
            data[name] = pd.Series(values, dtype="float64")
        else:
            data[name] = pd.Series(values, dtype=object)
    # Metadata keys as columns, as in `to_frame`.
    keys = list(dict.fromkeys(k for row in rows for k in (row.get("metadata") or {})))
    for key in keys:
        data[f"metadata.{key}"] = pd.Series([(row.get("metadata") or {}).get(key) for row in rows], dtype=object)
    return pd.DataFrame(data)


def messages(page_or_list: Any) -> pd.DataFrame:
    """One row per thread message: `role`, `text` (the text parts joined), `created_at`, `status`,
    `attachments` (file ids), `id`, `thread_id`, `run_id`, `assistant_id`, then `metadata.<key>`. In a
    notebook the text gets a wide, wrapping column.

    Example:
        >>> messages([]).columns.tolist()[:4]
        ['role', 'text', 'created_at', 'status']
    """
    rows = []
    for item in _items(page_or_list):
        m = _as_mapping(item)
        rows.append({**{k: m.get(k) for k in MESSAGE_COLUMNS}, "text": _text(m),
                     "attachments": [a.get("file_id") for a in m.get("attachments") or []],
                     "metadata": m.get("metadata")})
    return readable(_frame(rows, MESSAGE_COLUMNS), text=["text"])


def runs(page_or_list: Any) -> pd.DataFrame:
    """One row per run: `id`, `thread_id`, `assistant_id`, `status`, `model`, `created_at`,
    `started_at`, `ended_at` (completed, cancelled, failed or expired), `queued_s`, `duration_s`,
    `prompt_tokens`, `completion_tokens`, `total_tokens`, `last_error` (its message),
    `incomplete_reason`, then `metadata.<key>`.

    Example:
        >>> run = {"id": "run_1", "status": "completed", "created_at": 100, "started_at": 101,
        ...        "completed_at": 104, "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}}
        >>> runs([run])[["status", "queued_s", "duration_s", "total_tokens"]].to_dict("records")
        [{'status': 'completed', 'queued_s': 1.0, 'duration_s': 3.0, 'total_tokens': 12}]
    """
    rows = []
    for item in _items(page_or_list):
        r = _as_mapping(item)
        ended = next((r.get(k) for k in ("completed_at", "cancelled_at", "failed_at") if r.get(k)), None)
        started, created = r.get("started_at"), r.get("created_at")
        usage = r.get("usage") or {}
        rows.append({**{k: r.get(k) for k in RUN_COLUMNS}, "ended_at": ended,
                     "queued_s": None if started is None or created is None else started - created,
                     "duration_s": None if started is None or ended is None else ended - started,
                     **{k: usage.get(k) for k in _TOKENS},
                     "last_error": (r.get("last_error") or {}).get("message"),
                     "incomplete_reason": (r.get("incomplete_details") or {}).get("reason"),
                     "metadata": r.get("metadata")})
    return _frame(rows, RUN_COLUMNS)


def run_steps(page_or_list: Any) -> pd.DataFrame:
    """One row per run step: `id`, `run_id`, `type`, `status`, `created_at`, `completed_at`,
    `message_id` (message_creation steps), `tool_calls` (`name(arguments) -> output` per call),
    and the step's token usage.

    Example:
        >>> step = {"id": "step_1", "run_id": "run_1", "type": "tool_calls", "status": "completed",
        ...         "step_details": {"type": "tool_calls", "tool_calls": [{"id": "call_1", "type": "function",
        ...             "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}', "output": "rain"}}]},
        ...         "usage": {"prompt_tokens": 9, "completion_tokens": 4, "total_tokens": 13}}
        >>> run_steps([step]).loc[0, "tool_calls"]
        ['get_weather({"city": "Oslo"}) -> rain']
    """
    rows = []
    for item in _items(page_or_list):
        s = _as_mapping(item)
        details = s.get("step_details") or {}
        calls = []
        for call in details.get("tool_calls") or []:
            function = call.get("function") or {}
            text = f"{function.get('name')}({function.get('arguments')})"
            calls.append(text if function.get("output") is None else f"{text} -> {function.get('output')}")
        usage = s.get("usage") or {}
        rows.append({**{k: s.get(k) for k in STEP_COLUMNS},
                     "message_id": (details.get("message_creation") or {}).get("message_id"),
                     "tool_calls": calls, **{k: usage.get(k) for k in _TOKENS}})
    return _frame(rows, STEP_COLUMNS)


def transcript(page_or_list: Any) -> str:
    """The messages as readable text, one `role: text` paragraph each, in the order given (list
    them with `order="asc"` to read a thread from the start).

    Example:
        >>> transcript([{"role": "user", "created_at": 1, "content": [{"type": "text", "text": {"value": "Hi"}}]},
        ...             {"role": "assistant", "created_at": 2, "content": [{"type": "text", "text": {"value": "Hello"}}]}])
        'user: Hi\\n\\nassistant: Hello'
    """
    items = [_as_mapping(m) for m in _items(page_or_list)]
    return "\n\n".join(f"{m.get('role')}: {_text(m)}" for m in items)
