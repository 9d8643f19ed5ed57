"""Provenance: what every `%%chat` output says about where it came from, kept in the output's display
metadata (under `jupyter_api_kit`), so it is saved with the notebook and read back when it is reopened.

It records the model asked for and the model that answered, the resolved parameters, the seed, the
`system_fingerprint`, the completion and request ids, the usage and its cost, the server (local,
OpenAI or another base URL, never a key), when and how fast it answered, the cell, and whether the
answer was replayed.

Example:
    >>> p = provenance(api="chat.completions", body={"model": "local-ngram", "seed": 1, "temperature": 0.2,
    ...     "messages": [{"role": "user", "content": "Hi"}]}, result={"id": "chatcmpl-1", "model": "local-ngram",
    ...     "system_fingerprint": "fp_1", "usage": {"prompt_tokens": 3, "completion_tokens": 5}},
    ...     request_id="req_1", server=("local", "http://127.0.0.1:8765/v1"), latency_s=0.1234, cost_usd=1e-05)
    >>> p["model_requested"], p["parameters"], p["seed"], p["server"]["kind"], p["latency_s"]
    ('local-ngram', {'temperature': 0.2}, 1, 'local', 0.123)
    >>> shown = outputs_with(p, cell=3, replayed=True)["jupyter_api_kit"]
    >>> shown["cell"], shown["replayed"], shown["id"]
    (3, True, 'chatcmpl-1')
"""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import urlsplit

from jupyter_api_kit import __version__

METADATA_KEY = "jupyter_api_kit"
#: body fields that are the conversation, not parameters
CONTENT_FIELDS = ("messages", "input", "instructions", "prompt", "model", "seed", "metadata")


def server_of(client) -> tuple[str, str]:
    """(kind, URL fit to show) of the server a client talks to: kind `local` (the embedded local server),
    `openai` (api.openai.com) or `other`; credentials written into the URL are hidden.

    Example:
        >>> class Seen:
        ...     uses_local_server, base_url = False, "https://me:secret@llm.example.org/v1"
        >>> server_of(Seen())
        ('other', 'https://***@llm.example.org/v1')
    """
    from jupyter_api_kit.magics.common import shown_url

    host = urlsplit(client.base_url).hostname or ""
    kind = "local" if client.uses_local_server else "openai" if host == "api.openai.com" else "other"
    return kind, shown_url(client.base_url)


def provenance(*, api: str, body: dict, result, request_id: str | None, server: tuple[str, str],
               latency_s: float | None, cost_usd: float | None, at: dt.datetime | None = None) -> dict:
    """The provenance of one answer (as recorded: without the cell and the replayed flag, which
    `outputs_with` adds each time the answer is shown)."""
    created = result.get("created") or result.get("created_at")
    at = at or dt.datetime.now(dt.timezone.utc)
    record = {
        "api": api, "model_requested": body.get("model"), "model": result.get("model"),
        "parameters": {k: v for k, v in body.items() if k not in CONTENT_FIELDS},
        "seed": body.get("seed"), "metadata": body.get("metadata"),
        "system_fingerprint": result.get("system_fingerprint"), "id": result.get("id"), "request_id": request_id,
        "usage": result.get("usage"), "cost_usd": cost_usd, "server": {"kind": server[0], "base_url": server[1]},
        "created": created, "time": at.isoformat(timespec="seconds"),
        "latency_s": None if latency_s is None else round(latency_s, 3), "toolkit": f"jupyter_api_kit {__version__}",
    }
    return json.loads(json.dumps(record))  # plain JSON: what the notebook file will hold anyway


def outputs_with(recorded: dict, *, cell: int | None = None, replayed: bool = False) -> dict:
    """The display metadata of an output showing an answer with provenance `recorded`.

    Example:
        >>> outputs_with({"model": "m"}, cell=2)
        {'jupyter_api_kit': {'model': 'm', 'cell': 2, 'replayed': False}}
    """
    return {METADATA_KEY: {**recorded, "cell": cell, "replayed": replayed}}
