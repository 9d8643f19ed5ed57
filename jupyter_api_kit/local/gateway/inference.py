"""Legacy completions and embeddings made by the upstream engine, recorded as usage like the local
models' (`completions` and `embeddings` kinds). The answer carries the local server's id and the
model as the client named it; a streamed legacy completion is passed on chunk by chunk.

Example:
    >>> usage_of({"usage": {"prompt_tokens": 3, "completion_tokens": 5}}, "Once", {"choices": []})
    (3, 5)
"""

from __future__ import annotations

import json

import numpy as np
from fastapi.responses import StreamingResponse

from jupyter_api_kit.local.core.errors import BadRequest
from jupyter_api_kit.local.core.ids import new_id
from jupyter_api_kit.local.core.usage_log import record
from jupyter_api_kit.local.gateway.chat import SSE_HEADERS, conform
from jupyter_api_kit.local.gateway.upstream import UpstreamError
from jupyter_api_kit.local.gateway.usage import count_tokens


def usage_of(answer: dict, prompt, text_source: dict) -> tuple[int, int]:
    """(input, output) tokens of an answer: the upstream's usage, else counted locally."""
    usage = answer.get("usage") or {}
    if isinstance(usage.get("prompt_tokens"), int):
        return usage["prompt_tokens"], usage.get("completion_tokens") or 0
    return count_tokens(prompt), sum(count_tokens(c.get("text")) for c in text_source.get("choices") or [])


def completion(app, gateway, body: dict, principal):
    """`POST /completions` (legacy) for a model the upstream serves."""
    stream = bool(body.get("stream"))  # the body is a checked `CompletionBody`
    if body.get("prompt") is None:
        raise BadRequest("Missing required parameter: 'prompt'.", param="prompt")
    requested = body["model"]
    outgoing = {**body, "model": gateway.upstream_name(requested)}
    answer_id = new_id("cmpl-")
    if not stream:
        answer = gateway.upstream.post("/completions", outgoing)
        answer = conform(answer)
        answer.update(id=answer_id, model=gateway.public_name(requested, answer.get("model")))
        tokens_in, tokens_out = usage_of(answer, body["prompt"], answer)
        record(app.state.store, "completions", model=answer["model"], principal=principal,
               input_tokens=tokens_in, output_tokens=tokens_out)
        return answer

    wants_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    outgoing["stream_options"] = {**(body.get("stream_options") or {}), "include_usage": True}
    chunks = gateway.upstream.stream("/completions", outgoing)
    first = next(chunks, None)  # an upstream refusal is this response's status
    if first is None:
        raise UpstreamError(502, "The upstream engine ended its stream without sending anything.",
                            code="upstream_error")

    def events():
        texts, usage, model, chunk = [], {}, requested, first
        try:
            while chunk is not None:
                model = gateway.public_name(requested, chunk.get("model"))
                usage = chunk.get("usage") or usage
                texts += [{"text": c.get("text")} for c in chunk.get("choices") or []]
                out = conform({**chunk, "id": answer_id, "model": model})
                has_text = any(c.get("text") or c.get("finish_reason") for c in out.get("choices") or [])
                if not wants_usage:
                    out.pop("usage", None)
                if has_text or wants_usage or not chunk.get("usage"):
                    yield f"data: {json.dumps(out)}\n\n"
                chunk = next(chunks, None)
        except UpstreamError as exc:
            yield f"data: {json.dumps(exc.body())}\n\n"
            return
        tokens_in, tokens_out = usage_of({"usage": usage}, body["prompt"], {"choices": texts})
        record(app.state.store, "completions", model=model, principal=principal, input_tokens=tokens_in,
               output_tokens=tokens_out)
        yield "data: [DONE]\n\n"

    return StreamingResponse(events(), media_type="text/event-stream", headers=SSE_HEADERS)


class UpstreamEmbedder:
    """An upstream embedding model with the local one's interface (`id`, `embed`, `count_tokens`), for
    vector stores: texts go upstream `batch` at a time, and the vectors come back in input order.

    Example:
        >>> UpstreamEmbedder("nomic-embed-text", "nomic-embed-text", upstream=None).embed([]).shape
        (0, 0)
    """

    def __init__(self, model_id: str, upstream_id: str, upstream, batch: int = 64):
        self.id, self.upstream_id, self.upstream, self.batch = model_id, upstream_id, upstream, batch

    @staticmethod
    def count_tokens(text: str) -> int:
        return count_tokens(text)

    def embed(self, texts, dimensions=None) -> np.ndarray:
        """An (n, d) float32 array, one row per text (`dimensions` is the engine's own: not sent)."""
        texts = [texts] if isinstance(texts, str) else list(texts)
        rows: list = []
        for start in range(0, len(texts), self.batch):
            part = texts[start:start + self.batch]
            data = self.upstream.post("/embeddings", {"model": self.upstream_id, "input": part}).get("data") or []
            vectors = [d.get("embedding") for d in sorted(data, key=lambda d: d.get("index", 0))]
            if len(vectors) != len(part) or not all(isinstance(v, list) and v for v in vectors):
                raise UpstreamError(502, f"The upstream engine answered {len(vectors)} embeddings for {len(part)} "
                                         f"inputs of model '{self.upstream_id}'.", code="upstream_error")
            rows += vectors
        if not rows:
            return np.zeros((0, 0), dtype=np.float32)
        return np.asarray(rows, dtype=np.float32)


def embeddings(app, gateway, body: dict, principal) -> dict:
    """`POST /embeddings` for a model the upstream serves."""
    if body.get("input") is None:
        raise BadRequest("Missing required parameter: 'input'.", param="input")
    requested = body["model"]
    answer = gateway.upstream.post("/embeddings", {**body, "model": gateway.upstream_name(requested)})
    answer["model"] = gateway.public_name(requested, answer.get("model"))
    usage = answer.get("usage") or {}
    tokens = usage.get("prompt_tokens") if isinstance(usage.get("prompt_tokens"), int) else count_tokens(body["input"])
    record(app.state.store, "embeddings", model=answer["model"], principal=principal, input_tokens=tokens)
    return answer
