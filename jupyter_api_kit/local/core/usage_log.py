"""The record of every request served, which the organization usage and costs endpoints aggregate.

Example:
    >>> record(store, "completions", model="local-ngram", input_tokens=5, output_tokens=7)
    >>> store.one("SELECT sum(output_tokens) FROM usage_records")[0]
    7
"""

from __future__ import annotations

import time

from jupyter_api_kit.local.core.auth import Principal

COLUMNS = ("input_tokens", "output_tokens", "input_cached_tokens", "input_audio_tokens", "output_audio_tokens",
           "num_model_requests", "quantity", "batch")


def record(store, kind: str, *, model: str | None = None, principal: Principal | None = None,
           ts: int | None = None, **amounts) -> None:
    """Add one usage record. `kind` is a usage endpoint's name (`completions`, `embeddings`, ...)."""
    unknown = set(amounts) - set(COLUMNS)
    if unknown:
        raise TypeError(f"unknown usage fields: {sorted(unknown)}")
    p = principal or Principal()
    values = {c: amounts.get(c, 1 if c == "num_model_requests" else 0) for c in COLUMNS}
    store.execute(
        f"INSERT INTO usage_records (ts, kind, model, project_id, user_id, api_key_id, service_account_id, "
        f"{', '.join(COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?, {', '.join('?' * len(COLUMNS))})",
        (int(ts if ts is not None else time.time()), kind, model, p.project_id, p.user_id, p.api_key_id,
         p.service_account_id, *values.values()))
