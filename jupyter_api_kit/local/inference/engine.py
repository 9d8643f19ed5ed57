"""Turning a conversation into model output: the shared engine behind chat completions, runs,
responses and legacy completions.

Example:
    >>> from jupyter_api_kit.local.models.language import get_language_model
    >>> model = get_language_model("local-ngram")
    >>> out = generate(model, [{"role": "user", "content": "Hi"}], seed=1, max_tokens=5)
    >>> out.finish_reason in ("stop", "length"), out.completion_tokens <= 5
    (True, True)
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from jupyter_api_kit.local.core.errors import BadRequest
from jupyter_api_kit.local.models.language import (
    DEFAULT_LANGUAGE_MODEL,
    LANGUAGE_MODELS,
    get_language_model,
)

TEXT_PART_TYPES = ("text", "input_text", "output_text")


def resolve_language_model(app, requested: str | None):
    """The model that answers a request for `requested`: a registered resolver's (fine-tuned
    models), a local model of that id, or the default local model."""
    if requested:
        for resolver in app.state.models.resolvers:
            model = resolver(app, requested)
            if model is not None:
                return model
        if requested in LANGUAGE_MODELS:
            return get_language_model(requested)
    return get_language_model(DEFAULT_LANGUAGE_MODEL)


def content_text(content, param: str = "messages") -> str:
    """The text of a message's content: a string, or a list of text parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for i, part in enumerate(content):
            if not isinstance(part, dict):
                raise BadRequest(f"Invalid type for '{param}[{i}]': expected an object.", param=f"{param}[{i}]")
            if part.get("type") in TEXT_PART_TYPES:
                texts.append(str(part.get("text") or ""))
            elif part.get("type") == "refusal":
                texts.append(str(part.get("refusal") or ""))
            else:
                raise BadRequest(f"Invalid content part type '{part.get('type')}' in '{param}[{i}]': the local "
                                 "models read text only; supported part types are 'text' and 'refusal'.",
                                 param=f"{param}[{i}].type")
        return "\n".join(texts)
    raise BadRequest(f"Invalid type for '{param}': expected a string or an array of content parts.", param=param)


@dataclass
class Generated:
    """One choice's output."""

    text: str
    tokens: list = field(default_factory=list)
    finish_reason: str = "stop"
    prompt_tokens: int = 0
    completion_tokens: int = 0


def generate(model, context, *, seed=None, temperature=1.0, top_p=1.0, max_tokens=None, stop=None,
             top_logprobs=0, on_token=None) -> Generated:
    """Run the model to the end; `on_token(tok)` sees each token as it is produced (streaming)."""
    gen = model.generate(context, max_tokens=max_tokens, temperature=temperature, top_p=top_p, seed=seed,
                         stop=stop, top_logprobs=top_logprobs)
    tokens = []
    for tok in gen:
        tokens.append(tok)
        if on_token is not None:
            on_token(tok)
    return Generated(text=gen.text, tokens=tokens, finish_reason=gen.finish_reason,
                     prompt_tokens=gen.prompt_tokens, completion_tokens=gen.completion_tokens)


def choice_seed(seed, index: int):
    """Choices of one request differ but stay reproducible under a seed."""
    return None if seed is None else seed + index


def logprob_entry(tok) -> dict:
    """A token as the API's `ChatCompletionTokenLogprob`."""
    return {"token": tok.text, "logprob": tok.logprob, "bytes": list(tok.bytes),
            "top_logprobs": [{"token": t, "logprob": lp, "bytes": list(b)} for t, lp, b in tok.top]}


def fingerprint(model) -> str:
    """The `system_fingerprint` of a model: stable for one model id, different between models.

    Example:
        >>> fp = fingerprint(SimpleNamespace(id="local-ngram"))
        >>> fp.startswith("fp_"), len(fp), fp == fingerprint(SimpleNamespace(id="local-ngram"))
        (True, 13, True)
    """
    return "fp_" + hashlib.sha1(model.id.encode()).hexdigest()[:10]


class PromptCache:
    """Remembers conversation prefixes it has seen, so a follow-up turn reports its repeated prefix as
    `cached_tokens`, like the API's prompt caching."""

    def __init__(self, capacity: int = 4096):
        self._seen: OrderedDict[str, int] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    @staticmethod
    def _key(model_id: str, messages: list) -> str:
        return hashlib.sha256(json.dumps([model_id, messages], sort_keys=True).encode()).hexdigest()

    def cached_tokens(self, model, messages: list) -> int:
        """The tokens of the longest earlier-seen prefix of `messages` (the last message excluded,
        as it is the new turn), 0 when none was seen.

        Example:
            >>> model = SimpleNamespace(id="m", count_tokens=lambda text: len(text.split()))
            >>> cache = PromptCache()
            >>> first = [{"role": "user", "content": "Hi there"}, {"role": "assistant", "content": "Hello"}]
            >>> cache.cached_tokens(model, first + [{"role": "user", "content": "More"}])
            0
            >>> cache.remember(model, first)
            >>> cache.cached_tokens(model, first + [{"role": "user", "content": "More"}])
            5
        """
        with self._lock:
            for end in range(len(messages) - 1, 0, -1):
                key = self._key(model.id, messages[:end])
                if key in self._seen:
                    self._seen.move_to_end(key)
                    return self._seen[key]
        return 0

    def remember(self, model, messages: list) -> None:
        """Remember every prefix of a conversation just served, with its token count; the oldest
        entries go once `capacity` is exceeded.

        Example:
            >>> model = SimpleNamespace(id="m", count_tokens=lambda text: len(text.split()))
            >>> cache = PromptCache(capacity=1)
            >>> a, b = {"role": "user", "content": "a"}, {"role": "user", "content": "b"}
            >>> cache.remember(model, [a, b])
            >>> cache.cached_tokens(model, [a, b, b]), cache.cached_tokens(model, [a, b])   # [a] was dropped
            (4, 0)
        """
        with self._lock:
            for end in range(1, len(messages) + 1):
                prefix = messages[:end]
                key = self._key(model.id, prefix)
                if key not in self._seen:
                    text = "\n".join(f"{m.get('role')}: {m.get('content')}" for m in prefix)
                    self._seen[key] = model.count_tokens(text)
            while len(self._seen) > self._capacity:
                self._seen.popitem(last=False)
