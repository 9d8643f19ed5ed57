"""The facts of a conversation, as sentences the language model can state, and the question it asks.

A chat answer is built from whole sentences (see `answers`), so the conversation is cut into them
here: notes in the system prompt, the statements of user turns, tool results (JSON results become a
plain sentence), and retrieved text. What is not a fact is left out: instructions to the assistant
("Answer briefly.", "You are a teacher."), questions, and the assistant's own turns (they are what
was already said). A user's "my cat" is the assistant's "your cat".

Example:
    >>> split_sentences("Mars has two moons. They are small! Is it red?")
    ['Mars has two moons.', 'They are small!', 'Is it red?']
    >>> [f.text for f in conversation_facts([
    ...     {"role": "system", "content": "You are helpful. The Ostrel market opens on Tuesday."},
    ...     {"role": "user", "content": "My cat is called Zorblax. When does the market open?"}])]
    ['The Ostrel market opens on Tuesday.', 'Your cat is called Zorblax.']
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache

from jupyter_api_kit.local.models.context import message_text

_ABBREVIATIONS = ("mr", "mrs", "ms", "dr", "st", "prof", "vs", "etc", "e.g", "i.e", "no", "approx", "fig")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_BULLET = re.compile(r"^\s*(?:[-*\u2022>]+|\d{1,2}[.)]|#+)\s+")
_LIST_LINE = re.compile(r"^\s*(?:[-*\u2022]|\d{1,2}[.)])\s+")
_LABEL = re.compile(r"^\s*([A-Za-z][A-Za-z ]{0,24}):\s+(?=\S)")
LABELS = frozenset("""note notes context fact facts information info background document documents source
sources text passage reference data question q answer a reminder summary details result results
""".split())
# First words of a sentence that asks or instructs rather than states.
ASKING = frozenset("""what when where who whom whose why how which is are was were do does did can could
would will should shall may might tell explain describe answer use give list write say summarize
summarise show name translate be keep respond reply please help find make let remember consider
read based according using don't do not never always only try act pretend imagine suppose
""".split())
# First words that lean on the sentence before them: such a sentence cannot start an answer.
DEPENDENT = frozenset("""it its they their them this these those that he she his her him then so but also
however still even such both another and or because which who yet thus there's
""".split())
# Person flips for facts a user states about themselves.
_FLIPS = {"i": "you", "me": "you", "my": "your", "mine": "yours", "myself": "yourself", "am": "are",
          "i'm": "you're", "i've": "you've", "i'll": "you'll", "i'd": "you'd", "we": "you",
          "us": "you", "our": "your", "ours": "yours", "we're": "you're", "we've": "you've"}
_FLIP_WORD = re.compile(r"\b(?:i'm|i've|i'll|i'd|we're|we've|i|me|my|mine|myself|am|we|us|our|ours)\b",
                        re.IGNORECASE)
MAX_FACT_CHARS = 400


@dataclass(frozen=True)
class Fact:
    """One stateable sentence of the conversation: its text, the role it came from, the index of its
    message, its place in that message (`block`, `position`) and, for tool results, the tool's name."""

    text: str
    role: str
    message: int
    block: int
    position: int
    tool: str = ""


def split_sentences(text: str) -> list[str]:
    """Sentences of a text: list items and lines of a list are sentences of their own.

    Example:
        >>> split_sentences("Pack:\\n- water\\n- a hat\\n\\nDr. Lee met us at 3.15 p.m. Then we left.")
        ['Pack:', 'water', 'a hat', 'Dr. Lee met us at 3.15 p.m.', 'Then we left.']
    """
    out: list[str] = []
    for block in blocks(text):
        out.extend(block)
    return out


def blocks(text: str) -> list[list[str]]:
    """Sentences grouped by paragraph (blank-line separated)."""
    found = []
    for para in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        lines = [ln for ln in para.split("\n") if ln.strip()]
        if not lines:
            continue
        if len(lines) > 1 and any(_LIST_LINE.match(ln) for ln in lines[1:]):
            pieces = [_BULLET.sub("", ln).strip() for ln in lines]
        else:
            pieces = [" ".join(_BULLET.sub("", ln).strip() for ln in lines)]
        sentences = [s for piece in pieces for s in _split_line(piece)]
        if sentences:
            found.append(sentences)
    return found


def _split_line(line: str) -> list[str]:
    parts, start = [], 0
    for match in _SENTENCE_END.finditer(line):
        before = line[start:match.start()].rstrip("\"')]")
        last = before.rsplit(None, 1)[-1].lower().rstrip(".") if before.split() else ""
        if last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha()):
            continue  # "Dr. Lee", "p.m. Then" is ambiguous: keep together rather than cut a name
        parts.append(line[start:match.start()].strip())
        start = match.end()
    parts.append(line[start:].strip())
    return [p for p in parts if p]


def strip_label(sentence: str) -> str:
    """A sentence without a leading "Notes:" style label.

    Example:
        >>> strip_label("Notes: The bridge is old."), strip_label("Time: 9 am")
        ('The bridge is old.', 'Time: 9 am')
    """
    match = _LABEL.match(sentence)
    if match and match.group(1).strip().lower() in LABELS:
        return sentence[match.end():]
    return sentence


def first_word(sentence: str) -> str:
    match = re.match(r"\W*([A-Za-z']+)", sentence)
    return match.group(1).lower() if match else ""


def is_question(sentence: str) -> bool:
    """Whether a sentence asks or instructs (a question, a request) rather than states a fact.

    Example:
        >>> is_question("Tell me about Mars."), is_question("Mars is red."), is_question("Mars, then?")
        (True, False, True)
    """
    s = sentence.strip()
    return s.endswith("?") or first_word(s) in ASKING


def is_instruction(sentence: str) -> bool:
    """A sentence that tells the assistant what to be or do ("You are a helpful assistant.").

    Example:
        >>> is_instruction("You are a pirate."), is_instruction("Always answer in French."), is_instruction("Oslo is cold.")
        (True, True, False)
    """
    word = first_word(sentence)
    return word in ("you", "your", "you're") or word in ASKING or sentence.strip().endswith("?")


def self_contained(sentence: str) -> bool:
    """Whether a sentence can open an answer: it does not lean on the one before ("It is red.").

    Example:
        >>> self_contained("Mars is red."), self_contained("It has two moons."), self_contained("and so")
        (True, False, False)
    """
    return (first_word(sentence) not in DEPENDENT and sentence[:1] not in ",;)" and bool(sentence.strip())
            and not re.match(r"\W*(?:for (?:example|instance)|in (?:that|this) case)\b", sentence, re.I))


def flip_person(sentence: str) -> str:
    """A user's sentence about themselves, as the assistant would say it back.

    Example:
        >>> flip_person("My cat is called Zorblax and I am proud of her.")
        'Your cat is called Zorblax and you are proud of her.'
    """
    def swap(match):
        word = match.group(0)
        new = _FLIPS[word.lower()]
        return new[0].upper() + new[1:] if word[0].isupper() and (match.start() == 0 or word != "I") else new

    flipped = _FLIP_WORD.sub(swap, sentence)
    return flipped[0].upper() + flipped[1:] if flipped else flipped


def json_sentences(text: str) -> list[str] | None:
    """A JSON tool result said in words; None when the text is not JSON (it is used as it is).

    Example:
        >>> json_sentences('{"city": "Paris", "temperature_c": 18, "conditions": "light rain"}')
        ['The city is Paris, the temperature c is 18 and the conditions are light rain.']
        >>> json_sentences("Sunny") is None
        True
    """
    stripped = text.strip()
    if not stripped or stripped[0] not in "[{\"" and not stripped[0].isdigit():
        return None
    try:
        value = json.loads(stripped)
    except ValueError:
        return None
    items = value if isinstance(value, list) and all(isinstance(v, dict) for v in value) and value else [value]
    out = [_say(item) for item in items[:20]]
    return [s for s in out if s]


def _words_of(key: str) -> str:
    return re.sub(r"(?<=[a-z])(?=[A-Z])|[_\-]+", " ", str(key)).strip().lower()


def _scalar(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "not given"
    if isinstance(value, list):
        said = [_scalar(v) for v in value if not isinstance(v, (dict, list))]
        return ", ".join(said[:-1]) + (" and " if len(said) > 1 else "") + said[-1] if said else "empty"
    return str(value)


def _pairs(value, prefix: str = "") -> list[tuple[str, str]]:
    out = []
    for key, sub in value.items():
        name = f"{prefix} {_words_of(key)}".strip()
        if isinstance(sub, dict):
            out += _pairs(sub, name)
        else:
            out.append((name, _scalar(sub)))
    return out


def _say(value) -> str:
    if not isinstance(value, dict):
        return f"The result is {_scalar(value)}."
    pairs = [(k, v) for k, v in _pairs(value) if v][:12]
    if not pairs:
        return ""
    said = [f"the {k} {'are' if k.endswith('s') and not k.endswith('ss') else 'is'} {v}" for k, v in pairs]
    sentence = ", ".join(said[:-1]) + (" and " if len(said) > 1 else "") + said[-1]
    return (sentence[0].upper() + sentence[1:] + ".")[:MAX_FACT_CHARS]


def latest_user(messages) -> int:
    """Index of the latest user message, -1 when there is none."""
    return max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)


def question_text(messages) -> str:
    """What the latest user turn asks: its questions and requests, without the notes pasted in it.

    Example:
        >>> question_text([{"role": "user", "content": "The bridge is old. Notes: It is red. How old is it?"}])
        'How old is it?'
    """
    last = latest_user(messages)
    return _question_of(message_text(messages[last])) if last >= 0 else ""


@lru_cache(maxsize=4096)
def _question_of(text: str) -> str:
    sentences = split_sentences(text)
    asked = [s for s in sentences if is_question(strip_label(s))]
    return " ".join(asked or sentences[-1:])


def conversation_facts(messages) -> list[Fact]:
    """The stateable sentences of a conversation (see the module docstring), in order."""
    facts: list[Fact] = []
    last_user = latest_user(messages)
    asked = question_text(messages)
    names = {}
    for i, message in enumerate(messages):
        role = message.get("role", "user")
        for call in message.get("tool_calls") or ():
            names[(call or {}).get("id")] = ((call or {}).get("function") or {}).get("name", "")
        if role == "assistant":
            continue
        text = message_text(message)
        tool = names.get(message.get("tool_call_id"), message.get("name") or "") if role in ("tool", "function") else ""
        said = json_sentences(text) if role in ("tool", "function") else None
        groups = [said] if said is not None else blocks(text)
        for b, group in enumerate(groups):
            for k, sentence in enumerate(group):
                sentence = strip_label(sentence).strip()
                if not sentence or len(sentence) > MAX_FACT_CHARS or not re.search(r"[A-Za-z0-9]", sentence):
                    continue
                if sentence.endswith(":") and role != "tool":  # "Here are my notes:" heads facts, states none
                    continue
                if role in ("system", "developer") and is_instruction(sentence):
                    continue
                if role == "user":
                    if is_question(sentence) or (i == last_user and (
                            first_word(sentence) in ("you", "your") or sentence in asked)):
                        continue
                    sentence = flip_person(sentence)
                facts.append(Fact(sentence, role, i, b, k, tool))
    return facts


def said_before(messages) -> set[str]:
    """Normalized sentences the assistant has already said in the conversation.

    Example:
        >>> sorted(said_before([{"role": "assistant", "content": "Mars is red. It is cold!"}]))
        ['it is cold', 'mars is red']
    """
    out = set()
    for m in messages:
        if m.get("role") == "assistant":
            out.update(normalized(s) for s in split_sentences(message_text(m)))
    return out


def normalized(sentence: str) -> str:
    """A sentence's words in lower case, for comparing what was said.

    Example:
        >>> normalized("  The Moon, at night! ")
        'the moon at night'
    """
    return " ".join(re.findall(r"[a-z0-9']+", sentence.lower()))
