"""How well a sentence answers the question: the words it shares with it, and what it says first.

Example:
    >>> q = question_weights([{"role": "user", "content": "When does the Ostrel market open?"}])
    >>> sorted(q)
    ['market', 'open', 'ostrel']
    >>> bool(wanted("When does it open?").search("every tuesday"))
    True
"""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache

from jupyter_api_kit.local.models.context import message_text, term, topic_query
from jupyter_api_kit.local.models.sentences import latest_user, question_text
from jupyter_api_kit.local.models.tokenizer import pretokenize

EARLIER_TURNS = 0.25        # weight of earlier user turns in the question
# Words that say what kind of answer a question wants, and what in a sentence looks like one.
_WHEN = re.compile(r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|"
                   r"april|may|june|july|august|september|october|november|december|morning|evening|"
                   r"night|noon|midnight|o'clock|am|pm|\d{1,2}:\d\d|year|years|century|spring|summer|"
                   r"autumn|winter|today|tomorrow|daily|weekly|every|in \d{3,4})\b")
_NUMBER = re.compile(r"\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|"
                     r"thirty|forty|fifty|hundred|thousand|million|billion|dozen)\b")
_PLACE = re.compile(r"\b(?:in|at|near|on|from|inside|behind|under|beside)\s+(?:the\s+)?[A-Z]")
_PERSON = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][a-z]+")
_CAUSE = re.compile(r"\b(?:because|since|so that|due to|thanks to|caused by)\b")
_WANTS = (("how many", _NUMBER), ("how much", _NUMBER), ("how long", _NUMBER), ("how old", _NUMBER),
          ("how far", _NUMBER), ("what time", _WHEN), ("when", _WHEN), ("where", _PLACE),
          ("who", _PERSON), ("why", _CAUSE))
TYPE_BONUS = 0.2


def asked_weights(messages) -> Counter:
    """Content-word stems of the latest question alone (of the turn before, for "Tell me more.").

    Example:
        >>> asked_weights([{"role": "user", "content": "Tell me about Mars."},
        ...                {"role": "user", "content": "Tell me more."}])
        Counter({'mar': 1.0})
    """
    last = latest_user(messages)
    asked = stems(question_text(messages))
    if not asked:
        for m in reversed([m for i, m in enumerate(messages) if m.get("role") == "user" and i < last]):
            asked = stems(message_text(m))
            if asked:
                break
    return topic_query(Counter({s: float(c) for s, c in asked.items()}))


def question_weights(messages) -> Counter:
    """Content-word stems of what is asked: the latest question most, earlier user turns a little.

    Example:
        >>> sorted(question_weights([{"role": "user", "content": "Tell me about Mars."},
        ...                          {"role": "assistant", "content": "Mars is red."},
        ...                          {"role": "user", "content": "And the Moon?"}]).items())
        [('mar', 0.25), ('moon', 1.0)]
    """
    weights: Counter = Counter()
    last = latest_user(messages)
    asked = stems(question_text(messages))
    earlier = [m for i, m in enumerate(messages) if m.get("role") == "user" and i < last]
    if not asked:  # "Tell me more." asks about the turn before
        for m in reversed(earlier):
            asked = stems(message_text(m))
            if asked:
                break
    for m in earlier:
        for s in stems(message_text(m)):
            weights[s] = max(weights[s], EARLIER_TURNS)
    for s, c in asked.items():
        weights[s] = max(weights[s], float(c))
    return topic_query(weights)


def stems(text: str) -> Counter:
    """How often each content-word stem occurs in a text."""
    return Counter(_stem_list(text))


@lru_cache(maxsize=20_000)
def _pieces_terms(text: str) -> tuple[list[str], list]:
    pieces = pretokenize(text)
    return pieces, [term(p) for p in pieces]


@lru_cache(maxsize=20_000)
def _stem_list(text: str) -> tuple[str, ...]:
    return tuple(s for s in map(term, pretokenize(text)) if s)


def wanted(question: str):
    """The pattern of what a question asks for ("when": a day, a time), or None."""
    q = question.lower()
    for words, pattern in _WANTS:
        if re.search(rf"\b{words}\b", q):
            return pattern
    return None


class Scorer:
    """Relevance of a text to the question: the share of the question's idf-weighted words it holds."""

    def __init__(self, knowledge, question: Counter, texts: list[str]):
        self.question = question
        idf = knowledge.topics.idf
        unseen = knowledge.topics.unseen_idf
        counts: Counter = Counter()
        for t in texts:
            counts.update(set(stems(t)))
        # A word every fact shares ("Vemmin" in every note) tells them apart less.
        self.weights = {s: w * idf.get(s, unseen) / math.sqrt(max(counts[s], 1)) for s, w in question.items()}
        self.total = sum(self.weights.values())

    def __call__(self, text: str) -> float:
        if not self.total:
            return 0.0
        found = _stem_list(text)
        return sum(w for s, w in self.weights.items() if s in found) / self.total

    def lead(self, text: str) -> float:
        """The share of the question named in the first words (answers name their subject first)."""
        return self(" ".join(text.split()[:4]))


_DETERMINERS = frozenset("the a an your my its their our this these those".split())


def subject_echo(text: str, question: Counter) -> tuple[int, bool]:
    """(number of leading tokens that form a subject the question names, whether it is plural);
    (0, False) when the sentence does not open with such a subject.

    Example:
        >>> subject_echo("The Ostrel market opens every Tuesday.", Counter({"ostrel": 1, "market": 1}))
        (3, False)
        >>> subject_echo("Market days are busy.", Counter({"ostrel": 1}))
        (0, False)
    """
    pieces = pretokenize(text)
    named, k = False, 0
    while k < len(pieces):
        word = pieces[k].strip()
        key = term(pieces[k])
        if word.lower() in _DETERMINERS and not named:
            k += 1
        elif key is not None and key in question:
            named, k = True, k + 1
        else:
            break
    if (not named or k >= len(pieces) or not pieces[k].startswith(" ") or not pieces[k][1:2].islower()
            or pieces[k].strip() in _CLAUSE_START or pieces[k].strip() in ("of", "to", "and", "or")):
        return 0, False
    head = pieces[k - 1].strip().lower()
    return k, head.endswith("s") and not head.endswith(("ss", "us", "is"))


_CLAUSE_START = frozenset("in on at by with from during near behind inside under for because but while "
                          "which so then where when".split())


def exits(text: str, question: Counter, wants=None) -> tuple[int, ...]:
    """Token positions before which a sentence may end early: a clause boundary after the last word
    the question names (and after what it asks for: a day for "when"), at least two words on.

    Example:
        >>> from jupyter_api_kit.local.models.tokenizer import pretokenize
        >>> text = "The Ostrel market opens every Tuesday in the square of Vemmin."
        >>> [pretokenize(text)[k] for k in exits(text, Counter({"ostrel": 1, "market": 1, "open": 1}))]
        [' in']
    """
    pieces, terms = _pieces_terms(text)
    last = -1
    for k, piece in enumerate(pieces):
        if terms[k] in question or (wants is not None and wants.search(piece.strip().lower())):
            last = k
    if last < 0:
        return ()
    out = []
    words_after = 0
    for k in range(last + 1, len(pieces) - 1):
        piece = pieces[k]
        word = piece.strip().lower()
        if piece.startswith(" ") and word in _CLAUSE_START and words_after >= 2 and k >= 4:
            out.append(k)
        if piece.startswith(" ") and word.isalpha():
            words_after += 1
        if piece in (",", ";", ":") and k + 1 < len(pieces) and pieces[k + 1].strip().lower() in ("and", "but", "then", "so", "which", "while"):
            if words_after >= 2 and k >= 4:
                out.append(k)
    return tuple(sorted(set(out)))
