"""Sampling tokens from the local language model, lazily, with stop sequences and logprobs.

`Generation` is an iterator of `Token`s. Every token carries the log-probability the model really
assigned to it (temperature 1, no nucleus cut), and optionally the most probable alternatives at the
same position. Sampling applies temperature and top_p to that distribution; the reported numbers never
change with them, as with the OpenAI API.

Stop sequences: the yielded text never contains one. Tokens that could be the start of a stop
sequence are held back until it is clear whether the sequence completes. When a stop sequence begins
in the middle of a token, that token is yielded truncated to the part before the stop sequence; its
`logprob`, `top` and everything else still describe the full token the model chose.

Example:
    >>> from jupyter_api_kit.local.models.language import get_language_model
    >>> gen = get_language_model("local-ngram").generate("Hello!", max_tokens=5, seed=1)
    >>> tokens = list(gen)
    >>> gen.text == "".join(t.text for t in tokens), gen.finish_reason in ("stop", "length")
    (True, True)
"""

from __future__ import annotations

import math
import random
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import accumulate

import numpy as np

from jupyter_api_kit.local.models.errors import ModelInputError
from jupyter_api_kit.local.models.tokenizer import token_bytes

DEFAULT_MAX_TOKENS = 256
MAX_TOP_LOGPROBS = 20
# Nucleus sampling first looks at this many best tokens and sorts everything only if they do not
# reach top_p: sorting the whole vocabulary at every step would dominate generation time.
_NUCLEUS_WINDOW = 64


@dataclass(slots=True)
class Token:
    """One generated token: its text, log-probability, UTF-8 bytes and the top alternatives."""

    text: str
    logprob: float
    bytes: list[int]
    top: list[tuple[str, float, list[int]]] = field(default_factory=list)


def validate_sampling(max_tokens, temperature, top_p, stop, top_logprobs) -> list[str]:
    """Check sampling parameters against the API's ranges; returns the stop sequences as a list.

    Example:
        >>> validate_sampling(None, 0.7, 1.0, "END", 0)
        ['END']
    """
    if max_tokens is not None and (isinstance(max_tokens, bool) or not isinstance(max_tokens, int)
                                   or max_tokens < 1):
        raise ModelInputError("max_tokens must be a positive integer", param="max_tokens")
    if not isinstance(temperature, (int, float)) or not 0 <= temperature <= 2:
        raise ModelInputError("temperature must be between 0 and 2", param="temperature")
    if not isinstance(top_p, (int, float)) or not 0 < top_p <= 1:
        raise ModelInputError("top_p must be in (0, 1]", param="top_p")
    if not isinstance(top_logprobs, int) or not 0 <= top_logprobs <= MAX_TOP_LOGPROBS:
        raise ModelInputError(f"top_logprobs must be between 0 and {MAX_TOP_LOGPROBS}",
                                param="top_logprobs")
    if stop is None:
        return []
    stops = [stop] if isinstance(stop, str) else list(stop)
    if not all(isinstance(s, str) for s in stops):
        raise ModelInputError("stop must be a string or a list of strings", param="stop")
    return [s for s in stops if s]


def choose(p: np.ndarray, logp: np.ndarray, temperature: float, top_p: float, rng) -> int:
    """Pick a token id from distribution `p` with temperature and nucleus sampling.

    Temperature 0 is greedy (lowest id on ties). Exactly one uniform number is drawn otherwise, so
    a seeded generator gives the same choices for the same distributions.

    Example:
        >>> p = np.array([0.1, 0.6, 0.3])
        >>> choose(p, np.log(p), 0, 1.0, np.random.default_rng(0))
        1
        >>> choose(p, np.log(p), 1.0, 0.5, np.random.default_rng(0))
        1
    """
    if temperature == 0:
        return int(np.argmax(p))
    if temperature == 1:
        q = p
    else:
        q = np.exp((logp - logp.max()) / temperature)
    u = rng.random()
    if top_p < 1:
        ids = _nucleus(q, top_p)
        w = q[ids]
        cdf = np.cumsum(w)
        return int(ids[min(int(np.searchsorted(cdf, u * cdf[-1], side="right")), len(ids) - 1)])
    cdf = np.cumsum(q)
    return int(min(int(np.searchsorted(cdf, u * cdf[-1], side="right")), len(q) - 1))


def _nucleus(q: np.ndarray, top_p: float) -> np.ndarray:
    """Ids of the smallest most-probable set of tokens whose mass reaches top_p of q."""
    total = q.sum()
    target = top_p * total
    n = len(q)
    if n > _NUCLEUS_WINDOW:
        cand = np.argpartition(-q, _NUCLEUS_WINDOW - 1)[:_NUCLEUS_WINDOW]
        cand = cand[np.lexsort((cand, -q[cand]))]
        if q[cand].sum() < target:
            cand = np.lexsort((np.arange(n), -q))
    else:
        cand = np.lexsort((np.arange(n), -q))
    cum = np.cumsum(q[cand])
    # Floating error must not let the cut fall past the set; at least one token always stays.
    keep = int(np.searchsorted(cum, target * (1 - 1e-12), side="left")) + 1
    return cand[:min(keep, len(cand))]


def top_alternatives(p: np.ndarray, k: int, tokens: Sequence[str]) -> list[tuple[str, float, list[int]]]:
    """The k most probable tokens as (text, logprob, bytes), most probable first.

    Example:
        >>> top_alternatives(np.array([0.2, 0.5, 0.3]), 2, ["a", "b", "c"])[0][0]
        'b'
    """
    if k <= 0:
        return []
    k = min(k, len(p))
    ids = np.argpartition(-p, k - 1)[:k] if k < len(p) else np.arange(len(p))
    ids = ids[np.lexsort((ids, -p[ids]))]
    return [(tokens[i], float(np.log(p[i])), token_bytes(tokens[i])) for i in ids]


def sparse_choose(ids: list[int], values: list[float], base: float, size: int, temperature: float,
                  top_p: float, rng) -> int:
    """`choose` for a distribution given sparsely: `base` everywhere, `values` at `ids` (sorted).

    The same rules (greedy at temperature 0 with the lowest id on ties, nucleus over the most
    probable tokens, one uniform number drawn), without touching every token of the vocabulary.

    Example:
        >>> ids, values = [1, 3], [0.5, 0.3]
        >>> sparse_choose(ids, values, 0.1, 5, 0, 1.0, np.random.default_rng(0))
        1
        >>> sorted({sparse_choose(ids, values, 0.1, 5, 1.0, 1.0, np.random.default_rng(s)) for s in range(60)})
        [0, 1, 2, 3, 4]
    """
    top = max(values) if values else base
    if temperature == 0:
        if top > base or len(ids) == size:
            return ids[values.index(top)]
        return _nth_free(ids, 0)
    if temperature == 1:
        q, qb = values, base
    else:
        log_top = math.log(max(top, base))
        q = [math.exp((math.log(v) - log_top) / temperature) for v in values]
        qb = math.exp((math.log(base) - log_top) / temperature)
    free = size - len(ids)
    u = rng.random()
    if top_p < 1:
        order = sorted(range(len(ids)), key=lambda i: (-q[i], ids[i]))
        cum = list(accumulate(q[i] for i in order))
        spikes = cum[-1] if cum else 0.0
        target = top_p * (spikes + free * qb) * (1 - 1e-12)
        keep = bisect_left(cum, target) + 1
        if keep <= len(order):  # the nucleus is among the spikes
            point = u * cum[keep - 1]
            return ids[order[min(bisect_right(cum, point), keep - 1)]]
        extra = min(free, math.ceil((target - spikes) / qb)) if qb > 0 else free
        point = u * (spikes + extra * qb)
        if point < spikes:
            return ids[order[min(bisect_right(cum, point), len(order) - 1)]]
        return _nth_free(ids, min(int((point - spikes) / qb), max(extra - 1, 0)))
    cum = list(accumulate(q))
    spikes = cum[-1] if cum else 0.0
    point = u * (spikes + free * qb)
    if point < spikes:
        return ids[min(bisect_right(cum, point), len(ids) - 1)]
    return _nth_free(ids, min(int((point - spikes) / qb) if qb > 0 else 0, max(free - 1, 0)))


def _nth_free(ids: list[int], n: int) -> int:
    """The n-th token id (from 0) that is not one of the sorted `ids`."""
    x = n
    for i in ids:  # each spike at or below the candidate pushes it one further
        if i <= x:
            x += 1
        else:
            break
    return x


def sparse_top(ids: list[int], values: list[float], base: float, k: int,
               tokens: Sequence[str]) -> list[tuple[str, float, list[int]]]:
    """`top_alternatives` of a sparsely given distribution (see `sparse_choose`).

    Example:
        >>> [t for t, _, _ in sparse_top([2], [0.9], 0.01, 3, ["a", "b", "c", "d"])]
        ['c', 'a', 'b']
    """
    if k <= 0:
        return []
    order = sorted(range(len(ids)), key=lambda i: (-values[i], ids[i]))[:k]
    out = [(ids[i], values[i]) for i in order if values[i] > base]
    taken = sorted(ids)
    n = 0
    while len(out) < min(k, len(tokens)):
        out.append((_nth_free(taken, n), base))
        n += 1
    return [(tokens[i], math.log(v), token_bytes(tokens[i])) for i, v in out]


class Generation:
    """A lazy stream of `Token`s; after exhaustion `finish_reason` is "stop" or "length".

    `decoder` gives the next-token distributions (`tokens`, `probabilities()`, `advance(id)`; see
    `LanguageModel.decoder`). Attributes: finish_reason (None while running), prompt_tokens,
    completion_tokens (tokens yielded so far), text (their concatenation), tokens (the yielded
    Token objects).
    """

    def __init__(self, decoder, prompt_tokens: int, *, eos: int, max_tokens: int | None,
                 temperature: float, top_p: float, seed: int | None, stop: list[str],
                 top_logprobs: int):
        self.decoder = decoder
        self.eos = eos
        self.finish_reason: str | None = None
        self.prompt_tokens: int = prompt_tokens
        self.tokens: list[Token] = []
        self.max_tokens = DEFAULT_MAX_TOKENS if max_tokens is None else max_tokens
        self._temperature = float(temperature)
        self._top_p = float(top_p)
        # Any integer is a valid API seed. One uniform number is drawn per token (see `choose`).
        self._rng = random.Random(None if seed is None else int(seed))
        self._stops = stop
        self._top_logprobs = top_logprobs
        self._iter = self._run()

    @property
    def completion_tokens(self) -> int:
        return len(self.tokens)

    @property
    def text(self) -> str:
        return "".join(t.text for t in self.tokens)

    def __iter__(self) -> Iterator[Token]:
        return self

    def __next__(self) -> Token:
        return next(self._iter)

    def _emit(self, token: Token) -> Token:
        self.tokens.append(token)
        return token

    def _run(self) -> Iterator[Token]:
        decoder = self.decoder
        sparse = getattr(decoder, "sparse", None)  # a decoder that can say its distribution sparsely
        vocab = decoder.tokens
        size = len(vocab)
        eos = self.eos
        pending: list[Token] = []
        pending_text = ""
        produced = 0
        while True:
            if produced >= self.max_tokens:
                for tok in pending:
                    yield self._emit(tok)
                self.finish_reason = "length"
                return
            if sparse is not None:
                ids, values, base = sparse()
                choice = sparse_choose(ids, values, base, size, self._temperature, self._top_p, self._rng)
                where = bisect_left(ids, choice)
                chosen = values[where] if where < len(ids) and ids[where] == choice else base
            else:
                p = decoder.probabilities()
                logp = np.log(p)
                choice = choose(p, logp, self._temperature, self._top_p, self._rng)
                chosen = float(p[choice])
            produced += 1
            if choice == eos:
                for tok in pending:
                    yield self._emit(tok)
                self.finish_reason = "stop"
                return
            decoder.advance(choice)
            text = vocab[choice]
            if sparse is not None:
                top = sparse_top(ids, values, base, self._top_logprobs, vocab)
            else:
                top = top_alternatives(p, self._top_logprobs, vocab)
            tok = Token(text, math.log(chosen), token_bytes(text), top)
            if not self._stops:
                yield self._emit(tok)
                continue
            pending.append(tok)
            pending_text += text
            hit = _first_stop(pending_text, self._stops)
            if hit is not None:
                for t in _cut(pending, hit):
                    yield self._emit(t)
                self.finish_reason = "stop"
                return
            safe = _safe_prefix(pending_text, self._stops)
            done = 0
            used = 0
            for t in pending:
                if used + len(t.text) > safe:
                    break
                used += len(t.text)
                done += 1
            for t in pending[:done]:
                yield self._emit(t)
            pending = pending[done:]
            pending_text = pending_text[used:]


def _first_stop(text: str, stops: list[str]) -> int | None:
    """Start of the earliest complete stop sequence in text, if any."""
    found = [i for i in (text.find(s) for s in stops) if i >= 0]
    return min(found) if found else None


def _safe_prefix(text: str, stops: list[str]) -> int:
    """Length of the prefix of text that no stop sequence could still start in."""
    for i in range(len(text)):
        tail = text[i:]
        if any(s.startswith(tail) for s in stops):
            return i
    return len(text)


def _cut(pending: list[Token], end: int) -> list[Token]:
    """The pending tokens up to text position `end`, the last one truncated if it straddles it."""
    out: list[Token] = []
    pos = 0
    for t in pending:
        if pos >= end:
            break
        if pos + len(t.text) <= end:
            out.append(t)
        else:
            part = t.text[:end - pos]
            out.append(Token(part, t.logprob, token_bytes(part), t.top))
        pos += len(t.text)
    return out
