"""Runs over stored chat completions: a `completions` run whose source is
`{"type": "stored_completions", "metadata": {...}, "model": ..., "created_after": ..., "created_before": ...,
"limit": ...}` grades the chat completions this server stored (`store: true`) that match every filter.

Each completion becomes one item, `{"input": [the request's messages], "metadata": {...},
"completion_id": "chatcmpl-..."}`, and its answer is the sample (`{{sample.output_text}}`,
`sample.model`, `sample.choices`...). With `input_messages` the run samples a model again from them
instead (e.g. `item_reference: "item.input"` replays each conversation with another model).
`created_after` is inclusive and `created_before` exclusive; `limit` keeps the most recent matches.

Example:
    >>> check_stored_source({"type": "stored_completions", "metadata": {"tag": "v1"}, "limit": 5},
    ...                     "data_source.source")
    {'type': 'stored_completions', 'metadata': {'tag': 'v1'}, 'model': None, 'created_after': None, 'created_before': None, 'limit': 5}
"""

from __future__ import annotations

import json

from jupyter_api_kit.local.chat import store as chat_store
from jupyter_api_kit.local.core.errors import BadRequest
from jupyter_api_kit.local.core.params import Params, check_metadata
from jupyter_api_kit.local.inference.engine import content_text

#: the most items one run grades
MAX_ITEMS = 10_000


def check_stored_source(source: dict, where: str) -> dict:
    """The source's filters, checked, with every field present (None when not given)."""
    p = Params(source, prefix=f"{where}.")
    metadata = check_metadata(source.get("metadata"), f"{where}.metadata") or {}
    model = p.str("model")
    after = p.int("created_after", minimum=0)
    before = p.int("created_before", minimum=0)
    if after is not None and before is not None and before <= after:
        raise BadRequest(f"Invalid '{where}.created_before': {before} is not after created_after ({after}), so "
                         "no completion can match.", param=f"{where}.created_before")
    limit = p.int("limit", minimum=1, maximum=MAX_ITEMS)
    return {"type": "stored_completions", "metadata": metadata, "model": model, "created_after": after,
            "created_before": before, "limit": limit}


def describe(spec: dict) -> str:
    """The filters of a source in words, for errors.

    Example:
        >>> describe({"metadata": {"tag": "v1"}, "model": None, "created_after": 5, "created_before": None})
        "metadata {'tag': 'v1'}, created_after 5"
    """
    parts = [f"{key} {spec[key]!r}" if key != "created_after" else f"{key} {spec[key]}"
             for key in ("metadata", "model", "created_after", "created_before") if spec.get(key)]
    return ", ".join(parts) or "no filter"


def stored_rows(app, spec: dict) -> list[dict]:
    """One row per matching stored completion: its `item`, its `sample` namespace and the output
    item's `output_sample`; a 400 when none matches."""
    matches = chat_store.matching(app.state.store, spec.get("model"), spec.get("metadata") or {},
                                  spec.get("created_after"), spec.get("created_before"), spec.get("limit"))
    if not matches:
        raise BadRequest(f"No stored chat completions match data_source.source ({describe(spec)}); store some "
                         "with `store: true` (and tag them with `metadata`).", param="data_source.source")
    return [_row(match) for match in matches]


def _row(match: dict) -> dict:
    completion, request = match["completion"], match["request"]
    messages = [{"role": m.get("role", "user"), "content": content_text(m.get("content"))}
                for m in request.get("messages") or [] if isinstance(m, dict)]
    choice = (completion.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    text = message.get("content") or ""
    namespace = {"model": completion.get("model", ""), "choices": completion.get("choices") or [],
                 "output_text": text, "output_tools": message.get("tool_calls") or []}
    try:
        namespace["output_json"] = json.loads(text)
    except ValueError:
        pass
    usage = completion.get("usage") or {}
    cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0
    sample = {"input": messages, "output": [{"role": "assistant", "content": text}],
              "finish_reason": choice.get("finish_reason") or "", "model": completion.get("model", ""),
              "usage": {"total_tokens": usage.get("total_tokens", 0), "prompt_tokens": usage.get("prompt_tokens", 0),
                        "completion_tokens": usage.get("completion_tokens", 0), "cached_tokens": cached},
              "error": {"code": "", "message": ""}, "temperature": float(_given(request, "temperature", 1.0)),
              "max_completion_tokens": int(_given(request, "max_completion_tokens",
                                                  _given(request, "max_tokens", 0))),
              "top_p": float(_given(request, "top_p", 1.0)), "seed": int(_given(request, "seed", 0))}
    item = {"input": request.get("messages") or [], "metadata": match["metadata"], "completion_id": completion["id"]}
    return {"item": item, "sample": namespace, "output_sample": sample}


def _given(request: dict, key: str, default):
    value = request.get(key)
    return default if value is None else value
