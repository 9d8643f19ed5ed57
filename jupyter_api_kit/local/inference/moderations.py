"""/v1/moderations with the local lexicon model `local-moderation` (listed in GET /v1/models)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from jupyter_api_kit.local.core.auth import Principal, authenticate
from jupyter_api_kit.local.core.errors import BadRequest
from jupyter_api_kit.local.core.ids import new_id
from jupyter_api_kit.local.core.raw_request import type_name
from jupyter_api_kit.local.core.request_models import checked
from jupyter_api_kit.local.inference.request import ModerationBody
from jupyter_api_kit.local.core.usage_log import record
from jupyter_api_kit.local.models.moderation import CATEGORIES, get_moderation_model

router = APIRouter()
MAX_INPUTS = 32



def parse_inputs(value) -> list[str]:
    """Texts to classify: a string, a list of strings, or a list of `{"type": "text", "text": ...}` parts.

    Example:
        >>> parse_inputs([{"type": "text", "text": "hi"}, "there"])
        ['hi', 'there']
    """
    if value is None:
        raise BadRequest("Missing required parameter: 'input'.", param="input")
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise BadRequest(f"Invalid type for 'input': expected a string or an array, got {type_name(value)}.",
                         param="input")
    if not value:
        raise BadRequest("Invalid 'input': empty array. Expected at least one input.", param="input")
    if len(value) > MAX_INPUTS:
        raise BadRequest(f"Invalid 'input': {len(value)} items; at most {MAX_INPUTS} are allowed.", param="input")
    texts = []
    for i, item in enumerate(value):
        if isinstance(item, str):
            texts.append(item)
        elif isinstance(item, dict) and item.get("type") == "text" and isinstance(item.get("text"), str):
            texts.append(item["text"])
        elif isinstance(item, dict) and item.get("type") == "image_url":
            raise BadRequest(f"Invalid 'input[{i}]': the local moderation model reads text only; send "
                             "{'type': 'text', 'text': ...} parts or strings.", param=f"input[{i}]")
        else:
            raise BadRequest(f"Invalid 'input[{i}]': expected a string or a {{'type': 'text', 'text': ...}} "
                             "object.", param=f"input[{i}]")
    return texts


@router.post("/moderations")
def create_moderation(request: Request, body: dict = Depends(checked(ModerationBody)),
                      principal: Principal = Depends(authenticate)):
    model = get_moderation_model(body.get("model"))
    texts = parse_inputs(body.get("input"))
    results = []
    for text in texts:
        c = model.classify(text)
        results.append({"flagged": c.flagged, "categories": c.categories, "category_scores": c.scores,
                        "category_applied_input_types": {cat: ["text"] for cat in CATEGORIES}})
    record(request.app.state.store, "moderations", model=model.id, principal=principal,
           input_tokens=sum(model.count_tokens(t) for t in texts))
    return {"id": new_id("modr-"), "model": model.id, "results": results}
