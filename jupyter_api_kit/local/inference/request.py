"""The request bodies of legacy completions, embeddings and moderations as declared models (after the
API's `CreateCompletionRequest`, `CreateEmbeddingRequest` and `CreateModerationRequest`), checked before
a handler runs. What the models leave to the handlers: token arrays decoded against a model's
vocabulary, per-model limits (`dimensions`, tokens per input) and cross-field rules (`best_of` >= `n`).

Example:
    >>> from jupyter_api_kit.local.core.request_models import read
    >>> read(EmbeddingBody, {"model": "local-embed", "input": ["moons", "rings"]}).encoding_format
    'float'
    >>> read(CompletionBody, {"model": "local-ngram", "prompt": "Once", "n": "2"})
    Traceback (most recent call last):
    ...
    jupyter_api_kit.local.core.errors.BadRequest: Invalid type for 'n': expected an integer, got a string.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Discriminator, Field, Tag

from jupyter_api_kit.local.core.request_models import BodyModel, LenientModel, tagged

def _form(value) -> str:
    """Which of the four forms a value is, judged by its first item (so that in `[1, "two"]` the
    string is what is wrong, not the integer)."""
    if not isinstance(value, list) or not value:
        return "text" if isinstance(value, str) else "texts"
    first = value[0]
    return "tokens" if isinstance(first, int) and not isinstance(first, bool) else (
        "token arrays" if isinstance(first, list) else "texts")


#: a prompt or an input: text, texts, a token array or token arrays (the API's four forms)
TextOrTokens = Annotated[Annotated[str, Tag("text")] | Annotated[list[str], Tag("texts")]
                         | Annotated[list[int], Tag("tokens")]
                         | Annotated[list[Annotated[list[int], Field(min_length=1)]], Tag("token arrays")],
                         Discriminator(_form)]


class StreamOptions(BodyModel):
    include_usage: bool | None = None
    include_obfuscation: bool | None = None


class CompletionBody(BodyModel):
    """`POST /completions`."""

    model: str
    prompt: TextOrTokens | None
    best_of: Annotated[int, Field(ge=0, le=20)] | None = None
    echo: bool | None = None
    frequency_penalty: Annotated[float, Field(ge=-2, le=2)] | None = None
    presence_penalty: Annotated[float, Field(ge=-2, le=2)] | None = None
    logit_bias: dict[str, Annotated[int, Field(ge=-100, le=100)]] | None = None
    logprobs: Annotated[int, Field(ge=0, le=5)] | None = None
    max_tokens: Annotated[int, Field(ge=0)] | None = None
    n: Annotated[int, Field(ge=1, le=128)] | None = None
    seed: int | None = None
    stop: str | Annotated[list[str], Field(min_length=1, max_length=4)] | None = None
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    suffix: str | None = None
    temperature: Annotated[float, Field(ge=0, le=2)] | None = None
    top_p: Annotated[float, Field(ge=0, le=1)] | None = None
    user: str | None = None


class EmbeddingBody(BodyModel):
    """`POST /embeddings` (`dimensions` at most the model's own: `embeddings` says so)."""

    input: TextOrTokens
    model: str
    encoding_format: Literal["float", "base64"] = "float"
    dimensions: Annotated[int, Field(ge=1)] | None = None
    user: str | None = None


class TextInput(BodyModel):
    type: Literal["text"]
    text: str


class ImageInput(LenientModel):
    """An image to classify: declared by the API; the local moderation model reads text only."""

    type: Literal["image_url"]


class ModerationBody(BodyModel):
    """`POST /moderations`."""

    # strings and parts may be mixed in one list (a local leniency: the API lists either kind)
    input: str | list[str | tagged(TextInput, ImageInput)]
    model: str | None = None
