"""Continuing a raw text prompt (the legacy completions API): an n-gram mixture, honest to the digit.

The next-token distribution is built from proper distributions over the model's vocabulary, each
mixed into the previous one:

    p  = KN(w | history)                                  general trigram, Kneser-Ney, from the corpus
    p  = (1 - t) p + t Topic(w | history; backoff=p)      7-gram of the paragraphs the prompt is about
    p  = (1 - c) p + c Cache(w)                            the prompt's content words, rare ones most
    p  = (1 - a) p + a Adapter(w | history; backoff=p)     fine-tuning, if any
    P  = (1 - f) p + f / |vocabulary|                      smoothing floor

The topic and adapter models only add what they know about contexts they have seen and equal `p`
elsewhere, so every token has probability > 0 and the whole sums to 1. The weights t and c depend
on how many of the last tokens the topic model has seen as a context (see `Mixture`), never on the
token scored. A content word of the prompt that the model has no form of is added to the vocabulary
of the request (the cache gives it mass), so a continuation can echo a name.

Example:
    >>> from jupyter_api_kit.local.models.language import get_language_model
    >>> model = get_language_model()
    >>> cond = condition(model, "The planets")
    >>> p = distribution(model, cond, cond.history)
    >>> bool(abs(p.sum() - 1) < 1e-9), cond.prompt_tokens
    (True, 2)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from jupyter_api_kit.local.models.context import FRAMING, MAX_DYNAMIC_WORDS, query_stems, stem, topic_query
from jupyter_api_kit.local.models.knowledge import last_paragraph
from jupyter_api_kit.local.models.ngram import UNKNOWN, NGramModel

FLOOR_WEIGHT = 1e-4


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


def condition(model, context: str | Sequence[str]) -> Conditioning:
    """What a prompt (a string, or the token strings spelling it) fixes for a request."""
    knowledge = model.knowledge
    tokenizer = knowledge.tokenizer
    if not isinstance(context, str):
        context = "".join(context)
    prompt = tokenizer.encode(context)
    history_ids = tokenizer.ids(last_paragraph(prompt), unknown=UNKNOWN)
    weights, words = query_stems(context)
    # Only words whose stem the model has no form of: a known stem already has tokens to boost.
    extras = [w for w in words if w not in tokenizer.index and w.strip().isalpha()
              and len(w) > 3 and stem(w) not in knowledge.stem_forms][:MAX_DYNAMIC_WORDS]
    tokens = knowledge.vocabulary + extras if extras else knowledge.vocabulary
    query = topic_query(weights, model.mixture.framing_weight)
    cache = _cache(model, query, extras, len(tokens)) if weights else None
    doc_ids, scores, strength = _topic_documents(model, query)
    topic, adapter_first = None, False
    if doc_ids:
        mix = model.mixture
        # The best paragraphs (within a few percent of the top score) lead, the very best a little
        # more, so that a greedy continuation starts on it; the others only lend phrases.
        repeats = [mix.best_repeats + (i == 0 and mix.top_extra)
                   if sc >= mix.lead_margin * scores[0] else 1 for i, sc in enumerate(scores)]
        first = len(model.base.documents)
        if model.adapter is not None and any(i >= first for i in doc_ids):
            # The prompt is like a training prompt: the topic model follows the trained answer
            # (counting more the longer the model was trained), and the adapter, which cannot tell
            # training prompts apart, only fills in under it.
            extra = 1 + int(model.adapter.strength)
            repeats = [r * extra if i >= first else r for i, r in zip(doc_ids, repeats)]
            adapter_first = True
        topic = knowledge.topic_model(doc_ids, repeats, mix.topic_extra_order, mix.topic_discount)
    return Conditioning(tokens, history_ids, cache, topic, len(prompt), strength, adapter_first)


def _cache(model, query: Counter, extras: list[str], size: int) -> np.ndarray | None:
    """The cache distribution over a request's tokens: the prompt's content words, by weight (times
    idf: rare words most), spread over each word's forms as the corpus uses them."""
    knowledge = model.knowledge
    topics = knowledge.topics
    cache = np.zeros(size)
    extra_ids = {stem(w): len(knowledge.vocabulary) + i for i, w in enumerate(extras)}
    for key, weight in query.items():
        if model.mixture.cache_idf:
            weight *= topics.idf.get(key, topics.unseen_idf)
        forms = knowledge.stem_forms.get(key)
        if forms is not None:
            cache[forms[0]] += weight * forms[1]
        elif key in extra_ids:
            cache[extra_ids[key]] += weight
    total = cache.sum()
    return cache / total if total > 0 else None


def _topic_documents(model, query: Counter) -> tuple[Sequence[int], list[float], float]:
    """Documents the continuation should be about, their scores and the match strength."""
    knowledge, mix = model.knowledge, model.mixture
    if not query:
        return (), [], 0.0
    match = knowledge.topics.match(query, k=mix.topic_documents, relative=mix.relative,
                                   neighbour_share=mix.neighbour_share, coverage=mix.coverage)
    if match.ids and match.ids[0] >= len(model.base.documents):
        return match.ids, match.scores, match.strength  # like a fine-tuning prompt
    # Framing words alone ("something interesting") are no unknown subject.
    if (match.strength < mix.unknown_below and knowledge.fallback
            and any(s not in FRAMING for s in query)):
        return knowledge.fallback, [1.0] * len(knowledge.fallback), match.strength
    return match.ids, match.scores, match.strength


def distribution(model, cond: Conditioning, history: Sequence[int]) -> np.ndarray:
    """P(next token | history) over `cond.tokens`, given ids of the tokens so far."""
    size = len(cond.tokens)
    p = model.base.ngram.distribution(history, size)
    adapter = model.adapter if model.adapter is not None and model.adapter.weight > 0 else None
    if adapter is not None and cond.adapter_first:
        p = (1.0 - adapter.weight) * p + adapter.weight * adapter.ngram.distribution(history, size, p)
    mix = model.mixture
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
    p /= p.sum()  # each part sums to 1 analytically; renormalizing only removes float rounding
    return p


class NGramDecoder:
    """The decoder of a raw text prompt (see `LanguageModel.decoder`)."""

    def __init__(self, model, cond: Conditioning):
        self.model = model
        self.cond = cond
        self.tokens = cond.tokens
        self.history = list(cond.history)

    def probabilities(self) -> np.ndarray:
        return distribution(self.model, self.cond, self.history)

    def advance(self, token: int) -> None:
        self.history.append(token)
