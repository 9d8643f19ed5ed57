"""The tokens of one chat request: the model's vocabulary plus the words of the conversation it lacks.

Example:
    >>> t = TokenList(["a", "b"], [" Zorblax"])
    >>> len(t), t[2]
    (3, ' Zorblax')
"""

from __future__ import annotations

from collections.abc import Sequence


class RequestTokens:
    """The vocabulary of one request: the model's, plus the words of the conversation it lacks."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        self.extra: dict[str, int] = {}
        self.fixed = False
        self.tokens = tokenizer.vocabulary  # replaced by a longer list once extras are added

    def ids(self, pieces: list[str]) -> tuple[int, ...]:
        """Ids of pre-tokens; one the model lacks becomes a token of this request (once the
        vocabulary is fixed, it is spelled with the model's own pieces instead)."""
        index, out = self.tokenizer.index, []
        for piece in pieces:
            i = index.get(piece)
            if i is None:
                i = self.extra.get(piece)
            if i is None and self.fixed:
                out.extend(index.get(t, 0) for t in self.tokenizer.split_pretoken(piece))
                continue
            if i is None:
                i = len(self.tokenizer.vocabulary) + len(self.extra)
                self.extra[piece] = i
            out.append(i)
        return tuple(out)

    def finish(self):
        self.fixed = True
        if self.extra:
            self.tokens = TokenList(self.tokenizer.vocabulary, list(self.extra))
        return self.tokens


class TokenList(Sequence):
    """The model's vocabulary followed by a request's own words, without copying the vocabulary.

    Example:
        >>> t = TokenList(["a", "b"], [" Zorblax"])
        >>> len(t), t[2], t[-1], t[:2], t.index(" Zorblax")
        (3, ' Zorblax', ' Zorblax', ['a', 'b'], 2)
    """

    def __init__(self, base: list[str], extra: list[str]):
        self.base, self.extra = base, extra
        self._n = len(base)

    def __len__(self) -> int:
        return self._n + len(self.extra)

    def __getitem__(self, i):
        if type(i) is int and 0 <= i < self._n:
            return self.base[i]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        return self.base[i] if i < len(self.base) else self.extra[i - len(self.base)]

    def __iter__(self):
        yield from self.base
        yield from self.extra

    def __eq__(self, other) -> bool:
        return list(self) == list(other)
