"""Other wordings of a sentence an answer copies: phrases of several words, and optional commas.

`Wording` (wording.py) lets one word stand for another ("big" / "large"). Some choices span more
than one word: "does not" / "doesn't", "a lot of" / "lots of", "soak up" / "absorb", or a comma
that may be left out before "and". `paths` lists them for each word of a sentence: with probability
`p` the answer says `words` instead of the `span` words starting there, then goes on with the
sentence. The phrases are in paraphrases.txt, written for this project; the sentence's own wording
keeps most of the mass, so a greedy answer says the sentence as it was given.

Example:
    >>> from jupyter_api_kit.local.models.tokenizer import pretokenize
    >>> pieces = pretokenize("Roots soak up water, and they do not stop.")
    >>> [(pieces[k], alt) for k, alt in enumerate(paths(pieces)) if alt]
    [(' soak', ((0.3, (' absorb',), 2),)), (',', ((0.3, (' and',), 2),)), (' do', ((0.3, (' don', "'t"), 2),))]
    >>> [(k, alt) for k, alt in enumerate(paths(pretokenize("It grows so that it can eat."))) if alt]
    [(3, ((0.3, (' it',), 2),))]
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jupyter_api_kit.local.models.tokenizer import pretokenize
from jupyter_api_kit.local.models.wording import APPROXIMATE, EQUIVALENTS, INTENSIFIERS

PARAPHRASES_PATH = Path(__file__).with_name("paraphrases.txt")
# Share of the mass another wording of a phrase takes, split among its wordings: less than the
# phrase's own, so the sentence as given stays the likeliest.
P_PHRASE = 0.3
# Share of the mass a comma before a joining word is left out with ("..., and" / "... and").
P_COMMA = 0.3
COMMA_JOINS = frozenset((" and", " but", " so", " or", " yet", " while"))
# ... and after a short opening phrase that starts with one of these ("At sunset, the sky ...").
INTRO_WORDS = frozenset("At In On After Before During Today Sometimes Usually Often Later Then Now".split())
INTRO_LENGTH = 4


@lru_cache(maxsize=1)
def load_paraphrases(path: Path = PARAPHRASES_PATH) -> dict[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """phrase (as pre-tokens, each after a space) -> the phrases that may take its place.

    Example:
        >>> load_paraphrases()[(" soak", " up")]
        ((' absorb',),)
    """
    table: dict[tuple[str, ...], tuple[tuple[str, ...], ...]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        source, arrow, targets = line.partition(">")
        if arrow:
            key = tuple(pretokenize(" " + source.strip()))
            table[key] = table.get(key, ()) + tuple(tuple(pretokenize(" " + t.strip())) for t in targets.split("|"))
            continue
        phrases = [tuple(pretokenize(" " + p.strip())) for p in line.split("|")]
        for p in phrases:
            table[p] = table.get(p, ()) + tuple(q for q in phrases if q != p)
    return table


def paths(pieces: list[str]) -> tuple[tuple[tuple[float, tuple[str, ...], int], ...], ...]:
    """For each pre-token of a sentence, the other wordings that may start there:
    (probability, pre-tokens said instead, how many of the sentence's pre-tokens they replace)."""
    table = load_paraphrases()
    longest = max((len(k) for k in table), default=0)
    out: list[list[tuple[float, tuple[str, ...], int]]] = []
    later: list[tuple[int, float, tuple[str, ...], int]] = []
    for k, piece in enumerate(pieces):
        found: list[tuple[float, tuple[str, ...], int]] = []
        if piece == "," and 0 < k < len(pieces) - 1 and (pieces[k + 1] in COMMA_JOINS or _after_intro(pieces, k)):
            found.append((P_COMMA, (pieces[k + 1],), 2))
        if k > 0 and piece.startswith(" "):
            for n in range(min(longest, len(pieces) - k), 0, -1):
                others = table.get(tuple(pieces[k:k + n]))
                if others:
                    later += [(k, P_PHRASE / len(others), other, n) for other in others]
                    break
        out.append(found)
    for k, p, other, n in later:
        # The words a wording shares with the phrase's start are said either way: it branches where
        # they differ ("so that" / "so" leaves out "that", whatever comes after it).
        j = 0
        while j < min(n, len(other)) and other[j] == pieces[k + j]:
            j += 1
        if j == len(other):
            if k + n >= len(pieces):
                continue
            other, n = other + (pieces[k + n],), n + 1
        out[k + j].append((p, other[j:], n - j))
    return tuple(tuple(found) for found in out)


def _after_intro(pieces: list[str], k: int) -> bool:
    """Whether the comma at `k` closes a short opening phrase: "In spring, ..." (not a list)."""
    return k <= INTRO_LENGTH and pieces[0] in INTRO_WORDS and "," not in pieces[1:k]


def wording_words() -> tuple[str, ...]:
    """The pre-tokens of every other wording the model may say (near_equivalents.txt, paraphrases.txt),
    in a fixed order: words of its vocabulary even where its corpus never uses them.

    Example:
        >>> {" large", " absorb", "'t"} <= set(wording_words())
        True
    """
    words: dict[str, None] = {}
    for word, others in EQUIVALENTS.items():
        for w in (word, *others):
            words.setdefault(" " + w, None)
    for w in INTENSIFIERS + APPROXIMATE:
        words.setdefault(" " + w, None)
    for phrase, others in load_paraphrases().items():
        for piece in (p for o in (phrase, *others) for p in o):
            words.setdefault(piece, None)
    return tuple(words)
