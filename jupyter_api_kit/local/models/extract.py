"""Values found in a conversation, for filling JSON fields and tool arguments by their names.

`Extractor` reads the conversation (the latest user turn first) and the model's own answer, and
answers questions such as "a person's name?", "a place?", "a number near the word age?", "a date?",
"which of these options is meant?". The field's name and description decide what is looked for:
`city` wants a place, `full_name` a person, `age` a number, `summary` the answer's text.

Example:
    >>> ex = Extractor("John Doe is 30 years old and lives in Paris.")
    >>> ex.value_for("name", "string"), ex.value_for("age", "integer"), ex.value_for("city", "string")
    ('John Doe', 30, 'Paris')
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

from jupyter_api_kit.local.models.context import STOPWORDS, stem

_NAME = re.compile(r"\b[A-Z][a-z]+(?:[ -](?:[A-Z][a-z]+|de|van|von|da|del|la|le))*\b")
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:[.,]\d+)?(?![\w])")
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_TIME = re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?\b")
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")
_URL = re.compile(r"\bhttps?://[^\s\"'<>]+")
_PHONE = re.compile(r"\+?\d[\d ()-]{6,}\d")
_YEAR = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})\b")
_PLACE_CUE = re.compile(r"\b(?:in|at|to|from|near|for|of|visit|visiting|around)\s+((?:[A-Z][a-z]+)(?:\s+[A-Z][a-z]+)*)")
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
# Capitalized words that start sentences or questions rather than name anything.
_NOT_NAMES = frozenset("""I The A An What When Where Who Why How Which Is Are Do Does Did Can Could Would Will
Should Please Tell Give Find Get Show List My Your Our Their His Her Its It This That These Those There Here
Hi Hello Hey Thanks Thank Yes No And But Or So If Then Also Today Tomorrow Yesterday Let Make Write Use
Answer Return Call Weather Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February
March April May June July August September October November December""".split())
NUMBER_WORDS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven "
                                           "twelve".split())}
# What a field's name says it wants (first match wins).
KINDS = (
    ("email", ("email", "mail")), ("url", ("url", "link", "website", "homepage", "uri")),
    ("phone", ("phone", "telephone", "mobile")), ("date", ("date", "day", "birthday", "deadline", "when")),
    ("time", ("time", "hour")), ("year", ("year",)),
    ("place", ("city", "town", "location", "place", "country", "destination", "origin", "address", "region",
               "state", "capital", "venue", "where", "stop", "stops", "port", "village", "area")),
    ("person", ("name", "author", "person", "user", "username", "owner", "customer", "speaker", "character",
                "artist", "manager", "contact", "recipient", "sender", "who", "people", "member", "student",
                "teacher", "friend", "winner", "player")),
    ("text", ("answer", "response", "summary", "description", "explanation", "reason", "reasoning",
              "content", "text", "message", "details", "comment", "notes", "justification", "analysis",
              "body", "story", "feedback", "output", "result", "thought", "thoughts", "note", "reply",
              "advice", "recommendation", "instructions", "steps", "step", "fact", "facts", "idea")),
    ("topic", ("topic", "subject", "title", "category", "label", "tag", "tags", "keyword", "keywords",
               "genre", "kind", "type", "theme", "query", "q", "search", "term", "item", "items", "product",
               "ingredient", "ingredients", "word", "words", "language", "unit")),
)


def field_words(name: str) -> list[str]:
    """The words of a field name: "bestMonth" and "best_month" both give ['best', 'month'].

    Example:
        >>> field_words("firstName"), field_words("best_month_2"), field_words("URL")
        (['first', 'name'], ['best', 'month'], ['url'])
    """
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", str(name))
    return [w.lower() for w in re.split(r"[^A-Za-z]+", spaced) if w]


def field_kind(name: str, description: str = "") -> str:
    """What a field wants, judged by its name (then its description): one of KINDS, or "".

    Example:
        >>> field_kind("city"), field_kind("full_name"), field_kind("summary"), field_kind("x", "the user's email")
        ('place', 'person', 'text', 'email')
    """
    for words in (field_words(name), field_words(description)[:12]):
        for kind, cues in KINDS:
            if any(w in cues for w in words):
                return kind
    return ""


def json_objects(text: str) -> list:
    """The JSON objects written in a text (in code fences or not), in order.

    Example:
        >>> json_objects('Use {"a": 1} or ```json\\n{"b": [2]}\\n``` but not {oops}.')
        [{'a': 1}, {'b': [2]}]
    """
    decoder = json.JSONDecoder()
    found, i = [], text.find("{")
    while i >= 0:
        try:
            value, end = decoder.raw_decode(text, i)
        except ValueError:
            i = text.find("{", i + 1)
            continue
        if isinstance(value, dict):
            found.append(value)
        i = text.find("{", end)
    return found


_PAIR_LINE = re.compile(r"^[ \t*-]*([A-Za-z][A-Za-z _-]{0,30}?)\s*[:=]\s*(\S.{0,200}?)\s*$", re.M)


def key_values(text: str) -> dict:
    """Named values a text gives: the keys of JSON objects in it (a tool's result) and "Key: value"
    lines, by the key's words ("temperature_c" -> "temperature c"); the first one of a key wins.

    Example:
        >>> key_values('{"city": "Oslo", "wind": {"speedKmh": 12}}\\nConditions: light rain')
        {'city': 'Oslo', 'speed kmh': 12, 'conditions': 'light rain'}
    """
    found: dict = {}

    def walk(value):
        for key, sub in value.items():
            if isinstance(sub, dict):
                walk(sub)
            elif not isinstance(sub, list):
                found.setdefault(" ".join(field_words(key)), sub)

    for obj in json_objects(text):
        walk(obj)
    for match in _PAIR_LINE.finditer(text):
        found.setdefault(" ".join(field_words(match.group(1))), match.group(2))
    return found


def _typed(value, kind: str):
    """A given value as a JSON type, or None when it is not one."""
    if kind in ("integer", "number"):
        if isinstance(value, bool):
            return None
        try:
            number = float(value)
        except (TypeError, ValueError):
            return None
        return int(round(number)) if kind == "integer" else number
    if kind == "boolean":
        return value if isinstance(value, bool) else {"true": True, "yes": True, "false": False,
                                                       "no": False}.get(str(value).lower())
    return None if isinstance(value, (dict, list)) or value is None else str(value)


@lru_cache(maxsize=1)
def common_words() -> frozenset:
    """Lower-case words of the model's corpus: "Plan" opening a sentence is the verb, not a name."""
    from jupyter_api_kit.local.models.knowledge import corpus_text

    return frozenset(re.findall(r"(?<![.!?]\s)(?<=\s)([a-z]+)", corpus_text()))


@lru_cache(maxsize=1)
def corpus_words() -> frozenset:
    """Every word of the model's corpus, in lower case."""
    from jupyter_api_kit.local.models.knowledge import corpus_text

    return frozenset(w.lower() for w in re.findall(r"[A-Za-z]+", corpus_text()))


@lru_cache(maxsize=1)
def proper_names() -> frozenset:
    """Capitalized words the corpus uses inside sentences: names ("Mars"), not sentence openers."""
    from jupyter_api_kit.local.models.knowledge import corpus_text

    return frozenset(re.findall(r"(?<![.!?:\n]\s)(?<=[a-z,;] )([A-Z][a-z]+)", corpus_text()))


def _is_name(word: str, start: bool) -> bool:
    return word not in _NOT_NAMES and not (start and word.lower() in common_words())


class Extractor:
    """Values from a conversation's text (latest turn first) and from the model's answer."""

    def __init__(self, text: str, answer="", earlier: str = ""):
        self.text = text
        # The model's answer (or a function that makes it when first needed) only fills free-text
        # fields: names, numbers and options come from what the conversation says.
        self._answer = answer
        self.all = "\n".join(t for t in (text, earlier) if t)
        self.pairs = key_values("\n".join((text, earlier)))
        self._used: dict[str, int] = {}
        self.given: set = set()  # values handed out so far (see `fresh`)

    # -- kinds of values ---------------------------------------------------------------------

    def names(self) -> list[str]:
        """Capitalized names, first seen first (sentence-initial question words are left out)."""
        found: dict[str, None] = {}
        for match in _NAME.finditer(self.all):
            before = self.all[:match.start()].rstrip()
            start = not before or before[-1] in ".!?:\n\"'"
            words = match.group(0).split()
            words = [w for i, w in enumerate(words) if _is_name(w, start and i == 0)]
            if words:
                found.setdefault(" ".join(words), None)
        return list(found)

    def places(self) -> list[str]:
        """Names after "in", "to", "from" ... first, then the other names."""
        cued: dict[str, None] = {}
        for match in _PLACE_CUE.finditer(self.all):
            words = [w for w in match.group(1).split() if w not in _NOT_NAMES]
            if words:
                cued.setdefault(" ".join(words), None)
        return list(cued) + [n for n in self.names() if n not in cued]

    def people(self) -> list[str]:
        """Names of two or more words first (a person's full name), then single names not places."""
        places = set(dict.fromkeys(m.group(1) for m in _PLACE_CUE.finditer(self.all)))
        names = [n for n in self.names() if n not in places]
        return [n for n in names if " " in n] + [n for n in names if " " not in n]

    def numbers(self, near: list[str] = ()) -> list[float]:
        """Numbers of the text, those closest to the words `near` first."""
        found = []
        for match in _NUMBER.finditer(self.all):
            if _YEAR.fullmatch(match.group(0)) and "year" not in near:
                continue
            value = float(match.group(0).replace(",", "."))
            before = self.all[max(0, match.start() - 40):match.start()].lower()
            after = self.all[match.end():match.end() + 25].lower()
            close = any(w in before or w in after for w in near)
            found.append((0 if close else 1, match.start(), value))
        lowered = self.all.lower()
        for word, value in NUMBER_WORDS.items():
            for match in re.finditer(rf"\b{word}\b", lowered):
                around = lowered[max(0, match.start() - 40):match.end() + 25]
                found.append((0 if any(w in around for w in near) else 2, match.start(), float(value)))
        return [v for _, _, v in sorted(found)]

    def topic(self) -> str:
        """The main content words of the latest turn ("weather Paris")."""
        words = [w for w in _WORD.findall(self.text) if stem(" " + w) and w.lower() not in STOPWORDS]
        return " ".join(words[:4]) or self.text.strip()[:60]

    @property
    def answer(self) -> str:
        if callable(self._answer):
            self._answer = str(self._answer())
        return self._answer

    def sentence(self) -> str:
        """The model's answer (its first 500 characters), or the latest turn itself."""
        text = self.answer.strip() or self.text.strip()
        return text[:500]

    def choose(self, options: list, name: str = ""):
        """The option the text names (whole word, any case), else the one sharing most words with it."""
        lowered = self.all.lower()
        for option in options:
            if isinstance(option, str) and option and re.search(rf"(?<!\w){re.escape(option.lower())}(?!\w)", lowered):
                return option
        own = {stem(" " + w) for w in _WORD.findall(self.all)} - {None}
        scored = [(len({stem(" " + w) for w in field_words(str(o))} & own), -i, o)
                  for i, o in enumerate(options)]
        best = max(scored, key=lambda s: s[:2]) if scored else None
        return best[2] if best else None

    def _next(self, key: str, values: list):
        """Successive calls for the same kind give successive values (a list of cities)."""
        if not values:
            return None
        i = self._used.get(key, 0)
        self._used[key] = i + 1
        return values[i] if i < len(values) else None

    def count(self, name: str, description: str = "") -> int:
        """How many values of a field's kind the text holds (the length a list field gets)."""
        kind = field_kind(name, description)
        values = {"place": self.places, "person": self.people}.get(kind)
        return len(values()) if values else 0

    # -- by field ------------------------------------------------------------------------------

    def value_for(self, name: str, kind_of_json: str, description: str = "", repeat: bool = False,
                  fresh: bool = False):
        """A value of JSON type `kind_of_json` ("string", "integer", "number", "boolean") for a
        field named `name`, or None when the text holds none (the caller then makes one up).
        `repeat`: successive calls give successive values; `fresh`: only a value not given yet."""
        value = self._value(name, kind_of_json, description, repeat)
        if fresh and value in self.given and kind_of_json in ("string", "integer", "number"):
            return None
        if value is not None and not isinstance(value, bool):
            self.given.add(value)
        return value

    def _value(self, name: str, kind_of_json: str, description: str, repeat: bool):
        given = self.pairs.get(" ".join(field_words(name)))
        if given is not None and not repeat:  # the conversation names this very field ("city": "Oslo")
            typed = _typed(given, kind_of_json)
            if typed is not None:
                return typed
        kind = field_kind(name, description)
        words = field_words(name)
        if kind_of_json in ("integer", "number"):
            near = words + (["old", "age"] if "age" in words else [])
            values = self.numbers(near)
            if kind == "year":
                values = [float(y) for y in _YEAR.findall(self.all)] + values
            value = self._next("n:" + name, values) if repeat else (values[0] if values else None)
            if value is None:
                return None
            return int(round(value)) if kind_of_json == "integer" else value
        if kind_of_json == "boolean":
            lowered = self.all.lower()
            hits = [w for w in words if w not in ("is", "has", "can", "should", "was") and w in lowered]
            return bool(hits) and not re.search(r"\b(?:not|no|never|n't)\b", lowered)
        finders = {"email": lambda: _EMAIL.findall(self.all), "url": lambda: _URL.findall(self.all),
                   "phone": lambda: _PHONE.findall(self.all), "date": lambda: _DATE.findall(self.all),
                   "time": lambda: _TIME.findall(self.all), "year": lambda: _YEAR.findall(self.all),
                   "place": self.places, "person": self.people}
        if kind in finders:
            values = finders[kind]()
            return self._next("s:" + kind, values) if repeat else (values[0] if values else None)
        if kind == "text":
            return self.sentence()
        if kind == "topic":
            return self.topic()
        return None
