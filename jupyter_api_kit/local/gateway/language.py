"""An upstream model dressed as a local language model, so every feature that samples through
`resolve_language_model` (responses, assistants runs, eval runs) samples from the upstream engine.

`generate` streams a chat completion from the upstream and yields its tokens as they arrive, with
their logprobs when the engine gives them (`logprob` is None when it does not); afterwards `text`,
`finish_reason` and the upstream's token counts are set, as on a local generation.

Example:
    >>> upstream_messages([{"role": "developer", "content": "Be brief."}, {"role": "tool", "content": "Mars: red"},
    ...                    {"role": "user", "content": "Mars?"}])[1]
    {'role': 'system', 'content': 'Mars: red'}
    >>> tokens_of({"content": "Hi there"}, {"content": [{"token": "Hi", "logprob": -0.1, "top_logprobs": []},
    ...                                                   {"token": " there", "logprob": -0.5, "top_logprobs": []}]})
    [UpstreamToken(text='Hi', logprob=-0.1, bytes=[72, 105], top=[]), UpstreamToken(text=' there', logprob=-0.5, bytes=[32, 116, 104, 101, 114, 101], top=[])]
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jupyter_api_kit.local.gateway.usage import count_tokens

#: local roles the upstream's chat templates may not know, and what they become there
ROLE_FOR_UPSTREAM = {"developer": "system", "tool": "system"}


@dataclass
class UpstreamToken:
    """One streamed piece of the answer, shaped like a local model's token."""

    text: str
    logprob: float | None = None
    bytes: list = field(default_factory=list)
    top: list = field(default_factory=list)


def upstream_messages(context) -> list[dict]:
    """The conversation as the upstream's chat endpoint takes it: role and text only, the local
    server's `developer` instructions and `tool` results (file search) as system messages."""
    if isinstance(context, str):
        return [{"role": "user", "content": context}]
    return [{"role": ROLE_FOR_UPSTREAM.get(m["role"], m["role"]), "content": m.get("content") or ""}
            for m in context]


def tokens_of(delta: dict, logprobs) -> list[UpstreamToken]:
    """The tokens of one streamed delta: one per logprob entry when the engine sent them, else the
    delta's text as one piece without a logprob."""
    entries = (logprobs or {}).get("content") if isinstance(logprobs, dict) else None
    if entries:
        return [UpstreamToken(e.get("token", ""), e.get("logprob"), list(e.get("bytes") or e.get("token", "").encode()),
                              [(t.get("token", ""), t.get("logprob"), list(t.get("bytes") or t.get("token", "").encode()))
                               for t in e.get("top_logprobs") or []]) for e in entries]
    text = delta.get("content")
    return [UpstreamToken(text, None, list(text.encode()))] if text else []


class UpstreamGeneration:
    """A lazy stream of the upstream's tokens for one answer (see the module's docstring)."""

    def __init__(self, model: "UpstreamModel", context, *, max_tokens=None, temperature=1.0, top_p=1.0, seed=None,
                 stop=None, top_logprobs=0):
        body = {"model": model.upstream_id, "messages": upstream_messages(context), "stream": True,
                "stream_options": {"include_usage": True}, "temperature": temperature, "top_p": top_p}
        if max_tokens is not None:
            body["max_tokens"] = max_tokens
        if seed is not None:
            body["seed"] = seed
        if stop:
            body["stop"] = stop
        if top_logprobs:
            body.update(logprobs=True, top_logprobs=top_logprobs)
        self._body, self._upstream = body, model.upstream
        self.text, self.finish_reason, self.tokens = "", "stop", []
        self.prompt_tokens = count_tokens([m["content"] for m in body["messages"]])
        self.completion_tokens = 0

    def __iter__(self):
        counted = False
        for chunk in self._upstream.stream("/chat/completions", self._body):
            usage = chunk.get("usage")
            if usage and isinstance(usage.get("completion_tokens"), int):
                self.prompt_tokens = usage.get("prompt_tokens") or self.prompt_tokens
                self.completion_tokens, counted = usage["completion_tokens"], True
            for choice in chunk.get("choices") or []:
                if choice.get("index", 0) != 0:
                    continue
                for token in tokens_of(choice.get("delta") or {}, choice.get("logprobs")):
                    self.text += token.text
                    self.tokens.append(token)
                    if not counted:
                        self.completion_tokens = len(self.tokens)
                    yield token
                if choice.get("finish_reason"):
                    self.finish_reason = "length" if choice["finish_reason"] == "length" else "stop"


class UpstreamModel:
    """The upstream's model `id` (sent upstream as `upstream_id`), with the local model's interface:
    `generate(context, ...)` and `count_tokens(text)` (the local tokenizer's estimate)."""

    def __init__(self, model_id: str, upstream_id: str, upstream):
        self.id, self.upstream_id, self.upstream = model_id, upstream_id, upstream

    def __repr__(self) -> str:
        return f"UpstreamModel({self.id!r})"

    @staticmethod
    def count_tokens(text: str) -> int:
        return count_tokens(text)

    def generate(self, context, **options) -> UpstreamGeneration:
        return UpstreamGeneration(self, context, **options)
