"""/v1/responses: create (plain, streamed or in the background), retrieve, delete, cancel, input items,
input-token counts and compaction. Background responses are jobs of the app's job runner
(`responses.background`).
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from jupyter_api_kit.local.core.auth import Principal, authenticate
from jupyter_api_kit.local.core.errors import BadRequest, HTTPError, NotFound
from jupyter_api_kit.local.core.ids import new_id, now
from jupyter_api_kit.local.core.paging import Cursor
from jupyter_api_kit.local.core.params import Params
from jupyter_api_kit.local.core.request_models import checked
from jupyter_api_kit.local.core.usage_log import record
from jupyter_api_kit.local.responses import store as response_store
from jupyter_api_kit.local.responses.background import BACKGROUND_RESPONSES, record_usage, save_final
from jupyter_api_kit.local.responses.bodies import CompactBody, CreateResponseBody, InputTokensBody
from jupyter_api_kit.local.responses.engine import (
    ResponseRequest,
    conversation,
    count_input_tokens,
    parse_request,
    present,
    response_object,
)
from jupyter_api_kit.local.responses.request import (
    encode_compaction,
    parse_input,
    public_item,
    to_messages,
)
from jupyter_api_kit.local.responses.run import Run

router = APIRouter()


def _forget(app, run: Run) -> None:
    """A response whose making failed with an API error (an upstream engine's 429, a search of a
    missing store) is not kept: nothing is stored for a failed call."""
    if run.req.store:
        try:
            response_store.delete(app.state.store, run.response["id"])
        except NotFound:
            pass


def _sse(app, run: Run, principal):
    sequence = 0
    try:
        for kind, payload in run.events():
            payload["sequence_number"] = sequence
            sequence += 1
            yield f"event: {kind}\ndata: {json.dumps(payload)}\n\n"
        save_final(app, run)
        record_usage(app, run, principal)
    except HTTPError as exc:
        _forget(app, run)
        error = {"type": "error", **exc.body()["error"], "sequence_number": sequence}
        yield f"event: error\ndata: {json.dumps(error)}\n\n"
    finally:
        app.state.jobs.forget(run.response["id"])


@router.post("/responses")
def create_response(request: Request, body: dict = Depends(checked(CreateResponseBody)),
                    principal: Principal = Depends(authenticate)):
    app = request.app
    req = parse_request(app, body)
    response = response_object(req, new_id("resp_"), "queued" if req.background else "in_progress")
    run = Run(app, req, response, cancel=app.state.jobs.flag(response["id"]))
    stored_request = {k: v for k, v in body.items() if k != "input"}
    if req.store:
        response_store.save(app.state.store, present(response, ("file_search_call.results",)), stored_request,
                            req.inputs)
    if req.stream:
        return StreamingResponse(_sse(app, run, principal), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    if req.background:
        app.state.jobs.start(BACKGROUND_RESPONSES, response["id"], run, principal)
        return present(response, req.include)
    try:
        for _ in run.events():
            pass
    except HTTPError:
        _forget(app, run)
        raise
    finally:
        app.state.jobs.forget(response["id"])
    save_final(app, run)
    record_usage(app, run, principal)
    return present(run.response, req.include)


def _include(request: Request) -> list[str]:
    return [v for k, v in request.query_params.multi_items() if k in ("include", "include[]")]


@router.get("/responses/{response_id}")
def get_response(response_id: str, request: Request):
    if Params(request.query_params).bool("stream"):
        raise BadRequest("Replaying a response as a stream is not supported by the local server; retrieve it "
                         "without 'stream'.", param="stream")
    return present(response_store.load(request.app.state.store, response_id), _include(request))


@router.delete("/responses/{response_id}")
def delete_response(response_id: str, request: Request):
    response_store.delete(request.app.state.store, response_id)
    return {"id": response_id, "object": "response", "deleted": True}


@router.post("/responses/{response_id}/cancel")
def cancel_response(response_id: str, request: Request):
    app = request.app
    response = response_store.load(app.state.store, response_id)
    if not response.get("background"):
        raise BadRequest("Only responses created with background=true can be cancelled.", param="response_id")
    if response["status"] in ("queued", "in_progress"):
        app.state.jobs.cancel(response_id)
        response["status"] = "cancelled"
        response_store.update(app.state.store, response, unless_cancelled=False)
    elif response["status"] != "cancelled":
        raise BadRequest(f"Cannot cancel response '{response_id}': it is already {response['status']}.",
                         param="response_id")
    return present(response)


@router.get("/responses/{response_id}/input_items")
def list_input_items(response_id: str, request: Request):
    cursor = Cursor.from_query(request.query_params, default_order="desc")
    return response_store.items_page(request.app.state.store, response_id, cursor)


@router.post("/responses/input_tokens")
def count_response_input_tokens(request: Request, body: dict = Depends(checked(InputTokensBody))):
    req: ResponseRequest = parse_request(request.app, {k: v for k, v in body.items() if k != "personality"},
                                         for_counting=True)
    return {"object": "response.input_tokens", "input_tokens": count_input_tokens(req.model, req.messages)}


@router.post("/responses/compact")
def compact_response(request: Request, body: dict = Depends(checked(CompactBody)),
                     principal: Principal = Depends(authenticate)):
    """Keep the user messages verbatim; fold everything else into one opaque compaction item."""
    app = request.app
    p = Params(body)
    from jupyter_api_kit.local.inference.engine import resolve_language_model

    model = resolve_language_model(app, p.str("model", required=True))
    previous = p.str("previous_response_id")
    inputs = parse_input(body.get("input"), store=app.state.store, app=app)
    if not inputs and not previous:
        raise BadRequest("Missing required parameter: 'input' (or 'previous_response_id').", param="input")
    items = (response_store.history(app.state.store, previous) if previous else []) + inputs
    messages = conversation(app, inputs, previous, p.str("instructions"))
    kept = [public_item(i) for i in items if i.get("type") == "message" and i.get("role") == "user"]
    folded = to_messages([i for i in items if not (i.get("type") == "message" and i.get("role") == "user")])
    output = [{**item, "status": "completed"} for item in kept]
    output.append({"type": "compaction", "id": new_id("cmp_"), "encrypted_content": encode_compaction(folded)})
    input_tokens = count_input_tokens(model, messages)
    output_tokens = sum(model.count_tokens(m["content"]) for m in folded)
    usage = {"input_tokens": input_tokens, "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
             "output_tokens": output_tokens, "output_tokens_details": {"reasoning_tokens": 0},
             "total_tokens": input_tokens + output_tokens}
    record(app.state.store, "completions", model=model.id, principal=principal, input_tokens=input_tokens,
           output_tokens=output_tokens)
    return {"id": new_id("cmp_"), "object": "response.compaction", "output": output, "created_at": now(),
            "usage": usage}
