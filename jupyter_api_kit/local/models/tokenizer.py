"""A deterministic, GPT-like tokenizer for the local language model.

Text is first cut into pre-tokens the way GPT tokenizers do it: a word keeps its leading space
(" the"), each punctuation mark is its own token, numbers come in groups of up to three digits and
every newline is a token. A pre-token that is in the vocabulary is one token; any other pre-token is
cut greedily into the longest vocabulary pieces, and a character that no piece covers becomes a token
of its own. Tokens are plain strings that are slices of the input, so `"".join(encode(text)) == text`
for any unicode string.

Example:
    >>> tok = Tokenizer([" the", " cat", "The", ".", "\\n"])
    >>> tok.encode("The cat.\\n")
    ['The', ' cat', '.', '\\n']
    >>> "".join(tok.encode("naïve 🐍 猫")) == "naïve 🐍 猫"
    True
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from collections.abc import Iterable

# Order matters: contractions before words so "don't" -> "don", "'t" like GPT tokenizers; a run of
# spaces leaves its last space to the word that follows it. Every character matches some branch
# (whitespace, letters, digits, underscore, anything else), which is what makes decoding exact.
PRETOKEN_PATTERN = re.compile(
    r"'(?:s|t|re|ve|m|ll|d)(?![^\W\d_])"
    r"| ?[^\W\d_]+"
    r"| ?\d{1,3}"
    r"| ?(?:[^\s\w]|_)"
    r"|[^\S\n]+(?!\S)"
    r"|[^\S\n]+"
    r"|\n"
)

END_OF_TEXT = "<|endoftext|>"

_MEMO_LIMIT = 50_000


def pretokenize(text: str) -> list[str]:
    """Cut text into GPT-like pre-tokens (before any vocabulary lookup).

    Example:
        >>> pretokenize("Hello, world!\\nIt's 2024.")
        ['Hello', ',', ' world', '!', '\\n', 'It', "'s", ' 202', '4', '.']
    """
    pieces = PRETOKEN_PATTERN.findall(text)
    # Defensive: the pattern covers every character, but a silent loss here would corrupt prompts.
    if sum(map(len, pieces)) != len(text):  # pragma: no cover - guarded by tests
        raise AssertionError("pre-tokenizer lost characters")
    return pieces


def token_bytes(token: str) -> list[int]:
    """UTF-8 bytes of a token, as the API reports them (a fresh list: callers may keep it).

    Example:
        >>> token_bytes(" é")
        [32, 195, 169]
    """
    return list(_encoded(token))


@lru_cache(maxsize=65_536)
def _encoded(token: str) -> bytes:
    return token.encode("utf-8")


class Tokenizer:
    """Maps text to token strings over a fixed vocabulary (a list of strings).

    Example:
        >>> Tokenizer([" hello", "!"]).encode(" hello!!")
        [' hello', '!', '!']
    """

    def __init__(self, vocabulary: Iterable[str]):
        self.vocabulary: list[str] = list(vocabulary)
        self.index: dict[str, int] = {}
        for i, token in enumerate(self.vocabulary):
            self.index.setdefault(token, i)
        self._max_piece = max((len(t) for t in self.index), default=1)
        # Unknown pre-tokens are split by a quadratic search; remember the answers across calls.
        self._memo: dict[str, tuple[str, ...]] = {}
        self._memo_lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.vocabulary)

    def split_pretoken(self, piece: str) -> tuple[str, ...]:
        """Cut one unknown pre-token into the longest known pieces, falling back to characters.

        Example:
            >>> Tokenizer([" sun", "flower", " "]).split_pretoken(" sunflowers")
            (' sun', 'flower', 's')
        """
        if piece in self.index:
            return (piece,)
        cached = self._memo.get(piece)
        if cached is not None:
            return cached
        out: list[str] = []
        i, n = 0, len(piece)
        while i < n:
            for j in range(min(n, i + self._max_piece), i, -1):
                if piece[i:j] in self.index:
                    out.append(piece[i:j])
                    i = j
                    break
            else:
                out.append(piece[i])
                i += 1
        result = tuple(out)
        with self._memo_lock:
            if len(self._memo) >= _MEMO_LIMIT:
                self._memo.clear()
            self._memo[piece] = result
        return result

    def encode(self, text: str) -> list[str]:
        """Token strings of `text`; joining them gives `text` back.

        Example:
            >>> Tokenizer([" a", " b"]).encode(" a b c")
            [' a', ' b', ' ', 'c']
        """
        index = self.index
        tokens: list[str] = []
        for piece in pretokenize(text):
            if piece in index:
                tokens.append(piece)
            else:
                tokens.extend(self.split_pretoken(piece))
        return tokens

    def ids(self, tokens: Iterable[str], unknown: int = -2) -> list[int]:
        """Vocabulary ids of token strings; `unknown` for a token outside the vocabulary.

        Example:
            >>> Tokenizer(["x", "y"]).ids(["y", "z"])
            [1, -2]
        """
        get = self.index.get
        return [get(t, unknown) for t in tokens]

    @staticmethod
    def decode(tokens: Iterable[str]) -> str:
        """The text of a token sequence.

        Example:
            >>> Tokenizer.decode(["Hi", "!"])
            'Hi!'
        """
        return "".join(tokens)
