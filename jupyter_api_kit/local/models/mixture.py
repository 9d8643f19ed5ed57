"""How a raw text prompt steers its continuation (`continuation`): retrieval settings and mixture weights.

`Mixture` holds every knob of `continuation.condition` and `continuation.distribution` that is
not learned from text. The weights may depend on the prompt and on the history (here: on how many of
the last tokens the topic model has seen), never on the token being scored, so each mixture is a
proper distribution and the logprobs the model reports stay exact.

Example:
    >>> DEFAULT_MIXTURE.topic_weight(depth=0) < DEFAULT_MIXTURE.topic_weight(depth=4) < 1
    True
"""

from __future__ import annotations

from dataclasses import dataclass

from jupyter_api_kit.local.models.context import FRAMING_WEIGHT
from jupyter_api_kit.local.models.knowledge import TOPIC_EXTRA_ORDER
from jupyter_api_kit.local.models.ngram import MAX_DISCOUNT


@dataclass(frozen=True)
class Mixture:
    """How a prompt steers the model: retrieval and mixture weights.

    The defaults were tuned on the "tune" prompts of benchmarks/bench_topicality.py.

    Example:
        >>> Mixture().topic_weight(depth=4) > Mixture().topic_weight(depth=1)
        True
    """

    # Topic weight by how many of the last tokens the topic model has seen as a context (0, 1, ...;
    # deeper contexts take the last entry; at depth 0 the topic model equals the rest of the
    # mixture, so its weight does not matter).
    # Following a paragraph word for word is kept to; after a detour the general model carries
    # the sentence until the topic model recognises the context again.
    topic_by_depth: tuple[float, ...] = (0.6, 0.8, 0.9, 0.95, 0.98)
    # Cache weight by the same depth: the prompt's words help most where the answer has lost the
    # thread, and read as non sequiturs in the middle of a paragraph being followed.
    cache_by_depth: tuple[float, ...] = (0.015, 0.005, 0.001, 0.001, 0.001)
    cache_without_topic: float = 0.03
    cache_idf: bool = True          # weight cached words by idf: the prompt's rare words most
    topic_documents: int = 6
    relative: float = 0.5           # keep paragraphs scoring at least this share of the best one
    coverage: float = 0.75          # ... and matching this share of the query words the best one does
    neighbour_share: float = 0.1
    framing_weight: float = FRAMING_WEIGHT
    topic_extra_order: int = TOPIC_EXTRA_ORDER  # the topic model's order above the general model's
    topic_discount: float = MAX_DISCOUNT  # its largest Kneser-Ney discount (smaller: follows more closely)
    best_repeats: int = 2           # copies of the best paragraph in the topic model's counts
    lead_margin: float = 0.9        # ... and of any paragraph scoring at least this share of the best
    top_extra: int = 1              # extra copies of the very best one
    # Below this match strength (share of the question's idf-weighted words in the best paragraph)
    # the question is about something the model does not know: it says so (Knowledge.fallback).
    unknown_below: float = 0.25

    def topic_weight(self, depth: int) -> float:
        """The topic model's weight where it has seen the last `depth` tokens as a context.

        Example:
            >>> Mixture(topic_by_depth=(0.5, 0.9)).topic_weight(6)
            0.9
        """
        return self.topic_by_depth[min(depth, len(self.topic_by_depth) - 1)]

    def cache_weight(self, depth: int | None) -> float:
        """The cache's weight at a topic-model depth (None: the prompt retrieved no topic).

        Example:
            >>> Mixture().cache_weight(None) > Mixture().cache_weight(0) > Mixture().cache_weight(4)
            True
        """
        if depth is None:
            return self.cache_without_topic
        return self.cache_by_depth[min(depth, len(self.cache_by_depth) - 1)]


DEFAULT_MIXTURE = Mixture()
