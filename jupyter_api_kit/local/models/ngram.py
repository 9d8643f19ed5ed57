"""Interpolated Kneser–Ney n-gram models over integer token ids, with dense next-token distributions.

Sequences are lists of ids in `range(vocab_size)`; each is padded on the left with `BOS` so the first
tokens of a sequence are predicted from a "start of answer" context (or given as a (prefix, ids) pair,
where the prefix ids only serve as context). The highest order uses raw
counts, lower orders use continuation counts (in how many distinct contexts a word follows), and the
unigram level is interpolated with a uniform distribution, so every id gets probability > 0 and the
distribution sums to 1 by construction.

`scale` multiplies every count before discounting: a scale above 1 makes the model trust its counts
more (it backs off less), which is how fine-tuning epochs sharpen an adapter without new data.

Example:
    >>> m = NGramModel([[0, 1, 2], [0, 1, 3]], vocab_size=4, order=3)
    >>> p = m.distribution([0, 1])
    >>> round(float(p.sum()), 12), int(p.argmax()) in (2, 3)
    (1.0, True)
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

import numpy as np

BOS = -1       # left padding: "start of a sequence"; never predicted
UNKNOWN = -2   # a history id the model has never seen; such contexts back off naturally
UNIFORM_SHARE = 1e-3
# Counts-of-counts of a small corpus call for discounts near 1, the best guess for unseen text but
# one that makes sampled text hop between phrases every word. A lower cap keeps phrases together.
MAX_DISCOUNT = 0.2


class NGramModel:
    """An interpolated Kneser–Ney model of a given order (1 = unigram).

    Example:
        >>> m = NGramModel([[1, 2, 1, 2]], vocab_size=3, order=2)
        >>> float(m.distribution([1])[2]) > 0.5
        True
    """

    def __init__(self, sequences: Iterable[Sequence[int]], vocab_size: int, order: int = 3,
                 scale: float = 1.0, max_discount: float = MAX_DISCOUNT):
        if order < 1:
            raise ValueError("order must be >= 1")
        self.order = order
        self.vocab_size = vocab_size
        self.scale = float(scale)
        self.max_discount = max_discount
        self.counts = self._count(sequences, order)
        self._build()

    @classmethod
    def from_counts(cls, counts: list[Counter], vocab_size: int, scale: float = 1.0,
                    max_discount: float = MAX_DISCOUNT) -> NGramModel:
        """A model sharing already-made counts (see `counts`), for example with another `scale`.

        Example:
            >>> m = NGramModel([[0, 1]], vocab_size=2, order=2)
            >>> NGramModel.from_counts(m.counts, 2, scale=3.0).scale
            3.0
        """
        self = cls.__new__(cls)
        self.order = len(counts)
        self.vocab_size = vocab_size
        self.scale = float(scale)
        self.max_discount = max_discount
        self.counts = counts
        self._build()
        return self

    @staticmethod
    def _count(sequences: Iterable, order: int) -> list[Counter]:
        top: Counter = Counter()
        for seq in sequences:
            # A (prefix, ids) pair counts ids only, in the context of the prefix (say, a prompt).
            prefix, seq = seq if isinstance(seq, tuple) else ((), seq)
            ctx = ([BOS] * (order - 1) + list(prefix))[len(prefix):] if order > 1 else []
            padded = ctx + list(seq)
            for i in range(len(ctx), len(padded)):
                top[tuple(padded[i - order + 1:i + 1])] += 1
        levels = [top]
        # Kneser–Ney: a lower order counts distinct left extensions, not occurrences, so a word that
        # only ever follows one phrase ("Francisco") gets little mass in novel contexts.
        for _ in range(order - 1):
            cont: Counter = Counter()
            for gram in levels[-1]:
                cont[gram[1:]] += 1
            levels.append(cont)
        levels.reverse()  # levels[k] holds (k+1)-grams
        return levels

    def _build(self) -> None:
        v = self.vocab_size
        s = self.scale
        self._rows: list[dict[tuple, tuple[int, int, float]]] = []
        self._values: list[dict[tuple, float]] = []  # discounted value of each n-gram, for `prob`
        self._next: list[np.ndarray] = []
        self._vals: list[np.ndarray] = []
        self.discounts: list[float] = []
        for k, level in enumerate(self.counts):
            d = _discount(level.values(), self.max_discount)
            self.discounts.append(d)
            groups: dict[tuple, list[tuple[int, int]]] = defaultdict(list)
            for gram, c in level.items():
                groups[gram[:-1]].append((gram[-1], c))
            rows: dict[tuple, tuple[int, int, float]] = {}
            values: dict[tuple, float] = {}
            nxt: list[int] = []
            vals: list[float] = []
            for ctx, items in groups.items():
                total = s * sum(c for _, c in items)
                start = len(nxt)
                mass = 0.0
                for w, c in items:
                    val = max(s * c - d, 0.0) / total
                    values[ctx + (w,)] = val
                    nxt.append(w)
                    vals.append(val)
                    mass += val
                # The leftover mass goes to the lower order; computing it as 1 - mass (rather than
                # d * types / total) keeps the sum exact even when scaled counts fall below d.
                rows[ctx] = (start, len(nxt), max(1.0 - mass, 0.0))
            self._rows.append(rows)
            self._values.append(values)
            self._next.append(np.asarray(nxt, dtype=np.int64))
            self._vals.append(np.asarray(vals, dtype=np.float64))
        # The unigram level is the plain continuation-count estimate with a sliver of uniform mass:
        # the discounted leftover of a small model would otherwise spread a large share of the mass
        # evenly over thousands of tokens it has never seen, which reads as word salad.
        uni = np.full(v, UNIFORM_SHARE / v, dtype=np.float64)
        counts1 = self.counts[0]
        total = sum(counts1.values())
        if total:
            ids = np.fromiter((g[0] for g in counts1), dtype=np.int64, count=len(counts1))
            cnt = np.fromiter(counts1.values(), dtype=np.float64, count=len(counts1))
            np.add.at(uni, ids, (1.0 - UNIFORM_SHARE) * cnt / total)
        else:
            uni[:] = 1.0 / v
        self.unigram = uni

    def distribution(self, history: Sequence[int], size: int | None = None,
                     backoff: np.ndarray | None = None) -> np.ndarray:
        """P(next id | history) for every id, as a float64 array of length `size` (>= vocab_size).

        Ids at or beyond `vocab_size` get probability 0; the array sums to 1. With `backoff` (a
        distribution of length `size`, typically another model's P(next | history)) this model's own
        unigram level is replaced by it: the model then only *adds* what it knows about contexts it
        has seen, and equals `backoff` everywhere else. That is how a small topic or fine-tuning
        model adapts a general one without smearing its words over unrelated contexts.

        Example:
            >>> m = NGramModel([[0, 1]], vocab_size=2, order=2)
            >>> m.distribution([], size=3).round(3).tolist()
            [0.9, 0.1, 0.0]
        """
        size = self.vocab_size if size is None else size
        hist = list(history[-(self.order - 1):]) if self.order > 1 else []
        hist = [BOS] * (self.order - 1 - len(hist)) + hist
        rows = []
        for k in range(1, self.order):
            row = self._rows[k].get(tuple(hist[len(hist) - k:]))
            if row is None:
                # An unseen context of order k implies unseen longer ones; the caller still gets the
                # best lower-order estimate, which is exactly interpolated KN's behaviour.
                break
            rows.append((k, row))
        # Interpolation, level by level, is p <- gamma_k p + vals_k. Unrolled: the lowest level is
        # scaled by every gamma, and each level's values by the gammas of the levels above it, so
        # the dense vector is scaled once rather than once per level.
        scale = 1.0
        for _, (_, _, gamma) in rows:
            scale *= gamma
        if backoff is not None:
            p = np.multiply(backoff, scale, dtype=np.float64)
        else:
            p = np.zeros(size, dtype=np.float64)
            np.multiply(self.unigram, scale, out=p[:self.vocab_size])
        above = 1.0
        for k, (start, end, gamma) in reversed(rows):
            p[self._next[k][start:end]] += above * self._vals[k][start:end]
            above *= gamma
        return p

    def prob(self, history: Sequence[int], token: int, backoff: float | None = None) -> float:
        """P(token | history), the entry `distribution(history)[token]` without the dense vector
        (with `backoff`: the entry of `distribution(history, backoff=...)`, given its token's value).

        Example:
            >>> m = NGramModel([[0, 1, 2], [0, 1, 3]], vocab_size=4, order=3)
            >>> bool(abs(m.prob([0, 1], 2) - m.distribution([0, 1])[2]) < 1e-12)
            True
        """
        hist = list(history[-(self.order - 1):]) if self.order > 1 else []
        hist = [BOS] * (self.order - 1 - len(hist)) + hist
        if backoff is not None:
            p = backoff
        else:
            p = float(self.unigram[token]) if 0 <= token < self.vocab_size else 0.0
        for k in range(1, self.order):
            ctx = tuple(hist[len(hist) - k:])
            row = self._rows[k].get(ctx)
            if row is None:
                break
            p = row[2] * p + self._values[k].get(ctx + (token,), 0.0)
        return p

    def depth(self, history: Sequence[int]) -> int:
        """How many of the last tokens of `history` the model has seen as a context (0..order-1).

        A mixture may trust a component more where it has seen more of the context: the weight
        then depends only on the history, so the mixture is still a proper distribution.

        Example:
            >>> m = NGramModel([[0, 1, 2]], vocab_size=3, order=3)
            >>> m.depth([0, 1]), m.depth([2, 1]), m.depth([2, 2])
            (2, 1, 0)
        """
        hist = list(history[-(self.order - 1):]) if self.order > 1 else []
        hist = [BOS] * (self.order - 1 - len(hist)) + hist
        k = 0
        while k + 1 < self.order and tuple(hist[len(hist) - k - 1:]) in self._rows[k + 1]:
            k += 1
        return k

    def logprob_sequence(self, seq: Sequence[int], history: Sequence[int] = ()) -> float:
        """Sum of log P(id | preceding ids) over `seq`, starting after `history`.

        Example:
            >>> m = NGramModel([[0, 1]], vocab_size=2, order=2)
            >>> m.logprob_sequence([0, 1]) < 0
            True
        """
        hist = list(history)
        total = 0.0
        for t in seq:
            total += float(np.log(self.distribution(hist)[t]))
            hist.append(t)
        return total


def _discount(values: Iterable[int], cap: float = MAX_DISCOUNT) -> float:
    """The absolute discount D = n1 / (n1 + 2 n2) from counts-of-counts, kept in a sane range."""
    n1 = n2 = 0
    for c in values:
        if c == 1:
            n1 += 1
        elif c == 2:
            n2 += 1
    if n1 + n2 == 0:
        return 0.5
    return min(max(n1 / (n1 + 2 * n2), 0.1), cap)
