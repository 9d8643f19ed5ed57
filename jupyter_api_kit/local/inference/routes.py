"""GET /v1/models and /v1/models/{model}: the local models, plus any a feature registers."""

from __future__ import annotations

from fastapi import APIRouter, Request

from jupyter_api_kit.local.core.errors import NotFound
from jupyter_api_kit.local.models.embedding import EMBEDDING_MODELS
from jupyter_api_kit.local.models.language import LANGUAGE_MODELS
from jupyter_api_kit.local.models.moderation import MODERATION_MODELS

router = APIRouter()
CREATED = 1767225600  # 2026-01-01: a fixed date, so listings are reproducible


def model_objects(ids) -> list[dict]:
    """The API's Model objects for local models, created on the fixed date.

    Example:
        >>> model_objects(["local-ngram"])[0]["owned_by"]
        'jupyter-api-kit'
    """
    return [{"id": mid, "object": "model", "created": CREATED, "owned_by": "jupyter-api-kit"} for mid in ids]


def local_models(app) -> list[dict]:
    """The built-in local models: language, embedding and moderation.

    Example:
        >>> [m["id"] for m in local_models(None)][:1], "local-embed" in [m["id"] for m in local_models(None)]
        (['local-ngram'], True)
    """
    return model_objects([*LANGUAGE_MODELS, *EMBEDDING_MODELS, *MODERATION_MODELS])



def all_models(app) -> list[dict]:
    """Every model the app serves, as `model` objects: each registered provider's, in order
    (language models, embeddings, moderation, then fine-tuned models).

    Example:
        >>> {m["object"] for m in all_models(app)}, {m["owned_by"] for m in all_models(app)}
        ({'model'}, {'jupyter-api-kit'})
    """
    models = []
    for provider in app.state.models.providers:
        models.extend(provider(app))
    return models


@router.get("/models")
def list_models(request: Request):
    return {"object": "list", "data": all_models(request.app)}


@router.get("/models/{model:path}")
def retrieve_model(model: str, request: Request):
    for entry in all_models(request.app):
        if entry["id"] == model:
            return entry
    raise NotFound(f"The model '{model}' does not exist on this server.", param="model", code="model_not_found")
