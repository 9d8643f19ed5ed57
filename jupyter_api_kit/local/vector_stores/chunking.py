"""Cutting a file's text into chunks as a vector store's `chunking_strategy` says.

`static` cuts windows of `max_chunk_size_tokens` tokens, each starting `max - chunk_overlap_tokens`
tokens after the previous one; `auto` is `static` with 800 and 400, as the API documents. Tokens are
the local language model's, so chunk sizes and the `tokens` the API reports agree.

Example:
    >>> strategy = parse_strategy({"type": "static", "static": {"max_chunk_size_tokens": 100,
    ...                                                          "chunk_overlap_tokens": 20}})
    >>> chunks = chunk_text("word " * 250, strategy)
    >>> [c.tokens for c in chunks], chunks[1].start
    ([100, 100, 91], 80)
"""

from __future__ import annotations

from dataclasses import dataclass

from jupyter_api_kit.local.core.errors import BadRequest

AUTO = {"type": "static", "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400}}
MIN_CHUNK, MAX_CHUNK = 100, 4096


@dataclass
class Chunk:
    """One chunk of a file's text: the text, the index of its first token in the file, and its size
    in tokens.

    Example:
        >>> chunk = chunk_text("one two three", parse_strategy(None))[0]
        >>> chunk.start, chunk.tokens == len(tokenize("one two three"))
        (0, True)
    """

    text: str
    start: int      # index of the first token
    tokens: int


def parse_strategy(value, param: str = "chunking_strategy") -> dict:
    """The static strategy a request asks for (shaped as `request.ChunkingStrategy` checked it; `None`
    and `auto` give the documented default); the overlap may be at most half the chunk.

    Example:
        >>> parse_strategy(None)["static"]
        {'max_chunk_size_tokens': 800, 'chunk_overlap_tokens': 400}
        >>> parse_strategy({"type": "static", "static": {"max_chunk_size_tokens": 200, "chunk_overlap_tokens": 150}})
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.BadRequest: Invalid 'chunking_strategy.static.chunk_overlap_tokens': 150; it must be between 0 and half of max_chunk_size_tokens (100).
    """
    if value is None or value["type"] == "auto":
        return _copy(AUTO)
    size, overlap = value["static"]["max_chunk_size_tokens"], value["static"]["chunk_overlap_tokens"]
    if not 0 <= overlap <= size // 2:
        raise BadRequest(f"Invalid '{param}.static.chunk_overlap_tokens': {overlap}; it must be between 0 and "
                         f"half of max_chunk_size_tokens ({size // 2}).", param=f"{param}.static.chunk_overlap_tokens")
    return {"type": "static", "static": {"max_chunk_size_tokens": size, "chunk_overlap_tokens": overlap}}


def _copy(strategy: dict) -> dict:
    return {"type": strategy["type"], "static": dict(strategy["static"])}


def tokenize(text: str) -> list[str]:
    """The local language model's tokens of `text`: the unit chunk sizes are counted in.

    Example:
        >>> "".join(tokenize("Mars is red.")) == "Mars is red."
        True
    """
    from jupyter_api_kit.local.models.language import get_language_model

    return get_language_model().encode(text)


def chunk_text(text: str, strategy: dict) -> list[Chunk]:
    """The chunks of `text`; a text shorter than one window is one chunk. Empty text gives none."""
    tokens = tokenize(text)
    size = strategy["static"]["max_chunk_size_tokens"]
    step = size - strategy["static"]["chunk_overlap_tokens"]
    chunks = []
    start = 0
    while start < len(tokens):
        window = tokens[start:start + size]
        piece = "".join(window)
        if piece.strip():
            chunks.append(Chunk(piece, start, len(window)))
        if start + size >= len(tokens):
            break
        start += step
    return chunks
