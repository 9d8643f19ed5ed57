"""Searching vector stores: attribute filters, query rewriting and cosine ranking over stored chunks.

Used by POST /v1/vector_stores/{id}/search and by the `file_search` tool of responses (and anything
else that searches stores: call `search`).

Filters follow the API: a comparison `{"type": "eq"|"ne"|"gt"|"gte"|"lt"|"lte"|"in"|"nin", "key", "value"}`
or a compound `{"type": "and"|"or", "filters": [...]}`. A file without the attribute matches only the
negative comparisons (`ne`, `nin`); ordering comparisons need both sides to be numbers or both strings.

Example:
    >>> f = parse_filter({"type": "and", "filters": [{"type": "eq", "key": "topic", "value": "space"},
    ...                                              {"type": "gte", "key": "year", "value": 2020}]})
    >>> matches(f, {"topic": "space", "year": 2024}), matches(f, {"topic": "space", "year": 2019})
    (True, False)
    >>> rewrite_query("What are the moons of Jupiter called?")
    'moons jupiter'
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from jupyter_api_kit.local.core.db import loads
from jupyter_api_kit.local.core.errors import BadRequest
from jupyter_api_kit.local.core.params import type_name
from jupyter_api_kit.local.models.context import stem
from jupyter_api_kit.local.models.embedding import get_embedding_model
from jupyter_api_kit.local.models.tokenizer import pretokenize
from jupyter_api_kit.spec import COMPARISONS
from jupyter_api_kit.spec import COMPOUND_FILTERS as COMPOUNDS

RANKERS = ("none", "auto", "default-2024-11-15")
#: weight of keyword overlap in the default ranker; the rest is cosine similarity
KEYWORD_WEIGHT = 0.2
MAX_FILTER_DEPTH = 8


def parse_filter(value, param: str = "filters", depth: int = 0) -> dict:
    """Check a filter; returns it unchanged or raises a 400 that names the offending part."""
    if not isinstance(value, dict):
        raise BadRequest(f"Invalid type for '{param}': expected an object, got {type_name(value)}.", param=param)
    if depth > MAX_FILTER_DEPTH:
        raise BadRequest(f"Invalid '{param}': filters nest at most {MAX_FILTER_DEPTH} levels deep.", param=param)
    kind = value.get("type")
    if kind in COMPOUNDS:
        extra = sorted(set(value) - {"type", "filters"})
        if extra:
            raise BadRequest(f"Invalid '{param}': unknown field '{extra[0]}' in a compound filter.", param=param)
        items = value.get("filters")
        if not isinstance(items, list) or not items:
            raise BadRequest(f"Invalid '{param}.filters': expected a non-empty array of filters.",
                             param=f"{param}.filters")
        for i, item in enumerate(items):
            parse_filter(item, f"{param}.filters[{i}]", depth + 1)
        return value
    if kind not in COMPARISONS:
        allowed = ", ".join(f"'{k}'" for k in COMPARISONS + COMPOUNDS)
        raise BadRequest(f"Invalid value for '{param}.type': {kind!r}. Supported values are: {allowed}.",
                         param=f"{param}.type")
    extra = sorted(set(value) - {"type", "key", "value"})
    if extra:
        raise BadRequest(f"Invalid '{param}': unknown field '{extra[0]}' in a comparison filter.", param=param)
    if not isinstance(value.get("key"), str) or not value["key"]:
        raise BadRequest(f"Invalid '{param}.key': expected the name of an attribute.", param=f"{param}.key")
    operand = value.get("value")
    if kind in ("in", "nin"):
        if not isinstance(operand, list) or not all(_scalar(v) and not isinstance(v, bool) for v in operand):
            raise BadRequest(f"Invalid '{param}.value': '{kind}' needs an array of strings or numbers.",
                             param=f"{param}.value")
    elif not _scalar(operand):
        raise BadRequest(f"Invalid type for '{param}.value': expected a string, number or boolean, got "
                         f"{type_name(operand)}.", param=f"{param}.value")
    elif kind in ("gt", "gte", "lt", "lte") and isinstance(operand, bool):
        raise BadRequest(f"Invalid '{param}.value': '{kind}' compares numbers or strings, not booleans.",
                         param=f"{param}.value")
    return value


def _scalar(v) -> bool:
    return isinstance(v, (str, int, float, bool))


def _comparable(a, b) -> bool:
    numbers = (int, float)
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool)
    return (isinstance(a, numbers) and isinstance(b, numbers)) or (isinstance(a, str) and isinstance(b, str))


def matches(f: dict, attributes: dict | None) -> bool:
    """Whether a file with `attributes` passes filter `f` (already checked by `parse_filter`)."""
    kind = f["type"]
    if kind == "and":
        return all(matches(g, attributes) for g in f["filters"])
    if kind == "or":
        return any(matches(g, attributes) for g in f["filters"])
    attributes = attributes or {}
    if f["key"] not in attributes:
        return kind in ("ne", "nin")
    have, want = attributes[f["key"]], f["value"]
    if kind in ("in", "nin"):
        found = any(_comparable(have, w) and have == w for w in want)
        return found if kind == "in" else not found
    if kind in ("eq", "ne"):
        equal = _comparable(have, want) and have == want
        return equal if kind == "eq" else not equal
    if not _comparable(have, want):
        return False
    return {"gt": have > want, "gte": have >= want, "lt": have < want, "lte": have <= want}[kind]


def rewrite_query(query: str) -> str:
    """A query rewritten for search: its content words, without question words and filler.

    Example:
        >>> rewrite_query("Can you tell me how to bake bread?")
        'bake bread'
    """
    words = [tok.strip() for tok in pretokenize(query) if stem(tok) is not None]
    return " ".join(w.lower() for w in words) or query.strip()


@lru_cache(maxsize=20_000)
def content_stems(text: str) -> frozenset[str]:
    """The stems of the content words of `text` (what the keyword part of ranking compares).

    Example:
        >>> sorted(content_stems("What are the moons of Mars?"))
        ['mar', 'moon']
    """
    # Cached: the same chunks are scored again by every search of their store.
    return frozenset(s for s in (stem(t) for t in pretokenize(text)) if s)


def load_chunks(store, vector_store_ids: list[str]) -> list:
    """Every searchable chunk's row (completed files only), with its embedding and the model that made it."""
    marks = ",".join("?" * len(vector_store_ids))
    return store.all(
        f"SELECT c.vector_store_id, c.file_id, c.position, c.text, c.embedding, c.embedding_model, f.filename, "
        f"vsf.attributes "
        f"FROM vector_store_chunks c "
        f"JOIN vector_store_files vsf ON vsf.vector_store_id = c.vector_store_id AND vsf.file_id = c.file_id "
        f"JOIN files f ON f.id = c.file_id "
        f"WHERE c.vector_store_id IN ({marks}) AND vsf.status = 'completed' "
        f"ORDER BY c.vector_store_id, vsf.seq, c.position", tuple(vector_store_ids))


def _local_embed(model_id: str, texts: list[str], dimensions: int):
    return get_embedding_model(model_id).embed(texts, dimensions)


def cosine_scores(rows, queries: list[str], keep: np.ndarray, embed=_local_embed) -> np.ndarray:
    """Each kept chunk's best cosine similarity over `queries` (clipped to [0, 1]), -1 for the others.
    Chunks are compared with the queries as embedded by the model that embedded them: `embed(model_id,
    texts, dimensions)` makes those query vectors."""
    scores = np.full(len(rows), -1.0)
    groups: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        if keep[i]:
            groups.setdefault(row["embedding_model"], []).append(i)
    for model_id, index in groups.items():
        matrix = np.stack([np.frombuffer(rows[i]["embedding"], dtype="<f4") for i in index])
        q = np.asarray(embed(model_id, queries, matrix.shape[1]), dtype=np.float32)
        scores[index] = np.clip(matrix @ q.T, 0.0, 1.0).max(axis=1)
    return scores


def search(store, vector_store_ids: list[str], queries: list[str], *, max_num_results: int = 10,
           filters: dict | None = None, ranker: str = "auto", score_threshold: float = 0.0,
           embed=_local_embed) -> list[dict]:
    """The best chunks for `queries` (a chunk's score is its best over the queries), as the API's
    search result items: `file_id`, `filename`, `score`, `attributes`, `content`. `embed` embeds the
    queries for each model that embedded chunks (see `cosine_scores`; `embedding.embed_query(app)`
    knows every model the server has).

    Scores are in [0, 1]: cosine similarity (negative counts as 0); the `auto` ranker mixes in the
    share of the query's content words that the chunk contains.
    """
    rows = load_chunks(store, vector_store_ids)
    if not rows:
        return []
    attributes = [loads(r["attributes"]) or {} for r in rows]
    keep = np.array([filters is None or matches(filters, a) for a in attributes], dtype=bool)
    if not keep.any():
        return []
    scores = cosine_scores(rows, queries, keep, embed)
    if ranker != "none":
        wanted = set().union(*(content_stems(x) for x in queries))
        if wanted:
            scores = np.where(keep, (1 - KEYWORD_WEIGHT) * scores, -1.0)
            # Keyword overlap adds at most KEYWORD_WEIGHT, so only chunks within that of the k-th best
            # cosine part can still reach the top k: score just those (exact, and far fewer).
            kth = np.sort(scores)[::-1][min(max_num_results, len(scores)) - 1]
            for i in np.flatnonzero(keep & (scores + KEYWORD_WEIGHT >= kth)):
                scores[i] += KEYWORD_WEIGHT * len(wanted & content_stems(rows[i]["text"])) / len(wanted)
    order = np.argsort(-scores, kind="stable")
    results = []
    for i in order[:max_num_results]:
        score = float(scores[i])
        if score < 0 or score < score_threshold:
            break
        r = rows[i]
        results.append({"file_id": r["file_id"], "filename": r["filename"], "score": round(min(score, 1.0), 6),
                        "attributes": attributes[i], "content": [{"type": "text", "text": r["text"]}]})
    return results
