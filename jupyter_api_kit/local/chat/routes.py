"""/v1/chat/completions: create (plain or streamed) and the six stored-completion operations."""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from jupyter_api_kit.local.chat import store as chat_store
from jupyter_api_kit.local.chat.engine import build_completion, stream_chunks
from jupyter_api_kit.local.chat.request import ChatCompletionBody, ListQuery, UpdateCompletionBody, parse_chat_request
from jupyter_api_kit.local.core.auth import Principal, authenticate
from jupyter_api_kit.local.core.ids import new_id
from jupyter_api_kit.local.core.metadata import metadata_filter
from jupyter_api_kit.local.core.paging import Cursor, paging
from jupyter_api_kit.local.core.request_models import body as body_of
from jupyter_api_kit.local.core.request_models import checked, query
from jupyter_api_kit.local.core.usage_log import record
from jupyter_api_kit.local.inference.engine import PromptCache, resolve_language_model

router = APIRouter()



def _finish(app, req, completion: dict, principal: Principal) -> None:
    """After a completion is made: usage, prompt cache, and storage when asked."""
    usage = completion["usage"]
    record(app.state.store, "completions", model=completion["model"], principal=principal,
           input_tokens=usage["prompt_tokens"], output_tokens=usage["completion_tokens"],
           input_cached_tokens=usage["prompt_tokens_details"]["cached_tokens"])
    if req.store:
        chat_store.save(app.state.store, completion, req.raw, req.metadata)


@router.post("/chat/completions")
def create_chat_completion(request: Request, body: dict = Depends(checked(ChatCompletionBody)),
                           principal: Principal = Depends(authenticate)):
    app = request.app
    if app.state.gateway and app.state.gateway.serves(body.get("model")):
        return app.state.gateway.chat(app, body, principal)
    req = parse_chat_request(body)
    model = resolve_language_model(app, req.model)
    cache: PromptCache = app.state.prompt_cache
    cached = cache.cached_tokens(model, req.messages)
    completion_id = new_id("chatcmpl-")
    if not req.stream:
        completion = build_completion(model, req, completion_id, cached)
        cache.remember(model, req.messages)
        _finish(app, req, completion, principal)
        return completion

    def events():
        finished: list = []
        for chunk in stream_chunks(model, req, completion_id, cached, finished):
            yield f"data: {json.dumps(chunk)}\n\n"
        cache.remember(model, req.messages)
        _finish(app, req, finished[0], principal)
        yield "data: [DONE]\n\n"

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.get("/chat/completions")
def list_chat_completions(request: Request, cursor: Cursor = Depends(paging(order="asc")),
                          options: ListQuery = Depends(query(ListQuery)),
                          metadata: dict = Depends(metadata_filter)):
    return chat_store.list_page(request.app.state.store, cursor, options.model, metadata)


@router.get("/chat/completions/{completion_id}")
def get_chat_completion(completion_id: str, request: Request):
    return chat_store.fetch(request.app.state.store, completion_id)


@router.post("/chat/completions/{completion_id}")
def update_chat_completion(completion_id: str, request: Request,
                           update: UpdateCompletionBody = Depends(body_of(UpdateCompletionBody))):
    return chat_store.set_metadata(request.app.state.store, completion_id, update.metadata or {})


@router.delete("/chat/completions/{completion_id}")
def delete_chat_completion(completion_id: str, request: Request):
    chat_store.delete(request.app.state.store, completion_id)
    return {"object": "chat.completion.deleted", "id": completion_id, "deleted": True}


@router.get("/chat/completions/{completion_id}/messages")
def list_chat_completion_messages(completion_id: str, request: Request, cursor: Cursor = Depends(paging(order="asc"))):
    return chat_store.messages_page(request.app.state.store, completion_id, cursor)
