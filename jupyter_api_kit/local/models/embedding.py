"""The local embedding model `local-embed`: deterministic hashing embeddings.

A text becomes a bag of features: its content words (crudely stemmed, so "planets" ~ "planet"),
pairs of neighbouring content words, and the character trigrams of each word (so related word forms
and typos still overlap). Each feature is hashed to a dimension and a sign; counts are damped
(1 + log tf) and the vector is L2-normalised. Texts sharing words therefore get a high cosine
similarity, unrelated texts one near 0, and the same text always gets the same vector, on any machine.

A token array (ids of whatever tokenizer the caller used, e.g. OpenAI's cl100k) is embedded as ids, never
decoded into local words: each id and each pair of neighbouring ids is a feature of its own, so the same ids
always give the same vector and arrays sharing ids are similar.

`dimensions` sets the number of hash buckets directly (rather than truncating a longer vector), so a
short embedding is as good a hashing embedding as its length allows.

Example:
    >>> model = EmbeddingModel()
    >>> a, b, c = model.embed(["The planets orbit the sun.", "A planet orbits a star.", "Bake bread slowly."])
    >>> float(a @ b) > 0.3 > float(a @ c), round(float(a @ a), 6)
    (True, 1.0)
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from functools import lru_cache

import numpy as np

from jupyter_api_kit.local.models.context import stem
from jupyter_api_kit.local.models.tokenizer import pretokenize

EMBEDDING_MODEL = "local-embed"
EMBEDDING_MODELS = {EMBEDDING_MODEL: "Deterministic hashing embeddings (words, word pairs, character trigrams)."}
NATIVE_DIMENSIONS = 512
MAX_INPUT_TOKENS = 8192

WORD_WEIGHT = 1.0
PAIR_WEIGHT = 0.5
TRIGRAM_WEIGHT = 0.2
NUMBER_WEIGHT = 0.5
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?|\d+")


@lru_cache(maxsize=200_000)
def _bucket(feature: str, dimensions: int) -> tuple[int, float]:
    digest = int.from_bytes(hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest(), "little")
    return digest % dimensions, (1.0 if digest >> 63 else -1.0)


def features(text: str) -> Counter:
    """How often each feature occurs in a text: `w:` content word stems, `p:` pairs of neighbouring
    stems, `c:` character trigrams, `n:` numbers, and `f:` plain words when there is nothing else.

    Example:
        >>> features("Planets, planets!")["w:planet"], sorted(features("Planets"))[:3]
        (2, ['c:<pl', 'c:ane', 'c:ets'])
    """
    out: Counter = Counter()
    words = _WORD.findall(text.lower())
    stems = []
    for word in words:
        if word.isdigit():
            out[f"n:{word}"] += 1
            continue
        key = stem(" " + word)
        if key is None:
            continue
        stems.append(key)
        out[f"w:{key}"] += 1
        padded = f"<{word}>"
        out.update(f"c:{padded[i:i + 3]}" for i in range(len(padded) - 2))
    out.update(f"p:{left} {right}" for left, right in zip(stems, stems[1:]))
    if not out:
        # Only function words or symbols ("the", "?!"): still embed what is there, not a zero vector.
        out.update(f"f:{word}" for word in (words or [text.strip().lower()]))
    return out


def token_features(ids) -> Counter:
    """The features of a token array: `t:` each id and `u:` each pair of neighbouring ids.

    Example:
        >>> sorted(token_features([15339, 1917, 15339]).items())
        [('t:15339', 2), ('t:1917', 1), ('u:15339 1917', 1), ('u:1917 15339', 1)]
    """
    out: Counter = Counter(f"t:{i}" for i in ids)
    out.update(f"u:{left} {right}" for left, right in zip(ids, ids[1:]))
    return out


_WEIGHTS = {"w": WORD_WEIGHT, "p": PAIR_WEIGHT, "c": TRIGRAM_WEIGHT, "n": NUMBER_WEIGHT, "f": WORD_WEIGHT,
            "t": WORD_WEIGHT, "u": PAIR_WEIGHT}


def embed_text(text, dimensions: int = NATIVE_DIMENSIONS) -> np.ndarray:
    """One L2-normalised float32 vector for a text, or for a token array (a tuple or list of ints).

    Example:
        >>> embed_text("hello", 8).shape, embed_text("hello", 8).dtype
        ((8,), dtype('float32'))
        >>> bool((embed_text([15339, 1917]) == embed_text((15339, 1917))).all())
        True
    """
    found = features(text) if isinstance(text, str) else token_features(list(text))
    vec = np.zeros(dimensions, dtype=np.float64)
    for feature, count in found.items():
        index, sign = _bucket(feature, dimensions)
        # Damped counts: a word said ten times is not ten times the topic.
        vec[index] += sign * _WEIGHTS[feature[0]] * (1.0 + math.log(count))
    norm = np.linalg.norm(vec)
    if norm == 0.0:  # every feature cancelled out: fall back to a fixed unit vector
        index, sign = _bucket(f"f:{text}", dimensions)
        vec[index], norm = sign, 1.0
    return (vec / norm).astype(np.float32)


class EmbeddingModel:
    """`local-embed`. `count_tokens` uses the same pre-tokens as the local language model."""

    id = EMBEDDING_MODEL
    dimensions = NATIVE_DIMENSIONS
    max_input_tokens = MAX_INPUT_TOKENS

    def embed(self, texts, dimensions: int | None = None) -> np.ndarray:
        """An (n, dimensions) float32 array of unit vectors, one row per text or token array (a tuple of ids)."""
        if isinstance(texts, str):
            texts = [texts]
        d = dimensions or self.dimensions
        if not texts:
            return np.zeros((0, d), dtype=np.float32)
        return np.stack([embed_text(t, d) for t in texts])

    @staticmethod
    def count_tokens(text) -> int:
        """Local pre-tokens of a text; a token array counts its ids."""
        return len(pretokenize(text)) if isinstance(text, str) else len(text)


_MODEL = EmbeddingModel()


def get_embedding_model(model_id: str | None = None) -> EmbeddingModel:
    """The local embedding model (every requested id is answered by `local-embed`)."""
    return _MODEL
