"""/v1/embeddings with the local model `local-embed`; the model is listed in GET /v1/models."""

from __future__ import annotations

import base64

from fastapi import APIRouter, Depends, Request

from jupyter_api_kit.local.core.auth import Principal, authenticate
from jupyter_api_kit.local.core.errors import BadRequest
from jupyter_api_kit.local.core.params import Params, json_body, type_name
from jupyter_api_kit.local.core.usage_log import record
from jupyter_api_kit.local.models.embedding import get_embedding_model

router = APIRouter()
MAX_INPUTS = 2048
MAX_TOTAL_TOKENS = 300_000
_FIELDS = {"input", "model", "encoding_format", "dimensions", "user"}


def _token_ids(ids: list, param: str) -> tuple[int, ...]:
    """A token array as it is: ids of the caller's tokenizer (cl100k for OpenAI's own clients), which the
    local model embeds as ids; decoding them with the local vocabulary would embed some other text."""
    for i, tid in enumerate(ids):
        if isinstance(tid, bool) or not isinstance(tid, int):
            raise BadRequest(f"Invalid type for '{param}[{i}]': expected an integer token id, got "
                             f"{type_name(tid)}.", param=f"{param}[{i}]")
        if tid < 0:
            raise BadRequest(f"Invalid '{param}[{i}]': token id {tid} is negative; token ids are integers "
                             "from 0.", param=f"{param}[{i}]")
    return tuple(ids)


def parse_inputs(value) -> list[str | tuple[int, ...]]:
    """The inputs of `input`: a string, a list of strings, a token array or a list of token arrays; each
    text a string, each token array a tuple of ids.

    Example:
        >>> parse_inputs(["a", "b"]), parse_inputs([15339, 1917]), parse_inputs([[15339], [1917, 1]])
        (['a', 'b'], [(15339, 1917)], [(15339,), (1917, 1)])
    """
    if value is None:
        raise BadRequest("Missing required parameter: 'input'.", param="input")
    if isinstance(value, str):
        items, param = [value], "input"
    elif isinstance(value, list):
        if not value:
            raise BadRequest("Invalid 'input': empty array. Expected at least one string or token array.",
                             param="input")
        if len(value) > MAX_INPUTS:
            raise BadRequest(f"Invalid 'input': {len(value)} items; at most {MAX_INPUTS} are allowed.",
                             param="input")
        if isinstance(value[0], (int, float)) and not isinstance(value[0], bool):  # one flat token array
            return [_token_ids(value, "input")]
        items, param = value, None
    else:
        raise BadRequest(f"Invalid type for 'input': expected a string, an array of strings or token arrays, "
                         f"got {type_name(value)}.", param="input")
    texts: list[str | tuple[int, ...]] = []
    for i, item in enumerate(items):
        where = param or f"input[{i}]"
        if isinstance(item, list):
            if not item:
                raise BadRequest(f"Invalid '{where}': empty token array.", param=where)
            texts.append(_token_ids(item, where))
        elif isinstance(item, str):
            if not item:
                raise BadRequest(f"Invalid '{where}': the input cannot be an empty string.", param=where)
            texts.append(item)
        else:
            raise BadRequest(f"Invalid type for '{where}': expected a string or a token array, got "
                             f"{type_name(item)}.", param=where)
    return texts


@router.post("/embeddings")
def create_embedding(request: Request, body: dict = Depends(json_body),
                     principal: Principal = Depends(authenticate)):
    gateway = request.app.state.gateway
    if gateway and gateway.serves(body.get("model")):
        return gateway.embeddings(request.app, body, principal)
    unknown = sorted(set(body) - _FIELDS)
    if unknown:
        raise BadRequest(f"Unrecognized request argument supplied: '{unknown[0]}'.", param=unknown[0])
    p = Params(body)
    p.str("model", required=True)
    model = get_embedding_model(body["model"])
    encoding = p.str("encoding_format", default="float", choices=("float", "base64"))
    dimensions = p.int("dimensions", default=model.dimensions, minimum=1, maximum=model.dimensions)
    p.str("user")
    texts = parse_inputs(body.get("input"))
    counts = [model.count_tokens(t) for t in texts]
    for i, n in enumerate(counts):
        if n > model.max_input_tokens:
            raise BadRequest(f"Invalid 'input': item {i} has {n} tokens; the maximum per input is "
                             f"{model.max_input_tokens}.", param="input")
    if sum(counts) > MAX_TOTAL_TOKENS:
        raise BadRequest(f"Invalid 'input': {sum(counts)} tokens in total; at most {MAX_TOTAL_TOKENS} per "
                         "request.", param="input")
    vectors = model.embed(texts, dimensions)
    data = []
    for i, vec in enumerate(vectors):
        # base64 is the float32 little-endian bytes, as the API sends them
        value = (base64.b64encode(vec.astype("<f4").tobytes()).decode("ascii") if encoding == "base64"
                 else [float(x) for x in vec])
        data.append({"object": "embedding", "index": i, "embedding": value})
    tokens = sum(counts)
    record(request.app.state.store, "embeddings", model=model.id, principal=principal, input_tokens=tokens)
    return {"object": "list", "data": data, "model": model.id,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}
