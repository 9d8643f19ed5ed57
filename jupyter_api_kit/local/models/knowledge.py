"""What a local language model knows: vocabulary, tokenizer, general n-gram and topic index.

The base knowledge is trained on first use, once per process, from the corpus files: `corpus.txt`
(the general answers), `corpus_science.txt` and `corpus_school.txt` (class topics: space, the Earth,
weather, plants, animals, the body, history, maths, computing),
`corpus_unknown.txt` (what to say about a subject the corpus lacks) and `corpus_small_talk.txt`
(answers to greetings and thanks, under the messages they answer). A paragraph is one answer, ended
by the end-of-answer token. Fine-tuning builds an extended `Knowledge` that shares the base n-gram.

Example:
    >>> k = build_knowledge(2, "Hello there.\\n\\nHello again.")
    >>> k.vocabulary[0], k.tokenizer.encode("Hello there")
    ('<|endoftext|>', ['Hello', ' there'])
"""

from __future__ import annotations

import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from jupyter_api_kit.local.models.context import Document, TopicIndex, document_from_text, stem
from jupyter_api_kit.local.models.ngram import MAX_DISCOUNT, NGramModel
from jupyter_api_kit.local.models.paraphrase import wording_words
from jupyter_api_kit.local.models.sentences import split_sentences
from jupyter_api_kit.local.models.tokenizer import END_OF_TEXT, Tokenizer, pretokenize

CORPUS_PATH = Path(__file__).with_name("corpus.txt")
CORPUS_PATHS = (CORPUS_PATH, Path(__file__).with_name("corpus_science.txt"),
                Path(__file__).with_name("corpus_school.txt"))
# Honest answers for questions about things the corpus does not cover: they are retrieved when no
# paragraph matches the prompt's main words (see LanguageModel.condition).
UNKNOWN_PATH = Path(__file__).with_name("corpus_unknown.txt")
# Answers to small talk ("how are you?", "thanks!"), each group under a "> " line of the messages it
# answers: such messages have no content words to retrieve by, so they are matched as a whole.
SMALL_TALK_PATH = Path(__file__).with_name("corpus_small_talk.txt")
SMALL_TALK_MATCH = 0.6  # word-set overlap (Jaccard) a message needs with one of the listed ones
# The topic model is of higher order than the general one: the few retrieved paragraphs are
# followed more faithfully, which keeps answers from looping between two common phrases or
# jumping back to an earlier sentence of their paragraph.
TOPIC_EXTRA_ORDER = 4
_TOPIC_CACHE_SIZE = 128

_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*")


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs of a text (blank-line separated), without surrounding blank lines.

    Example:
        >>> split_paragraphs("One.\\n\\nTwo.\\nStill two.\\n")
        ['One.', 'Two.\\nStill two.']
    """
    return [p.strip("\n") for p in _PARAGRAPH_BREAK.split(text) if p.strip()]


def last_paragraph(tokens: list[str]) -> list[str]:
    """Tokens after the last blank line: a paragraph break starts a fresh answer.

    Example:
        >>> last_paragraph(["A", ".", "\\n", "\\n", "B"])
        ['B']
    """
    for i in range(len(tokens) - 1, 0, -1):
        if tokens[i] == "\n" and tokens[i - 1] == "\n":
            return tokens[i + 1:]
    return tokens


class Knowledge:
    """Vocabulary, tokenizer, n-gram and topic index of a model (base or fine-tuned).

    Built once per process and shared by every request; nothing in it changes after construction,
    which is what makes concurrent requests safe.
    """

    def __init__(self, order: int, tokenizer: Tokenizer, ngram: NGramModel,
                 documents: list[Document], token_counts: Counter, fallback: Sequence[int] = (),
                 small_talk: Sequence[tuple[frozenset, tuple[int, ...]]] = (),
                 paragraphs: Sequence[str] = ()):
        self.order = order
        # The text of each document, and the units a chat answer may say of it: its sentences, or
        # the whole paragraph when it is laid out in lines (a list, a poem).
        self.paragraphs = list(paragraphs)
        self.units = [[p] if "\n" in p else split_sentences(p) or [p] for p in self.paragraphs]
        self.fallback = tuple(fallback)  # ids of the documents answering unknown questions
        self.small_talk = tuple(small_talk)  # (words of a message, ids of the documents answering it)
        self._small_talk_words = frozenset(w for key, _ in self.small_talk for w in key)
        self.tokenizer = tokenizer
        self.vocabulary = tokenizer.vocabulary
        self.ngram = ngram
        self.topics = TopicIndex(documents)
        self.documents = documents
        self.token_counts = token_counts
        # stem -> (token ids, weights): a cached word spreads its mass over the mid-sentence forms
        # the model uses (" planet", " planets") in proportion to how often it used them. Forms
        # without a leading space only start answers, which is the topic model's business: cached,
        # they would be glued to the previous word anywhere in the answer.
        groups: dict[str, list[tuple[int, int]]] = {}
        for token, count in token_counts.items():
            key = stem(token) if token.startswith(" ") else None
            if key is not None and count > 0 and token in tokenizer.index:
                groups.setdefault(key, []).append((tokenizer.index[token], count))
        self.stem_forms = {k: (np.array([i for i, _ in v]), np.array([c for _, c in v], float) /
                               sum(c for _, c in v)) for k, v in groups.items()}
        self._topic_models: OrderedDict[tuple, NGramModel] = OrderedDict()
        self._topic_lock = threading.Lock()

    def small_talk_answers(self, message: str) -> tuple[int, ...]:
        """Ids of the small-talk answers to a message, or () if it is no small talk.

        Example:
            >>> k = build_knowledge(2, "Hi.", small_talk="> how are you | hi there\\nFine, thanks.")
            >>> k.small_talk_answers("Hi, how are you?"), k.small_talk_answers("How are volcanoes?")
            ((1,), ())
        """
        words = message_words(message)
        # A content word no small talk uses ("how do you play *chess*") makes it a real question.
        if any(w not in self._small_talk_words and stem(" " + w) for w in words):
            return ()
        scored = [(len(words & key) / len(words | key), answers) for key, answers in self.small_talk
                  if words & key]
        best = max((overlap for overlap, _ in scored), default=0.0)
        if best < SMALL_TALK_MATCH:
            return ()
        ids: dict[int, None] = {}
        for overlap, answers in scored:
            if overlap == best:
                ids.update(dict.fromkeys(answers))
        return tuple(ids)

    def topic_model(self, doc_ids: Sequence[int], repeats: Sequence[int] = (),
                    extra_order: int = TOPIC_EXTRA_ORDER,
                    max_discount: float = MAX_DISCOUNT) -> NGramModel:
        """The topic n-gram of some documents; `repeats[i]` copies of document `doc_ids[i]` (default 1).

        Repeating the best match multiplies its counts, so where the retrieved paragraphs disagree
        the best one is followed; Kneser–Ney's lower orders (distinct contexts) are unchanged.
        """
        repeats = tuple(repeats) or (1,) * len(doc_ids)
        key = (tuple(doc_ids), repeats, extra_order, max_discount)
        with self._topic_lock:
            model = self._topic_models.get(key)
            if model is not None:
                self._topic_models.move_to_end(key)
                return model
        seqs = [s for i, r in zip(key[0], repeats) for s in self.documents[i].sequences * r]
        model = NGramModel(seqs, vocab_size=len(self.vocabulary), order=self.order + extra_order,
                           max_discount=max_discount)
        with self._topic_lock:
            self._topic_models[key] = model
            while len(self._topic_models) > _TOPIC_CACHE_SIZE:
                self._topic_models.popitem(last=False)
        return model


def _fallback_pieces(words: Counter) -> list[str]:
    """Sub-word pieces so unknown words split into a few pieces rather than single characters."""
    pieces: dict[str, None] = {}
    for c in map(chr, range(32, 127)):
        pieces[c] = None
        if c.isalnum():
            pieces[" " + c] = None
    grams: Counter = Counter()
    for word, count in words.items():
        bare = word.strip()
        if bare.isalpha():
            pieces[bare] = None
            pieces[bare.lower()] = None
            low = bare.lower()
            for n in (2, 3):
                for i in range(len(low) - n + 1):
                    grams[low[i:i + n]] += count
    for gram, _ in grams.most_common(600):
        pieces[gram] = None
    return list(pieces)


def message_words(text: str) -> frozenset:
    """The set of lower-case words of a message, for matching small talk.

    Example:
        >>> sorted(message_words("Hi, how are YOU?"))
        ['are', 'hi', 'how', 'you']
    """
    return frozenset(re.findall(r"[a-z]+", text.lower()))


def parse_small_talk(text: str) -> list[tuple[list[frozenset], list[str]]]:
    """Groups of (messages as word sets, answer paragraphs) of a small-talk file.

    Example:
        >>> parse_small_talk("> hi | hello\\nHello!\\n\\nHi there!")
        [([frozenset({'hi'}), frozenset({'hello'})], ['Hello!', 'Hi there!'])]
    """
    groups: list[tuple[list[frozenset], list[str]]] = []
    for para in split_paragraphs(text):
        if para.startswith("> "):
            head, _, para = para.partition("\n")
            groups.append(([message_words(m) for m in head[2:].split("|")], []))
        if para.strip() and groups:
            groups[-1][1].append(para)
    return groups


def build_knowledge(order: int, corpus: str, unknown: str = "", small_talk: str = "",
                    words: Sequence[str] = ()) -> Knowledge:
    """Train the base model of the given n-gram order on a corpus text (paragraph = one answer).

    The paragraphs of `unknown` are trained on too, and are the answers to questions the corpus
    has nothing on (`Knowledge.fallback`); `small_talk` is a small-talk file (see
    `parse_small_talk`) whose answers are trained on unless the corpus has them already. `words` are
    pre-tokens an answer may say that the texts may not have (the other wordings of
    `paraphrase.wording_words`); they come last in the vocabulary, so the ids of the texts' tokens
    do not depend on them.

    Example:
        >>> k = build_knowledge(2, "Hello there.\\n\\nHello again.", unknown="No idea.")
        >>> k.vocabulary[0], " there" in k.tokenizer.index, k.fallback
        ('<|endoftext|>', True, (2,))
    """
    where: dict[str, int] = {}
    for para in split_paragraphs(corpus):
        where.setdefault(para, len(where))
    fallback = tuple(where.setdefault(a, len(where)) for a in split_paragraphs(unknown))
    talk = []
    for messages, answers in parse_small_talk(small_talk):
        ids = tuple(where.setdefault(a, len(where)) for a in answers)
        talk += [(m, ids) for m in messages if m]
    paragraphs = list(where)
    split = [pretokenize(p) for p in paragraphs]
    counts: Counter = Counter(t for toks in split for t in toks)
    vocab: dict[str, None] = {END_OF_TEXT: None}
    for toks in split:
        for t in toks:
            vocab.setdefault(t, None)
    for piece in _fallback_pieces(counts):
        vocab.setdefault(piece, None)
    for word in words:
        vocab.setdefault(word, None)
    tokenizer = Tokenizer(vocab)
    index = tokenizer.index
    seqs = [[index[t] for t in toks] + [0] for toks in split]
    ngram = NGramModel(seqs, vocab_size=len(tokenizer), order=order)
    documents = [document_from_text(p, [s]) for p, s in zip(paragraphs, seqs)]
    return Knowledge(order, tokenizer, ngram, documents, counts, fallback, talk, paragraphs)


def corpus_text(paths: Sequence[Path] = CORPUS_PATHS) -> str:
    """The training text: the corpus files, one after the other (paragraphs stay apart).

    Example:
        >>> "Volcano" in corpus_text() and corpus_text().startswith("Hello!")
        True
    """
    return "\n\n".join(p.read_text(encoding="utf-8").strip("\n") for p in paths)


_knowledge: dict[int, Knowledge] = {}
_lock = threading.Lock()


def base_knowledge(order: int) -> Knowledge:
    """The shared base model of an order, trained on first use (once per process, thread-safe)."""
    knowledge = _knowledge.get(order)
    if knowledge is None:
        with _lock:
            knowledge = _knowledge.get(order)
            if knowledge is None:
                knowledge = build_knowledge(order, corpus_text(),
                                            UNKNOWN_PATH.read_text(encoding="utf-8"),
                                            SMALL_TALK_PATH.read_text(encoding="utf-8"), wording_words())
                _knowledge[order] = knowledge
    return knowledge
