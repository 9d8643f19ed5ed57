"""What a prompt contributes to the local language model: chat rendering, the cache and the topic.

A prompt influences the next-token distribution in two ways, both real mixture components:

* the *cache*: a unigram distribution over the content words of the conversation (the last user
  message counts most), so words that were asked about become more probable anywhere in the answer;
* the *topic*: a small n-gram model trained on the few corpus paragraphs that best match the content
  words of the conversation (BM25, see `TopicIndex`), so the answer follows answers on that topic.

Content words are compared by a crude stem ("planets" ~ "planet"); function words never count, and
words that only frame a question ("one *fact* about ...") count little.

Example:
    >>> render_messages([{"role": "user", "content": "Hi"}])
    'user: Hi\\n\\nassistant:'
    >>> stem(" Planets"), stem(" the")
    ('planet', None)
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from jupyter_api_kit.local.models.tokenizer import pretokenize

# Function words and the vocabulary of asking ("tell me about ...") carry no topic.
STOPWORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each even ever every few for from
further get gets got had has have having he her here hers herself him himself his how i if in into is
it its itself just know let like lot make many may me might more most much must my myself need no
nor not now of off often on once one only or other our ours ourselves out over own please really
same say she should so some such tell than thank thanks that the their theirs them themselves then
there these they thing things this those through to too under until up us very want was way we well
were what when where which while who whom why will with would write yes yet you your yours yourself
explain describe show give good help something anything little quick short sure okay ok called
briefly brief concise concisely detail details detailed everything simply shortly sentence sentences
paragraph summary summarize summarise lot
""".split())

# Stems that frame a question rather than name its topic ("one *fact* about volcanoes", "how does
# the heart *work*"): they still count, but a paragraph should not be chosen for them alone.
FRAMING = frozenset("""
fact fun joke story poem question idea example tip information interest detail work cause happen
mean kind type important name
""".split())
FRAMING_WEIGHT = 0.2

ROLE_WEIGHTS = {"system": 0.5, "developer": 0.5, "user": 0.4, "assistant": 0.2, "tool": 0.5,
                "function": 0.5}
LAST_USER_WEIGHT = 1.0
INSTRUCTION_ROLES = ("system", "developer")
MAX_DYNAMIC_WORDS = 32
NEIGHBOUR_SHARE = 0.5
BM25_K1 = 1.2
BM25_B = 0.5
LEAD_BOOST = 1.0
_SENTENCE_END = re.compile(r"(?<=[.!?:])\s")


def stem(token: str) -> str | None:
    """The comparison key of a word token, or None for punctuation, numbers and function words.
    British and American spellings share a key ("colour" ~ "color", "centre" ~ "center").

    Example:
        >>> [stem(w) for w in (" cooking", " berries", " glasses", "Tomatoes", " of", " colours")]
        ['cook', 'berry', 'glass', 'tomato', None, 'color']
    """
    word = token.strip().lower()
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) < 2 or not word.isalpha() or word in STOPWORDS:
        return None
    key = _stem(word)
    if len(key) > 5 and key.endswith("our"):
        return key[:-3] + "or"
    if len(key) > 4 and key.endswith("tre"):
        return key[:-3] + "ter"
    return key


def _stem(word: str) -> str:
    if len(word) > 5 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "ches", "shes", "xes", "oes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def term(token: str) -> str | None:
    """What a token counts as when matching a prompt to paragraphs: its stem, or a number of three
    digits ("status code 429": such numbers name things), else None.

    Example:
        >>> [term(t) for t in (" Planets", " 429", " 7", " the")]
        ['planet', '#429', None, None]
    """
    word = token.strip()
    if len(word) == 3 and word.isdigit():
        return "#" + word
    return stem(token)


def message_text(message: dict) -> str:
    """The plain text of one chat message: string content, text parts, and tool call arguments.

    Example:
        >>> message_text({"role": "user", "content": [{"type": "text", "text": "Hi"}, {"type": "image_url"}]})
        'Hi'
    """
    content = message.get("content")
    if isinstance(content, str):
        parts = [content]
    elif isinstance(content, list):
        parts = [p.get("text", "") if isinstance(p, dict) else str(p) for p in content
                 if not isinstance(p, dict) or isinstance(p.get("text"), str)]
    else:
        parts = []
    for call in message.get("tool_calls") or ():
        function = (call or {}).get("function") or {}
        parts.append(f"{function.get('name', '')}({function.get('arguments', '')})")
    return "\n".join(p for p in parts if p)


def render_messages(messages: Sequence[dict]) -> str:
    """The chat transcript the model reads, ending where the assistant's answer begins.

    Example:
        >>> render_messages([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}])
        'system: Be brief.\\n\\nuser: Hi\\n\\nassistant:'
    """
    parts = [f"{m.get('role', 'user')}: {message_text(m)}\n\n" for m in messages]
    return "".join(parts) + "assistant:"


def weighted_texts(context: str | Sequence[dict]) -> list[tuple[str, float]]:
    """(text, weight) pairs of a prompt for the cache: the last user message weighs most.

    Example:
        >>> weighted_texts([{"role": "user", "content": "a"}, {"role": "user", "content": "b"}])
        [('a', 0.4), ('b', 1.0)]
    """
    if isinstance(context, str):
        return [(context, 1.0)]
    last_user = max((i for i, m in enumerate(context) if m.get("role") == "user"), default=-1)
    out = []
    for i, m in enumerate(context):
        weight = LAST_USER_WEIGHT if i == last_user else ROLE_WEIGHTS.get(m.get("role", "user"), 0.3)
        out.append((message_text(m), weight))
    return out


def query_stems(context: str | Sequence[dict]) -> tuple[Counter, list[str]]:
    """Weighted content-word stems of a prompt, and its distinct content words in order of appearance.

    Example:
        >>> q, words = query_stems("Tell me about the planets and the planet Mars")
        >>> q["planet"], words
        (2.0, [' planets', ' planet', ' Mars'])
    """
    weights: Counter = Counter()
    words: dict[str, None] = {}
    for text, weight in weighted_texts(context):
        for piece in pretokenize(text):
            key = term(piece)
            if key is None:
                continue
            weights[key] += weight
            if weight >= 0.5:
                words.setdefault(" " + piece.strip(), None)
    return weights, list(words)


def question_stems(context: str | Sequence[dict]) -> Counter:
    """Weighted content-word stems of what is being asked: the conversation without its system or
    developer instructions (weighted as in `weighted_texts`: the last user message most).

    A system prompt ("You are a friendly science teacher") shapes the answer but is not what it is
    about: it may help to choose paragraphs, not decide whether the model knows the subject.

    Example:
        >>> question_stems([{"role": "system", "content": "Be a teacher."},
        ...                 {"role": "user", "content": "Why is the sky blue?"}])
        Counter({'sky': 1.0, 'blue': 1.0})
    """
    if not isinstance(context, str):
        asked = [m for m in context if m.get("role") not in INSTRUCTION_ROLES]
        context = asked or context
    weights: Counter = Counter()
    for text, weight in weighted_texts(context):
        weights.update({s: weight for s in map(term, pretokenize(text)) if s})
    return weights


def topic_query(weights: Counter, framing_weight: float = FRAMING_WEIGHT) -> Counter:
    """The query stems with framing words (see FRAMING) down-weighted, for retrieval.

    Example:
        >>> topic_query(Counter({"fact": 1.0, "volcano": 1.0}))
        Counter({'volcano': 1.0, 'fact': 0.2})
    """
    return Counter({s: w * framing_weight if s in FRAMING else w for s, w in weights.items()})


@dataclass
class Document:
    """One answer the topic model can draw on: its content stems and its token-id sequences."""

    stems: Counter
    sequences: list[list[int]]
    lead: Counter = field(default_factory=Counter)  # stems of the first sentence


@dataclass
class Match:
    """The documents a query retrieved, best first, their scores, and how well the best one fits.

    `strength` is the largest share of the question's idf-weighted words that a document contains
    (1.0: every content word of the question occurs in it; 0.0: nothing matched).
    """

    ids: list[int]
    scores: list[float]
    strength: float


@dataclass
class TopicIndex:
    """A BM25 index over documents (corpus paragraphs, plus fine-tuning answers).

    Example:
        >>> idx = TopicIndex([Document(Counter({"moon": 1}), [[1]]), Document(Counter({"soup": 1}), [[2]])])
        >>> idx.search(Counter({"soup": 1.0}))
        [1]
        >>> round(idx.match(Counter({"soup": 1.0, "zorblax": 1.0})).strength, 2)
        0.28
    """

    documents: list[Document]
    postings: dict[str, list[tuple[int, float]]] = field(init=False)
    idf: dict[str, float] = field(init=False)

    def __post_init__(self):
        n = len(self.documents)
        df: Counter = Counter()
        for doc in self.documents:
            df.update(doc.stems.keys())
        # BM25's idf; a word no document has is as specific as a word can be.
        self.idf = {s: math.log(1 + (n - c + 0.5) / (c + 0.5)) for s, c in df.items()}
        self.unseen_idf = math.log(1 + (n + 0.5) / 0.5)
        lengths = [sum(doc.stems.values()) for doc in self.documents]
        average = sum(lengths) / max(n, 1) or 1.0
        self.postings = defaultdict(list)
        for i, doc in enumerate(self.documents):
            # BM25 term weights: repeated words saturate, and a long paragraph is only mildly
            # penalized (plain cosine normalization let one-line paragraphs win on a single word).
            # A word of the first sentence counts extra: answers name their subject first
            # ("Friction is ..."), while a word further on is often a passing mention.
            norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths[i] / average)
            for s, c in doc.stems.items():
                c += LEAD_BOOST * doc.lead.get(s, 0)
                self.postings[s].append((i, c * (BM25_K1 + 1) / (c + norm)))

    def match(self, query: Counter, k: int = 4, relative: float = 0.5,
              neighbour_share: float = NEIGHBOUR_SHARE, coverage: float = 0.0,
              focus: Counter | None = None) -> Match:
        """The best-matching documents, best first: those holding at least `coverage` times the most
        any document holds of the `focus` words (default: the query's; idf-weighted), and of these
        at most k, each scoring at least `relative` times the best score.

        Ties are broken by document order, so the answer is deterministic.
        """
        focus = query if focus is None else focus
        scores: dict[int, float] = defaultdict(float)
        for s, w in query.items():
            idf = self.idf.get(s)
            for i, v in self.postings[s] if idf is not None else ():
                scores[i] += w * idf * v
        covered: dict[int, float] = defaultdict(float)
        total = 0.0
        for s, w in focus.items():
            idf = self.idf.get(s)
            total += w * (self.unseen_idf if idf is None else idf)
            for i, _ in self.postings[s] if idf is not None else ():
                covered[i] += w * idf
        if not scores:
            return Match([], [], 0.0)
        # Neighbouring paragraphs of the corpus are on the same topic: a paragraph whose neighbours
        # also match is more likely *about* the query than one that mentions a query word in passing.
        smoothed = {i: sc + neighbour_share * (scores.get(i - 1, 0.0) + scores.get(i + 1, 0.0))
                    for i, sc in scores.items()}
        ranked = sorted(smoothed.items(), key=lambda kv: (-kv[1], kv[0]))
        # A paragraph holding fewer of the question's words than another one does is about
        # something else ("rainbow form" -> a paragraph on how rocks *form*), however well it
        # matches the rest of the conversation (a system prompt, say).
        best_cover = max(covered.values(), default=0.0)
        ranked = [(i, sc) for i, sc in ranked if covered[i] >= coverage * best_cover]
        chosen = [(i, sc) for i, sc in ranked if sc >= relative * ranked[0][1]][:k]
        return Match([i for i, _ in chosen], [sc for _, sc in chosen],
                     best_cover / total if total else 0.0)

    def search(self, query: Counter, k: int = 4, relative: float = 0.5) -> list[int]:
        """Indices of the best-matching documents (see `match`)."""
        return self.match(query, k, relative).ids


def document_from_text(text: str, sequences: list[list[int]], extra: Iterable[str] = ()) -> Document:
    """A document whose stems come from `text` (and `extra` texts such as a training prompt).

    Example:
        >>> document_from_text("Soup is warm.", [[1, 2]]).stems
        Counter({'soup': 1, 'warm': 1})
    """
    stems: Counter = Counter()
    for t in (text, *extra):
        stems.update(s for s in map(term, pretokenize(t)) if s)
    first = _SENTENCE_END.split(text.strip(), maxsplit=1)[0]
    return Document(stems, sequences, Counter(s for s in map(term, pretokenize(first)) if s))
