"""Which model embeds vector store text: new files are embedded with the registry's `file_embedding`
model (`local-embed`, or an upstream engine's model in gateway mode), and a query is embedded, for
each group of chunks, with the model that embedded them, so vectors are only ever compared with
vectors of the same model.

Example:
    >>> embedding_model(app).id
    'local-embed'
    >>> embed_query(app)("local-embed", ["planets"], 8).shape
    (1, 8)
    >>> embedding_model(app, "text-embedding-3-small")
    Traceback (most recent call last):
    ...
    jupyter_api_kit.local.vector_stores.embedding.EmbeddingUnavailable: Chunks embedded with 'text-embedding-3-small' cannot be searched: this server has no such embedding model now (start it with the same --upstream and --upstream-embedding-model it had when the files were added).
"""

from __future__ import annotations

from jupyter_api_kit.local.core.errors import HTTPError
from jupyter_api_kit.local.models.embedding import EMBEDDING_MODELS, get_embedding_model


class EmbeddingUnavailable(HTTPError):
    """503: the model that embedded some chunks is not served by this server now."""

    status = 503
    code = "embedding_model_unavailable"


def embedding_model(app, model_id: str | None = None):
    """The embedding model named `model_id` (default: the one new files are embedded with)."""
    model_id = model_id or app.state.models.file_embedding
    for embedder in app.state.models.embedders:
        model = embedder(app, model_id)
        if model is not None:
            return model
    if model_id in EMBEDDING_MODELS:
        return get_embedding_model(model_id)
    raise EmbeddingUnavailable(f"Chunks embedded with '{model_id}' cannot be searched: this server has no such "
                               "embedding model now (start it with the same --upstream and "
                               "--upstream-embedding-model it had when the files were added).")


def embed_query(app):
    """`embed(model_id, texts, dimensions)`: the query embedder `search.search` takes."""
    return lambda model_id, texts, dimensions: embedding_model(app, model_id).embed(texts, dimensions)
