"""Near-equivalent words: where a copied sentence may say another word, and how likely each is.

A chat answer copies whole sentences (see `decoder`), but not every word of a sentence is dictated:
"every" may be "each", "a large" may be "a big", "It is" may be "It's", "in the square" may be
"inside the square". `alternatives` says, for a word in its sentence, how surely the sentence
dictates it (`c`) and which words may take its place; `Wording` shares the rest of the mass (1 - c)
among them by how well each fits between its neighbours under the model's trigram. The groups of
near_equivalents.txt are written for this project; they keep the article in front right, and a
preposition before a date or a season ("in 1820", "in spring") stays as written.

Example:
    >>> alternatives(" large", " a", [" planet"])
    (0.7, (' big',))
    >>> alternatives(" Vemmin", " of", ["."]), alternatives(" enormous", " an", [" wave"])
    ((1.0, ()), (1.0, ()))
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

from jupyter_api_kit.local.models.ngram import UNKNOWN

# How surely a copied sentence dictates a word that has alternatives (the rest of the mass goes to
# them); every other word of a sentence is dictated (the floor aside).
C_PREPOSITION = 0.8      # "in", "at", "on" ... (never before a number or a season: "in 1820" stays)
C_INTENSIFIER = 0.75     # "very", "really", "quite"
C_EQUIVALENT = 0.7       # a word of near_equivalents.txt
C_CONTRACTION = 0.7      # "It is" / "It's"
# How much the fit between the neighbours decides among a word and its alternatives (1: fully, 0:
# not at all): the trigram knows which words go together, not which mean the same.
FIT_POWER = 0.5
PREPOSITIONS = ("in", "on", "at", "near", "inside", "within", "around", "across", "along", "over",
                "under", "through", "into", "onto")
INTENSIFIERS = ("very", "really", "quite", "extremely")
APPROXIMATE = ("about", "around", "roughly")  # before a number
NUMBER_WORDS = frozenset("""two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty
sixty seventy eighty ninety hundred thousand million""".split())
# word -> (its contraction, the words it may follow contracted)
CONTRACTIONS = {"is": ("'s", ("it", "that", "there", "he", "she", "what", "who", "where", "here")),
                "are": ("'re", ("you", "we", "they")), "am": ("'m", ("i",)),
                "will": ("'ll", ("i", "you", "we", "they", "he", "she", "it")),
                "have": ("'ve", ("i", "you", "we", "they"))}
# Words that end a noun phrase, and nouns of time a preposition before them must keep.
_PHRASE_END = frozenset("""of in on at to for with by from and or but that which who is are was were has
have had can will than as into over under near through about like so then when while where""".split())
_NO_PLACE = frozenset("""monday tuesday wednesday thursday friday saturday sunday january february march
april may june july august september october november december spring summer autumn winter morning
evening night time times day days week weeks year years order fact total general short direction way
one two three four five six seven eight nine ten eleven twelve noon midnight dawn dusk""".split())
_DETERMINERS = frozenset("the a an this that these those its their his her our your my".split())
EQUIVALENTS_PATH = Path(__file__).with_name("near_equivalents.txt")
_CACHE_SIZE = 4096


def load_equivalents(path: Path = EQUIVALENTS_PATH) -> dict[str, tuple[str, ...]]:
    """word -> the words that may take its place, from near_equivalents.txt.

    Example:
        >>> load_equivalents()["large"], load_equivalents()["in"], "within" in load_equivalents()
        (('big',), ('inside', 'within'), False)
    """
    groups: dict[str, tuple[str, ...]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        source, arrow, targets = line.partition(">")
        if arrow:
            groups[source.strip()] = tuple(targets.split())
            continue
        words = line.split()
        for w in words:
            groups[w] = tuple(x for x in words if x != w)
    return groups


EQUIVALENTS = load_equivalents()


def alternatives(word: str, before: str, rest: list[str]) -> tuple[float, tuple[str, ...]]:
    """(how surely a sentence dictates `word`, the words that may take its place), given the token
    before it and the tokens after it (for number agreement, "a"/"an", dates, contractions).

    Example:
        >>> alternatives(" every", " opens", [" Tuesday", "."])[1]
        (' each',)
        >>> alternatives(" is", " It", [" red"]), alternatives(" in", " built", [" 1820"])
        ((0.7, ("'s",)), (1.0, ()))
    """
    if not word.startswith(" ") or not word[1:].isalpha():
        return 1.0, ()
    bare, nxt = word[1:], rest[0].strip().lower() if rest else ""
    if nxt in _DETERMINERS and len(rest) > 1 and rest[1].strip().lower() in _NO_PLACE:
        nxt = rest[1].strip().lower()  # "in the morning", "in that direction" stay too
    prev = before.strip().lower()
    if bare in CONTRACTIONS and prev in CONTRACTIONS[bare][1]:
        return C_CONTRACTION, (CONTRACTIONS[bare][0],)
    if bare in PREPOSITIONS and (not nxt.isalpha() or nxt in _NO_PLACE):
        return 1.0, ()  # "in 1820", "in spring" stay as they are
    if bare in APPROXIMATE and (nxt[:1].isdigit() or nxt in NUMBER_WORDS):
        return C_EQUIVALENT, tuple(" " + w for w in APPROXIMATE if w != bare)  # "about 40", "around 40"
    if bare in INTENSIFIERS:
        c, others = C_INTENSIFIER, [w for w in INTENSIFIERS if w != bare]
    elif bare in EQUIVALENTS:
        c, others = (C_PREPOSITION if bare in PREPOSITIONS else C_EQUIVALENT), list(EQUIVALENTS[bare])
    else:
        return 1.0, ()
    if prev in ("a", "an"):  # "a huge" may not become "a enormous"
        others = [w for w in others if (w[0] in "aeiou") == (bare[0] in "aeiou")]
    return (c, tuple(" " + w for w in others)) if others else (1.0, ())


class Wording:
    """How probable each of a word's alternatives is where it stands: the trigram's probability of
    the alternative after the two tokens before it, times that of the word after it following the
    alternative (so "opens *on* Tuesday" beats "opens *of* Tuesday"); cached per context.

    Example:
        >>> from jupyter_api_kit.local.models.knowledge import base_knowledge
        >>> k = base_knowledge(3)
        >>> ids = k.tokenizer.ids([" big", " large", " planet"])
        >>> probs = Wording([k.ngram]).get((-1, -1), ids[0], ids[2], (ids[1], ids[0]))
        >>> bool(abs(probs.sum() - 1) < 1e-12)
        True
    """

    def __init__(self, ngrams, weights=(1.0,)):
        self.ngrams = list(ngrams)
        self.weights = list(weights)
        self._cache: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def _prob(self, history: list[int], token: int) -> float:
        p = self.ngrams[0].prob(history, token)
        for ngram, weight in zip(self.ngrams[1:], self.weights[1:]):
            p = (1.0 - weight) * p + weight * ngram.prob(history, token, backoff=p)
        return p

    def get(self, context: tuple[int, int], word: int, after: int, mates: tuple[int, ...]) -> np.ndarray:
        """How the alternatives `mates` of `word` share the mass the sentence leaves them (sums to 1)."""
        key = (context, word, after, mates)
        found = self._cache.get(key)
        if found is not None:
            return found
        size = self.ngrams[-1].vocab_size
        history = [UNKNOWN if c >= size else c for c in context if c != -1]
        scores = []
        for token in mates:
            forward = self._prob(history, token)
            backward = self._prob(history[-1:] + [token], after) if 0 <= after < size else 1.0
            scores.append(forward * backward)
        found = np.array(scores) ** FIT_POWER
        total = found.sum()
        found = found / total if total > 0 else np.full(len(found), 1.0 / len(found))
        with self._lock:
            self._cache[key] = found
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return found
