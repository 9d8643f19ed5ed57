"""Conversation items and the responses made in a conversation as DataFrames, one row per object in
the order given; the Conversations counterparts of `frames/threads.py`.

Example:
    >>> item = {"id": "msg_1", "type": "message", "role": "user", "status": "completed",
    ...         "content": [{"type": "input_text", "text": "Hi"}]}
    >>> items([item])[["id", "role", "text"]].to_dict("records")
    [{'id': 'msg_1', 'role': 'user', 'text': 'Hi'}]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from jupyter_api_kit.frames.lists import _as_mapping, _items, _utc

__all__ = ["item_text", "items", "response_steps", "responses", "transcript"]

ITEM_COLUMNS = ["id", "type", "role", "text", "status", "call_id", "name"]
RESPONSE_COLUMNS = ["id", "conversation_id", "status", "model", "created_at", "completed_at", "duration_s",
                    "input_tokens", "output_tokens", "total_tokens", "error", "incomplete_reason"]
STEP_COLUMNS = ["id", "response_id", "type", "status", "tool_calls", "input_tokens", "output_tokens",
                "total_tokens"]
_TOKENS = ("input_tokens", "output_tokens", "total_tokens")


def item_text(item: Mapping) -> str:
    """What an item says, as text: a message's text parts (a file part as its name), a function
    call as `name(arguments)`, its output, a file search as its queries.

    Example:
        >>> item_text({"type": "function_call", "name": "lookup", "arguments": '{"q": "Mars"}'})
        'lookup({"q": "Mars"})'
        >>> item_text({"type": "message", "content": [{"type": "output_text", "text": "Two moons."}]})
        'Two moons.'
    """
    item = _as_mapping(item)
    kind = item.get("type", "message")
    if kind == "message":
        parts = []
        for part in item.get("content") or []:
            part = _as_mapping(part)
            if part.get("type") == "input_file":
                parts.append(f"[file {part.get('filename') or part.get('file_id')}]")
            elif part.get("type") == "refusal":
                parts.append(part.get("refusal") or "")
            else:
                parts.append(part.get("text") or "")
        return "\n".join(parts)
    if kind == "function_call":
        return f"{item.get('name')}({item.get('arguments')})"
    if kind == "function_call_output":
        return str(item.get("output") or "")
    if kind == "file_search_call":
        return f"file_search({', '.join(item.get('queries') or [])})"
    return ""


def _role(item: Mapping) -> str | None:
    return item.get("role") or ({"function_call": "assistant", "file_search_call": "assistant",
                                 "function_call_output": "tool"}.get(item.get("type")))


def items(page_or_list: Any) -> pd.DataFrame:
    """One row per conversation item: `id`, `type`, `role` (tool calls are the assistant's, their
    outputs the tool's), `text` (see `item_text`), `status`, `call_id`, `name`.

    Example:
        >>> items([]).columns.tolist()
        ['id', 'type', 'role', 'text', 'status', 'call_id', 'name']
    """
    rows = []
    for raw in _items(page_or_list):
        item = _as_mapping(raw)
        rows.append({**{k: item.get(k) for k in ITEM_COLUMNS}, "role": _role(item), "text": item_text(item)})
    return pd.DataFrame({name: pd.Series([r[name] for r in rows], dtype=object) for name in ITEM_COLUMNS})


def transcript(page_or_list: Any) -> str:
    """The items as readable text, one `role: text` paragraph each, in the order given.

    Example:
        >>> transcript([{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hi"}]},
        ...             {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Hello"}]}])
        'user: Hi\\n\\nassistant: Hello'
    """
    return "\n\n".join(f"{_role(item)}: {item_text(item)}" for item in map(_as_mapping, _items(page_or_list)))


def responses(page_or_list: Any) -> pd.DataFrame:
    """One row per response: `id`, `conversation_id`, `status`, `model`, `created_at`,
    `completed_at`, `duration_s`, token usage, `error` (its message), `incomplete_reason`, then
    `metadata.<key>`.

    Example:
        >>> r = {"id": "resp_1", "status": "completed", "created_at": 100, "completed_at": 103,
        ...      "conversation": {"id": "conv_1"}, "usage": {"input_tokens": 5, "output_tokens": 7, "total_tokens": 12}}
        >>> responses([r])[["conversation_id", "duration_s", "total_tokens"]].to_dict("records")
        [{'conversation_id': 'conv_1', 'duration_s': 3.0, 'total_tokens': 12}]
    """
    rows = []
    for raw in _items(page_or_list):
        r = _as_mapping(raw)
        usage, created, completed = r.get("usage") or {}, r.get("created_at"), r.get("completed_at")
        rows.append({"id": r.get("id"), "conversation_id": (r.get("conversation") or {}).get("id"),
                     "status": r.get("status"), "model": r.get("model"), "created_at": created,
                     "completed_at": completed,
                     "duration_s": None if created is None or completed is None else completed - created,
                     **{k: usage.get(k) for k in _TOKENS}, "error": (r.get("error") or {}).get("message"),
                     "incomplete_reason": (r.get("incomplete_details") or {}).get("reason"),
                     "metadata": r.get("metadata") or {}})
    data = {}
    for name in RESPONSE_COLUMNS:
        values = [row[name] for row in rows]
        data[name] = (_utc(values) if name in ("created_at", "completed_at") else
                      pd.Series(values, dtype="Int64") if name in _TOKENS else
                      pd.Series(values, dtype="float64") if name == "duration_s" else pd.Series(values, dtype=object))
    for key in dict.fromkeys(k for row in rows for k in row["metadata"]):
        data[f"metadata.{key}"] = pd.Series([row["metadata"].get(key) for row in rows], dtype=object)
    return pd.DataFrame(data)


def response_steps(response: Any) -> pd.DataFrame:
    """One row per output item of a response, the counterpart of a run's steps: `id`,
    `response_id`, `type` (`message_creation` or `tool_calls`), `status`, `tool_calls`
    (`name(arguments)` per call); the response's token usage is on its last row.

    Example:
        >>> r = {"id": "resp_1", "usage": {"input_tokens": 9, "output_tokens": 4, "total_tokens": 13}, "output": [
        ...     {"id": "fc_1", "type": "function_call", "status": "completed", "name": "f", "arguments": "{}"},
        ...     {"id": "msg_1", "type": "message", "status": "completed", "content": []}]}
        >>> steps = response_steps(r)
        >>> steps["type"].tolist(), steps["tool_calls"].tolist(), steps["total_tokens"].fillna(0).tolist()
        (['tool_calls', 'message_creation'], [['f({})'], []], [0, 13])
    """
    r = _as_mapping(response)
    output = [_as_mapping(item) for item in r.get("output") or []]
    usage = r.get("usage") or {}
    rows = []
    for i, item in enumerate(output):
        last = i == len(output) - 1
        is_message = item.get("type") == "message"
        rows.append({"id": item.get("id"), "response_id": r.get("id"),
                     "type": "message_creation" if is_message else "tool_calls", "status": item.get("status"),
                     "tool_calls": [] if is_message else [item_text(item)],
                     **{k: usage.get(k) if last else None for k in _TOKENS}})
    return pd.DataFrame({name: pd.Series([row[name] for row in rows], dtype="Int64" if name in _TOKENS else object)
                         for name in STEP_COLUMNS})
