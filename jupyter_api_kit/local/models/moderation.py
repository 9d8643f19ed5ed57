"""The local moderation model `local-moderation`: category scores from a lexicon this project writes.

Each lexicon entry gives a phrase a weight in one category (`moderation_lexicon.txt`). A category's
score is `1 - exp(-sum of the weights of the phrases found)`, so one strong phrase scores about 0.86
and nothing found scores 0. A sub-category lifts its parent (threats are harassment too), and
`sexual/minors` needs both sexual content and a word about minors, and then scores their
summed weights. A category is flagged at 0.5.

Context decides how much a violent word weighs. Words inside an idiom (`moderation_idioms.txt`:
"kill for a coffee", "photo shoot", "heart attack") count for nothing. A violent word aimed at a
person ("hurt *them*") weighs more, and more again when said as an intent ("I *want to* hurt them");
an intent against "you" is a threat (harassment/threatening). A bare violent word ("the lion killed
a zebra") stays under the flag.

Example:
    >>> model = ModerationModel()
    >>> r = model.classify("I will kill you, you idiot")
    >>> r.flagged, r.categories["harassment/threatening"], round(r.scores["violence"], 2)
    (True, True, 0.93)
    >>> model.classify("I would kill for a cup of coffee").flagged, model.classify("I want to hurt them").flagged
    (False, True)
    >>> model.classify("The planets orbit the sun.").flagged
    False
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

MODERATION_MODEL = "local-moderation"
MODERATION_MODELS = {MODERATION_MODEL: "Lexicon moderation model: readable category scores, text only."}
CATEGORIES = ("harassment", "harassment/threatening", "hate", "hate/threatening", "illicit", "illicit/violent",
              "self-harm", "self-harm/intent", "self-harm/instructions", "sexual", "sexual/minors", "violence",
              "violence/graphic")
#: child category -> parents whose score is at least the child's
PARENTS = {"harassment/threatening": ("harassment", "violence"), "hate/threatening": ("hate", "violence"),
           "illicit/violent": ("illicit", "violence"), "self-harm/intent": ("self-harm",),
           "self-harm/instructions": ("self-harm",), "sexual/minors": ("sexual",),
           "violence/graphic": ("violence",)}
THRESHOLD = 0.5
LEXICON_PATH = Path(__file__).with_name("moderation_lexicon.txt")
IDIOMS_PATH = Path(__file__).with_name("moderation_idioms.txt")
# Who a violent word may be aimed at, and how an intent to do it is said.
TARGETS = frozenset("""you him her them me us people someone somebody everyone everybody anyone anybody
boss neighbor neighbour neighbors neighbours wife husband mom mum dad mother father brother sister teacher
teachers friend friends family kids children child classmates coworker coworkers colleague colleagues
cops police president students man woman guy girl boy baby""".split())
INTENTS = (("i", "want", "to"), ("i", "wanna"), ("i'm", "going", "to"), ("i", "am", "going", "to"),
           ("i'm", "gonna"), ("i", "will"), ("i'll"), ("i'd", "like", "to"), ("i", "plan", "to"),
           ("i'm", "about", "to"), ("let's"), ("we", "will"), ("we'll"), ("we're", "going", "to"),
           ("i", "should"), ("i", "could"), ("gonna"), ("going", "to"))
TARGET_WEIGHT = 0.6      # a violent word aimed at a person
INTENT_WEIGHT = 0.6      # ... said as something the speaker means to do
THREAT_WEIGHT = 1.0      # ... to the person addressed
TARGET_SPAN, INTENT_SPAN = 3, 5
_WORDS = re.compile(r"[a-z]+(?:['-][a-z]+)*")


@dataclass
class Entry:
    category: str
    weight: float
    words: tuple[str, ...]

    def matches_at(self, words: list[str], i: int) -> bool:
        if i + len(self.words) > len(words):
            return False
        for pattern, word in zip(self.words, words[i:i + len(self.words)]):
            if pattern.endswith("*"):
                if not word.startswith(pattern[:-1]):
                    return False
            elif pattern != word:
                return False
        return True


@lru_cache(maxsize=1)
def load_lexicon(path: Path = LEXICON_PATH) -> dict[str, list[Entry]]:
    """Entries indexed by the first letters of their first word, for a quick scan."""
    index: dict[str, list[Entry]] = {}
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        category, weight, phrase = line.split("\t")
        if category not in CATEGORIES and category != "minor":
            raise ValueError(f"{path.name}:{line_no}: unknown category {category!r}")
        words = tuple(_WORDS.findall(phrase.lower().replace("*", "xstarx")))
        words = tuple(w.replace("xstarx", "*") for w in words)
        index.setdefault(words[0][:2], []).append(Entry(category, float(weight), words))
    return index


@lru_cache(maxsize=1)
def load_idioms(path: Path = IDIOMS_PATH) -> dict[str, list[Entry]]:
    """Idiom phrases indexed like the lexicon (their category is unused)."""
    index: dict[str, list[Entry]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            words = tuple(w.replace("xstarx", "*") for w in
                          _WORDS.findall(line.strip().lower().replace("*", "xstarx")))
            index.setdefault(words[0][:2], []).append(Entry("idiom", 0.0, words))
    return index


def _idiom_words(words: list[str]) -> set[int]:
    """Positions of the words that are part of an idiom."""
    inside: set[int] = set()
    idioms = load_idioms()
    for i, word in enumerate(words):
        for entry in idioms.get(word[:2], ()):
            if entry.matches_at(words, i):
                inside.update(range(i, i + len(entry.words)))
    return inside


def _intent_before(words: list[str], i: int) -> bool:
    window = words[max(0, i - INTENT_SPAN):i]
    for intent in INTENTS:
        phrase = (intent,) if isinstance(intent, str) else intent
        for k in range(len(window) - len(phrase) + 1):
            if tuple(window[k:k + len(phrase)]) == phrase:
                return True
    return False


@dataclass
class Classification:
    flagged: bool
    categories: dict
    scores: dict


class ModerationModel:
    id = MODERATION_MODEL

    def raw_weights(self, text: str) -> dict[str, float]:
        """Summed weights of the lexicon phrases found in `text`, by category, in context (see the
        module docstring)."""
        words = _WORDS.findall(text.lower().replace("\u2019", "'"))
        lexicon = load_lexicon()
        idioms = _idiom_words(words)
        totals: dict[str, float] = {}
        aimed = False  # one violent act aimed at a person is enough to weigh the context once
        for i, word in enumerate(words):
            for entry in lexicon.get(word[:2], ()):
                if not entry.matches_at(words, i) or idioms & set(range(i, i + len(entry.words))):
                    continue
                totals[entry.category] = totals.get(entry.category, 0.0) + entry.weight
                if entry.category != "violence" or aimed:
                    continue
                after = words[i + len(entry.words):i + len(entry.words) + TARGET_SPAN]
                target = next((w for w in after if w in TARGETS), None)
                if target is None:
                    continue
                aimed = True
                totals["violence"] += TARGET_WEIGHT
                if _intent_before(words, i):
                    totals["violence"] += INTENT_WEIGHT
                    if target == "you":
                        totals["harassment/threatening"] = totals.get("harassment/threatening", 0.0) + THREAT_WEIGHT
        return totals

    def classify(self, text: str) -> Classification:
        weights = self.raw_weights(text)
        scores = {c: 1.0 - math.exp(-weights.get(c, 0.0)) for c in CATEGORIES}
        if weights.get("sexual") and weights.get("minor"):
            # sexual content together with words about minors: the evidence of both counts
            both = 1.0 - math.exp(-(weights["sexual"] + weights["minor"]))
            scores["sexual/minors"] = max(scores["sexual/minors"], both)
        for child, parents in PARENTS.items():
            for parent in parents:
                scores[parent] = max(scores[parent], scores[child])
        scores = {c: round(s, 6) for c, s in scores.items()}
        categories = {c: s >= THRESHOLD for c, s in scores.items()}
        return Classification(any(categories.values()), categories, scores)

    @staticmethod
    def count_tokens(text: str) -> int:
        return len(_WORDS.findall(text.lower())) or (1 if text else 0)


_MODEL = ModerationModel()


def get_moderation_model(model_id: str | None = None) -> ModerationModel:
    """The local moderation model (every requested id is answered by `local-moderation`)."""
    return _MODEL
