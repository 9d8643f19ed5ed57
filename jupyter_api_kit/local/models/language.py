"""The local language model: an honest n-gram model whose logprobs are its real probabilities.

The next-token distribution is built from proper distributions over the model's vocabulary, each
mixed into the previous one:

    p  = KN(w | history)                                  general trigram, Kneser-Ney, from the corpus
    p  = (1 - t) p + t Topic(w | history; backoff=p)      7-gram of the paragraphs the prompt is about
    p  = (1 - c) p + c Cache(w)                            the prompt's content words, rare ones most
    p  = (1 - a) p + a Adapter(w | history; backoff=p)     fine-tuning, if any
    P  = (1 - f) p + f / |vocabulary|                      smoothing floor

The topic and adapter models only add what they know about contexts they have seen and equal `p`
elsewhere, so every token has probability > 0, the whole thing sums to 1, and the logprob reported
for a token is exactly log P. Chat answers start from a "start of answer" context and end at the
end-of-answer token `<|endoftext|>`, learned at every paragraph end of the training text.

How the prompt steers (see `Mixture`; every choice depends only on the prompt and the history, so
the mixture stays a proper distribution):
* the topic paragraphs are found with BM25 over content-word stems (and three-digit numbers),
  words that frame a question ("fact", "work") counting little; the best paragraphs count most in the topic model, and a
  paragraph matching other words of the question than the best one is left out;
* the weights t and c depend on how many of the last tokens the topic model has seen as a context:
  a paragraph being followed is kept to (t up to 0.98, hardly any cache), and after a detour the
  general model and the cache carry the sentence until the topic model recognises it again;
* a question whose main words no paragraph holds gets an honest "I do not know much about that"
  paragraph (corpus_unknown.txt) as its topic, and small talk ("how are you?", which has no content
  words) is matched as a whole message to the answers of corpus_small_talk.txt;
* for a fine-tuned model asked something like a training prompt, the retrieved training answer
  leads: the adapter, which cannot tell training prompts apart, is mixed in under the topic model.

A content word of the prompt that the model has no form of is added to the vocabulary of that
request (the cache gives it mass), so the model can echo a name it was told.

Example:
    >>> model = get_language_model("local-ngram")
    >>> gen = model.generate([{"role": "user", "content": "Tell me about the planets."}], seed=7)
    >>> answer = "".join(tok.text for tok in gen)
    >>> gen.finish_reason in ("stop", "length"), all(tok.logprob <= 0 for tok in gen.tokens)
    (True, True)
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from jupyter_api_kit.local.models.context import (FRAMING, MAX_DYNAMIC_WORDS, message_text,
                                                   query_stems, question_stems, render_messages,
                                                   stem, topic_query)
from jupyter_api_kit.local.models.generation import Generation, validate_sampling
from jupyter_api_kit.local.models.knowledge import (Knowledge, base_knowledge, build_knowledge,
                                                     last_paragraph, split_paragraphs)
from jupyter_api_kit.local.models.mixture import DEFAULT_MIXTURE, LEGACY_MIXTURE, Mixture
from jupyter_api_kit.local.models.ngram import UNKNOWN, NGramModel

__all__ = ["DEFAULT_LANGUAGE_MODEL", "DEFAULT_MIXTURE", "LANGUAGE_MODELS", "LEGACY_MIXTURE",
           "Conditioning", "LanguageModel", "Knowledge", "Mixture", "build_knowledge",
           "get_language_model", "load_model_bytes", "split_paragraphs"]

DEFAULT_LANGUAGE_MODEL = "local-ngram"
LANGUAGE_MODELS = {
    "local-ngram": "Offline trigram Kneser-Ney model with topic and cache components; honest logprobs.",
    "local-ngram-small": "Offline bigram variant of local-ngram: less fluent, wanders more.",
}
_ORDERS = {"local-ngram": 3, "local-ngram-small": 2}

FLOOR_WEIGHT = 1e-4

_models: dict[str, LanguageModel] = {}
_lock = threading.Lock()


@dataclass
class Conditioning:
    """Everything a prompt fixes for one request: its vocabulary, starting history, cache, topic."""

    tokens: list[str]
    history: list[int]
    cache: np.ndarray | None
    topic: NGramModel | None
    prompt_tokens: int
    strength: float = 0.0  # share of the prompt's content words in the best paragraph (see Mixture)
    adapter_first: bool = False  # mix a fine-tuning adapter in before the topic model, not after


def get_language_model(model_id: str = DEFAULT_LANGUAGE_MODEL) -> LanguageModel:
    """The cached base model for an id in LANGUAGE_MODELS; KeyError for any other id.

    Example:
        >>> get_language_model("local-ngram") is get_language_model("local-ngram")
        True
    """
    if model_id not in LANGUAGE_MODELS:
        raise KeyError(model_id)
    model = _models.get(model_id)
    if model is None:
        knowledge = base_knowledge(_ORDERS[model_id])
        with _lock:
            model = _models.setdefault(model_id, LanguageModel(model_id, knowledge))
    return model


class LanguageModel:
    """A local language model: base knowledge plus, after fine-tuning, an adapter.

    Example:
        >>> m = get_language_model("local-ngram")
        >>> m.id, m.count_tokens("Hello, world!")
        ('local-ngram', 4)
    """

    eos_id = 0

    def __init__(self, model_id: str, base: Knowledge, adapter=None, base_id: str | None = None,
                 mixture: Mixture = DEFAULT_MIXTURE):
        self.id = model_id
        self.mixture = mixture
        self.base = base
        self.base_id = base_id or model_id
        self.adapter = adapter  # a finetune.Adapter, or None for a base model
        self.knowledge = adapter.knowledge if adapter is not None else base

    def __repr__(self) -> str:
        return f"<LanguageModel {self.id!r}, {len(self.vocabulary)} tokens>"

    @property
    def vocabulary(self) -> list[str]:
        """Token strings the model can produce; index 0 is the end-of-answer token."""
        return self.knowledge.vocabulary

    def encode(self, text: str) -> list[str]:
        """Token strings of a text; `"".join(model.encode(text)) == text` for any text.

        Example:
            >>> get_language_model().encode("The dog is happy. Zebras!")
            ['The', ' dog', ' is', ' happy', '.', ' Z', 'eb', 'ra', 's', '!']
        """
        return self.knowledge.tokenizer.encode(text)

    def count_tokens(self, text: str) -> int:
        """Number of tokens of a text.

        Example:
            >>> get_language_model().count_tokens("")
            0
        """
        return len(self.encode(text))

    # -- conditioning and distributions -------------------------------------------------------

    def condition(self, context: str | Sequence[dict] | Sequence[str]) -> Conditioning:
        """What a prompt fixes for a request (see `Conditioning`); rarely needed directly.

        `context` is a raw prompt string, a list of chat messages, or a list of token strings
        (treated as the raw prompt they spell).
        """
        knowledge = self.knowledge
        tokenizer = knowledge.tokenizer
        if not isinstance(context, str) and context and isinstance(context[0], str):
            context = "".join(context)
        if isinstance(context, str):
            prompt = tokenizer.encode(context)
            history = last_paragraph(prompt)
            history_ids = tokenizer.ids(history, unknown=UNKNOWN)
        else:
            prompt = tokenizer.encode(render_messages(context))
            history_ids = []
        weights, words = query_stems(context)
        # Only words whose stem the model has no form of: a known stem already has tokens to boost.
        extras = [w for w in words if w not in tokenizer.index and w.strip().isalpha()
                  and len(w) > 3 and stem(w) not in knowledge.stem_forms][:MAX_DYNAMIC_WORDS]
        tokens = knowledge.vocabulary + extras if extras else knowledge.vocabulary
        query = topic_query(weights, self.mixture.framing_weight)
        cache = self._cache(query, extras, len(tokens)) if weights else None
        doc_ids, scores, strength = self._topic_documents(context, query)
        topic, adapter_first = None, False
        if doc_ids:
            mix = self.mixture
            # The best paragraphs (within a few percent of the top score) lead, the very best a
            # little more, so that a greedy answer starts on it; the others only lend phrases.
            repeats = [mix.best_repeats + (i == 0 and mix.top_extra)
                       if sc >= mix.lead_margin * scores[0] else 1 for i, sc in enumerate(scores)]
            first = len(self.base.documents)
            if self.adapter is not None and any(i >= first for i in doc_ids):
                # The prompt is like a training prompt: the topic model follows the trained
                # answer (counting more the longer the model was trained), and the adapter,
                # which cannot tell training prompts apart, only fills in under it.
                extra = 1 + int(self.adapter.strength)
                repeats = [r * extra if i >= first else r for i, r in zip(doc_ids, repeats)]
                adapter_first = True
            topic = knowledge.topic_model(doc_ids, repeats, mix.topic_extra_order, mix.topic_discount)
        return Conditioning(tokens, history_ids, cache, topic, len(prompt), strength, adapter_first)

    def _cache(self, query: Counter, extras: list[str], size: int) -> np.ndarray | None:
        """The cache distribution over a request's tokens: the prompt's content words, by weight
        (times idf: rare words most), spread over each word's forms as the corpus uses them."""
        knowledge = self.knowledge
        topics = knowledge.topics
        cache = np.zeros(size)
        extra_ids = {stem(w): len(knowledge.vocabulary) + i for i, w in enumerate(extras)}
        for key, weight in query.items():
            if self.mixture.cache_idf:
                weight *= topics.idf.get(key, topics.unseen_idf)
            forms = knowledge.stem_forms.get(key)
            if forms is not None:
                cache[forms[0]] += weight * forms[1]
            elif key in extra_ids:
                cache[extra_ids[key]] += weight
        total = cache.sum()
        return cache / total if total > 0 else None

    def _topic_documents(self, context, query: Counter) -> tuple[Sequence[int], list[float], float]:
        """Documents the answer should be about, their scores and the match strength (see Mixture)."""
        knowledge, mix = self.knowledge, self.mixture
        match = None
        if query:
            question = topic_query(question_stems(context), mix.framing_weight)
            match = knowledge.topics.match(query, k=mix.topic_documents, relative=mix.relative,
                                           neighbour_share=mix.neighbour_share,
                                           coverage=mix.coverage, focus=question)
            if match.ids and match.ids[0] >= len(self.base.documents):
                return match.ids, match.scores, match.strength  # like a fine-tuning prompt
        users = [m for m in context if m.get("role") == "user"] if not isinstance(context, str) else []
        talk = knowledge.small_talk_answers(message_text(users[-1])) if users else ()
        if talk:  # "How are you?" has no content words: it is answered as a whole
            return talk, [1.0] * len(talk), 1.0
        if match is None:  # a chat question without a single content word ("what is 2+2?")
            unclear = knowledge.fallback if users else ()
            return unclear, [1.0] * len(unclear), 0.0
        # Framing words alone ("tell me something interesting") are no unknown subject.
        if (match.strength < mix.unknown_below and knowledge.fallback
                and any(s not in FRAMING for s in question)):
            return knowledge.fallback, [1.0] * len(knowledge.fallback), match.strength
        return match.ids, match.scores, match.strength

    def distribution(self, cond: Conditioning, history: Sequence[int]) -> np.ndarray:
        """P(next token | history) over `cond.tokens`, given ids of the tokens so far."""
        size = len(cond.tokens)
        p = self.base.ngram.distribution(history, size)
        adapter = self.adapter if self.adapter is not None and self.adapter.weight > 0 else None
        if adapter is not None and cond.adapter_first:
            p = (1.0 - adapter.weight) * p + adapter.weight * adapter.ngram.distribution(history, size, p)
        mix = self.mixture
        topic = cond.topic
        depth = None
        if topic is not None:
            depth = topic.depth(history)
            t = mix.topic_weight(depth)
            p = (1.0 - t) * p + t * topic.distribution(history, size, p)
        if cond.cache is not None:
            c = mix.cache_weight(depth)
            p = (1.0 - c) * p + c * cond.cache
        if adapter is not None and not cond.adapter_first:
            p = (1.0 - adapter.weight) * p + adapter.weight * adapter.ngram.distribution(history, size, p)
        p = (1.0 - FLOOR_WEIGHT) * p + FLOOR_WEIGHT / size
        # Each part sums to 1 analytically; renormalizing only removes float rounding.
        p /= p.sum()
        return p

    def vocabulary_for(self, context) -> list[str]:
        """Tokens of a request's distribution: the vocabulary plus the prompt's new words.

        Example:
            >>> m = get_language_model()
            >>> m.vocabulary_for("Hello") == m.vocabulary
            True
        """
        return self.condition(context).tokens

    def next_distribution(self, context, generated: Sequence[str] = ()) -> np.ndarray:
        """P(next token) over `vocabulary_for(context)` after the prompt and the generated tokens.

        This is the distribution `generate` samples from and reports logprobs of: for the i-th
        token it yields, pass the texts of the tokens yielded before it.

        Example:
            >>> m = get_language_model()
            >>> p = m.next_distribution("The planets")
            >>> bool(abs(p.sum() - 1) < 1e-9), bool((p > 0).all())
            (True, True)
        """
        cond = self.condition(context)
        index = {t: i for i, t in enumerate(cond.tokens)}
        history = cond.history + [index.get(t, UNKNOWN) for t in generated]
        return self.distribution(cond, history)

    def generate(self, context, max_tokens: int | None = None, temperature: float = 1.0,
                 top_p: float = 1.0, seed: int | None = None, stop=None,
                 top_logprobs: int = 0) -> Generation:
        """Start generating an answer to `context` (a prompt string or chat messages); lazy.

        Example:
            >>> gen = get_language_model().generate("Hello!", max_tokens=3, temperature=0)
            >>> len(list(gen)) <= 3 and gen.finish_reason in ("stop", "length")
            True
        """
        stops = validate_sampling(max_tokens, temperature, top_p, stop, top_logprobs)
        return Generation(self, self.condition(context), max_tokens=max_tokens,
                          temperature=temperature, top_p=top_p, seed=seed, stop=stops,
                          top_logprobs=top_logprobs)

    def logprob(self, context, answer: str) -> float:
        """Total log-probability of `answer` (followed by end-of-answer) as the reply to `context`.

        Example:
            >>> get_language_model().logprob("Hi", "Hello!") < 0
            True
        """
        cond = self.condition(context)
        index = {t: i for i, t in enumerate(cond.tokens)}
        history = list(cond.history)
        total = 0.0
        for tok in self.encode(answer):
            i = index.get(tok)
            if i is None:  # a character the model cannot produce at all
                return float("-inf")
            total += float(np.log(self.distribution(cond, history)[i]))
            history.append(i)
        return total + float(np.log(self.distribution(cond, history)[self.eos_id]))

    # -- fine-tuning ---------------------------------------------------------------------------

    def fine_tune(self, texts, n_epochs=3, learning_rate_multiplier: float = 1.0,
                  seed: int | None = None, batch_size: int | None = None):
        """A lazy `FineTuneTrainer` over training examples; see `finetune` for the formats.

        Example:
            >>> trainer = get_language_model().fine_tune(["Zorblax is a purple moon."], n_epochs=2, seed=0)
            >>> [round(step.epoch) for step in trainer]
            [1, 2]
        """
        from jupyter_api_kit.local.models.finetune import FineTuneTrainer

        return FineTuneTrainer(self, texts, n_epochs=n_epochs,
                               learning_rate_multiplier=learning_rate_multiplier, seed=seed,
                               batch_size=batch_size)

    def to_bytes(self) -> bytes:
        """Compact serialized form: the base id plus the adapter (never the base model itself)."""
        from jupyter_api_kit.local.models.finetune import model_to_bytes

        return model_to_bytes(self)

    @classmethod
    def from_bytes(cls, blob: bytes) -> LanguageModel:
        """The model saved by `to_bytes`.

        Example:
            >>> m = get_language_model("local-ngram-small")
            >>> LanguageModel.from_bytes(m.to_bytes()) is m
            True
        """
        from jupyter_api_kit.local.models.finetune import load_model_bytes

        return load_model_bytes(blob)


def load_model_bytes(blob: bytes) -> LanguageModel:
    """Module-level alias of `LanguageModel.from_bytes`."""
    return LanguageModel.from_bytes(blob)
