"""Embedding and moderation responses as NumPy arrays and DataFrames.

- :func:`embeddings_array`: an (n, d) float32 array, in input order (decodes `base64` too).
- :func:`embeddings_frame`: one row per input, columns ``index``, ``text`` (if given), ``e0`` ... ``e{d-1}``.
- :func:`similarity`: the cosine similarity matrix of the inputs as a labelled DataFrame.
- :func:`similarity_plot`: that matrix as a matplotlib heatmap figure.
- :func:`moderation_scores`: one row per moderated input, a column per category score, plus ``flagged``.

Example:
    >>> resp = {"object": "list", "model": "m", "data": [
    ...     {"object": "embedding", "index": 0, "embedding": [1.0, 0.0]},
    ...     {"object": "embedding", "index": 1, "embedding": [0.6, 0.8]}]}
    >>> similarity(resp, labels=["a", "b"]).round(2)
         a    b
    a  1.0  0.6
    b  0.6  1.0
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from jupyter_api_kit.frames.lists import _as_mapping, _items

__all__ = ["embeddings_array", "embeddings_frame", "moderation_scores", "similarity", "similarity_plot"]


def _vector(value) -> np.ndarray:
    if isinstance(value, str):  # encoding_format="base64": little-endian float32 bytes
        return np.frombuffer(base64.b64decode(value), dtype="<f4").astype(np.float32)
    return np.asarray(value, dtype=np.float32)


def embeddings_array(response: Any) -> np.ndarray:
    """The embeddings of a response as an (n, d) float32 array ordered by ``index``.

    Example:
        >>> embeddings_array({"data": [{"index": 1, "embedding": [0, 1]}, {"index": 0, "embedding": [1, 0]}]})
        array([[1., 0.],
               [0., 1.]], dtype=float32)
    """
    items = sorted((_as_mapping(x) for x in _items(response)), key=lambda x: x.get("index", 0))
    if not items:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([_vector(x["embedding"]) for x in items])


def embeddings_frame(response: Any, texts: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per input: ``index``, ``text`` (when `texts` is given) and one column per dimension.

    Example:
        >>> embeddings_frame({"data": [{"index": 0, "embedding": [0.6, 0.8]}]}, texts=["hi"])
           index text   e0   e1
        0      0   hi  0.6  0.8
    """
    matrix = embeddings_array(response)
    frame = pd.DataFrame(matrix, columns=[f"e{i}" for i in range(matrix.shape[1])])
    if texts is not None:
        if len(texts) != len(frame):
            raise ValueError(f"{len(texts)} texts for {len(frame)} embeddings")
        frame.insert(0, "text", list(texts))
    frame.insert(0, "index", range(len(frame)))
    return frame


def similarity(response_or_matrix: Any, labels: Sequence[str] | None = None) -> pd.DataFrame:
    """Cosine similarities between every pair of inputs (rows and columns labelled by `labels`)."""
    matrix = (np.asarray(response_or_matrix, dtype=np.float64) if isinstance(response_or_matrix, np.ndarray)
              else embeddings_array(response_or_matrix).astype(np.float64))
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit = matrix / np.where(norms == 0, 1, norms)
    names = list(labels) if labels is not None else list(range(len(unit)))
    return pd.DataFrame(unit @ unit.T, index=names, columns=names)


def similarity_plot(frame: pd.DataFrame, title: str = "cosine similarity", max_label: int = 24):
    """A heatmap of a :func:`similarity` frame, as a matplotlib Figure (renders in any frontend)."""
    from matplotlib.figure import Figure

    n = len(frame)
    fig = Figure(figsize=(1.6 + 0.55 * n, 1.2 + 0.5 * n))
    ax = fig.add_subplot()
    image = ax.imshow(frame.to_numpy(), vmin=-1, vmax=1, cmap="RdBu_r")
    labels = [str(x) if len(str(x)) <= max_label else str(x)[:max_label - 1] + "…" for x in frame.index]
    ax.set_xticks(range(n), labels, rotation=45, ha="right")
    ax.set_yticks(range(n), labels)
    for i in range(n):
        for j in range(n):
            ax.text(j, i, f"{frame.iat[i, j]:.2f}", ha="center", va="center", fontsize=8)
    ax.set_title(title)
    fig.colorbar(image, ax=ax, shrink=0.8)
    fig.tight_layout()
    return fig


def moderation_scores(response: Any, texts: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per moderated input: ``input`` (index), ``text`` (if given), ``flagged``, ``top_category``
    and one float column per category score.

    Example:
        >>> moderation_scores({"results": [{"flagged": False, "categories": {"hate": False},
        ...                                 "category_scores": {"hate": 0.01}}]})
           input  flagged top_category  hate
        0      0    False         hate  0.01

    ``top_category`` is None when every score is 0.
    """
    results = _as_mapping(response).get("results") or []
    rows = []
    for i, result in enumerate(results):
        result = _as_mapping(result)
        scores = dict(result.get("category_scores") or {})
        row = {"input": i}
        if texts is not None:
            row["text"] = texts[i] if i < len(texts) else None
        row["flagged"] = bool(result.get("flagged"))
        top = max(scores, key=scores.get) if scores else None
        row["top_category"] = top if top is not None and scores[top] > 0 else None
        row.update({k: float(v) for k, v in scores.items()})
        rows.append(row)
    return pd.DataFrame(rows)
