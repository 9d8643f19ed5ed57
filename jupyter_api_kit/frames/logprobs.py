"""Token log probabilities as DataFrames, built in one pass for large responses.

A response with 100k tokens and 20 alternatives each holds two million small
dicts. Going through ``pd.json_normalize`` or building a row dict per
alternative costs seconds; here the fields are pulled out with C-level
``map(itemgetter)`` into flat lists, everything derived (rank, entropy, the
chosen flag) is computed with numpy over those flat arrays, and each frame is
created once from whole columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import chain
from operator import itemgetter
from typing import Any

import numpy as np
import pandas as pd

from jupyter_api_kit.frames.lists import _as_mapping, _items, _text

__all__ = ["logprobs", "top_logprobs"]


def _pluck(records: list, key: str) -> list:
    """``[r[key] for r in records]`` at C speed; a missing key reads as None."""
    try:
        return list(map(itemgetter(key), records))
    except KeyError:  # some servers omit optional fields such as `bytes`
        return [r.get(key) for r in records]


class _Flat:
    """Flat columns for every generated token and every reported alternative.

    Alternatives are stored token after token, so ``counts`` (alternatives per
    token) is all it takes to map each alternative back to its token.
    """

    def __init__(self, alt_bytes: bool) -> None:
        self.want_alt_bytes = alt_bytes  # only top_logprobs() shows them: skip otherwise
        self.choice, self.position, self.part = [], [], []
        self.token, self.logprob, self.bytes, self.text_offset = [], [], [], []
        self.counts: list[int] = []
        self.alt_token, self.alt_logprob, self.alt_bytes = [], [], []
        self.legacy = False
        self._next: dict[tuple, int] = {}  # (choice, part) -> next position (streams)

    def _positions(self, choice: int, part: str, n: int) -> None:
        start = self._next.get((choice, part), 0)
        self._next[choice, part] = start + n
        self.choice.append(np.full(n, choice, dtype=np.int64))
        self.position.append(np.arange(start, start + n, dtype=np.int64))
        self.part += [part] * n

    def add_chat(self, choice: int, part: str, entries: list) -> None:
        """``logprobs.content`` / ``.refusal``: a list of ChatCompletionTokenLogprob."""
        self._positions(choice, part, len(entries))
        self.token += _pluck(entries, "token")
        self.logprob += _pluck(entries, "logprob")
        self.bytes += _pluck(entries, "bytes")
        self.text_offset += [None] * len(entries)
        tops = [entry.get("top_logprobs") or () for entry in entries]
        self.counts += map(len, tops)
        alternatives = list(chain.from_iterable(tops))
        self.alt_token += _pluck(alternatives, "token")
        self.alt_logprob += _pluck(alternatives, "logprob")
        if self.want_alt_bytes:
            self.alt_bytes += _pluck(alternatives, "bytes")

    def add_legacy(self, choice: int, lp: Mapping) -> None:
        """Legacy completions: parallel lists, alternatives as ``{token: logprob}`` maps."""
        self.legacy = True
        tokens = list(lp.get("tokens") or ())
        n = len(tokens)
        self._positions(choice, "content", n)
        self.token += tokens
        self.logprob += lp.get("token_logprobs") or [None] * n  # None: first echoed token
        self.bytes += [None] * n
        self.text_offset += lp.get("text_offset") or [None] * n
        tops = [top or {} for top in (lp.get("top_logprobs") or [None] * n)]
        self.counts += map(len, tops)
        self.alt_token += chain.from_iterable(top.keys() for top in tops)
        self.alt_logprob += chain.from_iterable(top.values() for top in tops)
        if self.want_alt_bytes:
            self.alt_bytes += [None] * sum(map(len, tops))


def _response_entries(response: Mapping) -> list:
    """The logprobs of a Responses-API response's output text, in order, all parts of all messages."""
    return [entry for item in map(_as_mapping, response.get("output") or ()) if item.get("type") == "message"
            for part in map(_as_mapping, item.get("content") or ()) for entry in part.get("logprobs") or ()]


def _collect(resp: Any, refusal: bool, alt_bytes: bool) -> _Flat:
    """Read one response (chat, legacy or Responses API), or the chunks of one stream, into a :class:`_Flat`."""
    flat = _Flat(alt_bytes)
    for response in map(_as_mapping, _items(resp)):
        if "output" in response and "choices" not in response:  # a Responses-API response: one answer
            entries = _response_entries(response)
            if entries:
                flat.add_chat(0, "content", entries)
            continue
        for i, choice in enumerate(map(_as_mapping, response.get("choices") or ())):
            lp = choice.get("logprobs")
            if not lp:  # logprobs not requested, or null for this choice
                continue
            lp, index = _as_mapping(lp), choice.get("index", i)
            if "tokens" in lp or "token_logprobs" in lp:
                flat.add_legacy(index, lp)
                continue
            flat.add_chat(index, "content", lp.get("content") or [])
            if refusal:
                flat.add_chat(index, "refusal", lp.get("refusal") or [])
    return flat


def _objects(values: list | np.ndarray) -> np.ndarray:
    if isinstance(values, np.ndarray):
        return values
    # np.array() would turn equal-length byte lists into a 2-D int array.
    return np.fromiter(values, dtype=object, count=len(values))


class _Ranked:
    """Derived arrays: alternatives sorted by logprob within each token,
    each token's rank among them, the chosen flag, and the entropy."""

    def __init__(self, flat: _Flat) -> None:
        self.counts = np.asarray(flat.counts, dtype=np.int64)
        n_tok, n_alt = len(self.counts), int(self.counts.sum())
        self.owner = np.repeat(np.arange(n_tok), self.counts)  # token row of each alternative
        starts = np.cumsum(self.counts) - self.counts
        self.within = np.arange(n_alt) - starts[self.owner]
        self.alt_logprob = np.asarray(flat.alt_logprob, dtype=np.float64)
        self.alt_token = np.asarray(flat.alt_token, dtype=object)
        self.alt_bytes = flat.alt_bytes  # list, or an object array once sorted
        self._sort_within_tokens()
        self._match_chosen(np.asarray(flat.token, dtype=object), n_tok)
        self.entropy = self._entropy(starts[self.counts > 0], n_tok)

    def _sort_within_tokens(self) -> None:
        # The API lists alternatives most likely first, so rank is the list
        # position; legacy `{token: logprob}` maps carry no order, so sort
        # (stably) only when some token's alternatives are out of order.
        lp, same = self.alt_logprob, self.owner[1:] == self.owner[:-1]
        if not np.any((lp[1:] > lp[:-1]) & same):
            return
        order = np.lexsort((-lp, self.owner))
        self.alt_logprob, self.alt_token = lp[order], self.alt_token[order]
        if self.alt_bytes:  # only collected for top_logprobs()
            self.alt_bytes = _objects(self.alt_bytes)[order]

    def _match_chosen(self, tokens: np.ndarray, n_tok: int) -> None:
        # A token is "among" its alternatives when one has the same text; if
        # several do, the most likely one counts.
        hits = np.flatnonzero(self.alt_token == tokens[self.owner])
        first = np.ones(len(hits), dtype=bool)
        first[1:] = self.owner[hits[1:]] != self.owner[hits[:-1]]
        hits = hits[first]
        self.rank = np.full(n_tok, -1, dtype=np.int64)
        self.rank[self.owner[hits]] = self.within[hits]
        self.chosen = np.zeros(len(self.owner), dtype=bool)
        self.chosen[hits] = True

    def _entropy(self, starts: np.ndarray, n_tok: int) -> np.ndarray:
        """Entropy (nats) of the reported alternatives renormalised to sum to 1."""
        entropy = np.full(n_tok, np.nan)
        if not len(starts):
            return entropy
        lp, owner = self.alt_logprob, self.owner
        has = self.counts > 0
        peak = np.full(n_tok, np.nan)
        peak[has] = np.maximum.reduceat(lp, starts)  # subtract the max: no underflow
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            shifted = lp - peak[owner]
            weight = np.exp(shifted)
            total = np.full(n_tok, np.nan)
            total[has] = np.add.reduceat(weight, starts)
            p = weight / total[owner]
            terms = np.where(p > 0, p * (shifted - np.log(total[owner])), 0.0)
            entropy[has] = 0.0 - np.add.reduceat(terms, starts)
        entropy[has & ~np.isfinite(peak)] = np.nan  # every alternative at -inf / NaN
        return entropy


def _nullable_int(values: np.ndarray) -> pd.arrays.IntegerArray:
    return pd.arrays.IntegerArray(np.maximum(values, 0), values < 0)


def logprobs(resp: Any, *, refusal: bool = False) -> pd.DataFrame:
    """One row per generated token with its probability and how it was chosen.

    Columns: ``choice, position`` (0-based within the choice), ``token,
    logprob, prob`` (``exp(logprob)``), ``bytes`` (list of ints or None),
    ``rank`` (0-based rank of the token among its ``top_logprobs``
    alternatives, ``<NA>`` if it is not among them or none were reported),
    ``entropy`` (nats, over the reported alternatives renormalised; NaN
    without alternatives) and ``alternatives`` (how many were reported).
    Legacy completions (``tokens``/``token_logprobs``/``top_logprobs`` maps)
    add ``text_offset``. A Responses-API response is read from its output
    text's ``logprobs`` (as choice 0). Choices with ``logprobs: null``
    contribute no rows.
    ``refusal=True`` also reads ``logprobs.refusal`` and adds a ``part``
    column (``"content"`` or ``"refusal"``). A list of stream chunks is read
    as one stream: positions continue from chunk to chunk.

    Example:
        >>> alt = lambda t, lp: {"token": t, "logprob": lp, "bytes": list(t.encode())}
        >>> resp = {"choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi"},
        ...     "logprobs": {"refusal": None, "content": [
        ...         {**alt("Hi", -0.1), "top_logprobs": [alt("Hi", -0.1), alt("Hello", -2.4)]}]}}]}
        >>> df = logprobs(resp)
        >>> df[["position", "token", "rank", "alternatives"]].values.tolist()
        [[0, 'Hi', 0, 2]]
        >>> round(float(df.loc[0, "prob"]), 3), round(float(df.loc[0, "entropy"]), 3)
        (0.905, 0.305)
    """
    flat = _collect(resp, refusal, alt_bytes=False)
    ranked = _Ranked(flat)
    logprob = np.asarray(flat.logprob, dtype=np.float64)  # None (legacy echo) -> NaN
    columns = {
        "choice": _concat(flat.choice), "position": _concat(flat.position),
        "token": _text(flat.token), "logprob": logprob, "prob": np.exp(logprob),
        "bytes": _objects(flat.bytes), "rank": _nullable_int(ranked.rank),
        "entropy": ranked.entropy, "alternatives": ranked.counts,
    }
    if flat.legacy:
        offsets = np.asarray([-1 if o is None else o for o in flat.text_offset], dtype=np.int64)
        columns["text_offset"] = _nullable_int(offsets)
    if refusal:
        columns["part"] = _text(flat.part)
    return pd.DataFrame(columns)


def top_logprobs(resp: Any, *, refusal: bool = False) -> pd.DataFrame:
    """Long form: one row per (choice, position, rank) reported alternative.

    Columns: ``choice, position, rank`` (0-based, most likely first),
    ``token, logprob, prob, bytes`` and ``chosen`` (True on the row whose
    token is the one generated at that position; a position whose token was
    not among its alternatives has no True row). ``refusal=True`` adds
    ``part`` as in :func:`logprobs`. Legacy completions are understood too.

    Example:
        >>> alt = lambda t, lp: {"token": t, "logprob": lp, "bytes": None}
        >>> resp = {"choices": [{"index": 0, "logprobs": {"refusal": None, "content": [
        ...     {**alt("Hi", -0.1), "top_logprobs": [alt("Hi", -0.1), alt("Hello", -2.4)]}]}}]}
        >>> top_logprobs(resp)[["position", "rank", "token", "chosen"]].values.tolist()
        [[0, 0, 'Hi', True], [0, 1, 'Hello', False]]
    """
    flat = _collect(resp, refusal, alt_bytes=True)
    ranked = _Ranked(flat)
    owner = ranked.owner
    columns = {
        "choice": _concat(flat.choice)[owner], "position": _concat(flat.position)[owner],
        "rank": ranked.within, "token": _text(ranked.alt_token),
        "logprob": ranked.alt_logprob, "prob": np.exp(ranked.alt_logprob),
        "bytes": _objects(ranked.alt_bytes),
        "chosen": ranked.chosen,
    }
    if refusal:
        columns["part"] = _text(np.asarray(flat.part, dtype=object)[owner])
    return pd.DataFrame(columns)


def _concat(arrays: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.int64)
