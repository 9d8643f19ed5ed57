"""Gateway mode: the local server in front of a real OpenAI-compatible engine (vLLM, llama.cpp's
server, Ollama, the OpenAI API), which makes the answers while the local server keeps what such
engines lack: stored completions and their metadata, usage and costs, threads, evals, vector stores.

`upstream.py` is the engine's HTTP client, `service.py` the `Gateway` (which models go upstream,
renaming, the model listing), `chat.py` chat completions, `inference.py` legacy completions and
embeddings, `language.py` the upstream model as the other features sample from it, `usage.py` token
counts when the engine reports none. `create_app(..., upstream=Gateway(...))` wires it in.

Example:
    >>> gateway = open_gateway("http://127.0.0.1:9/v1", model_map="fast=llama3.2:1b")
    >>> gateway.serves("fast"), gateway.serves("local-ngram")
    (True, False)
    >>> gateway.close()
"""

from __future__ import annotations

from jupyter_api_kit.local.gateway.service import Gateway, is_local_model, parse_model_map
from jupyter_api_kit.local.gateway.upstream import Upstream, UpstreamError


def open_gateway(url: str, key_env: str | None = None, model_map: str | None = None,
                 embedding_model: str | None = None, *, read_timeout: float = 120.0) -> Gateway:
    """A `Gateway` to the engine at `url` (its `/v1` base URL), with the key from the environment
    variable `key_env` and the `a=b,...` renames of `model_map` (a ValueError names a bad pair)."""
    return Gateway(Upstream(url, key_env, read_timeout=read_timeout), parse_model_map(model_map), embedding_model)


__all__ = ["Gateway", "Upstream", "UpstreamError", "is_local_model", "open_gateway", "parse_model_map"]
