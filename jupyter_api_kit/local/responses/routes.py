"""/v1/responses: create (plain, streamed or in the background), retrieve, delete, cancel, input items,
input-token counts and compaction.

Background responses run on the server's worker pool: `queued`, then `in_progress` after
`app.state.timing.response_step` seconds (default 0.02), then generated; a cancel between tokens ends
them as `cancelled`.
"""

from __future__ import annotations

import json
import threading

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from jupyter_api_kit.local.conversations import store as conversation_store
from jupyter_api_kit.local.core.auth import Principal, authenticate
from jupyter_api_kit.local.core.errors import BadRequest, HTTPError, NotFound, log
from jupyter_api_kit.local.core.ids import new_id, now
from jupyter_api_kit.local.core.paging import Cursor
from jupyter_api_kit.local.core.params import Params
from jupyter_api_kit.local.core.request_models import checked
from jupyter_api_kit.local.core.usage_log import record
from jupyter_api_kit.local.responses import store as response_store
from jupyter_api_kit.local.responses.bodies import CompactBody, CreateResponseBody, InputTokensBody
from jupyter_api_kit.local.responses.engine import (
    ResponseRequest,
    Run,
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

router = APIRouter()


def _flag(app, response_id: str) -> threading.Event:
    with app.state.response_cancels_lock:
        return app.state.response_cancels.setdefault(response_id, threading.Event())


def _done(app, response_id: str) -> None:
    with app.state.response_cancels_lock:
        app.state.response_cancels.pop(response_id, None)


def _record(app, run: Run, principal) -> None:
    usage = run.response.get("usage")
    if usage:
        record(app.state.store, "completions", model=run.req.model.id, principal=principal,
               input_tokens=usage["input_tokens"], output_tokens=usage["output_tokens"],
               input_cached_tokens=usage["input_tokens_details"]["cached_tokens"])
    searches = sum(1 for item in run.response.get("output") or [] if item.get("type") == "file_search_call")
    if searches:
        record(app.state.store, "file_search_calls", principal=principal, num_model_requests=searches)


def _save_final(app, run: Run) -> None:
    if run.req.store:
        response_store.update(app.state.store, run.response)
    if run.req.conversation_id and run.response["status"] in ("completed", "incomplete"):
        try:  # the conversation gets this turn: its input, then its output
            conversation_store.add_items(app.state.store, run.req.conversation_id,
                                         run.req.inputs + run.response["output"], run.response["id"])
        except NotFound:
            log.warning("conversation %s was deleted before response %s completed; the turn is kept in the "
                        "response only", run.req.conversation_id, run.response["id"])


def _background(app, run: Run, principal) -> None:
    """Worker: queued -> in_progress -> done, unless cancelled or the server stops."""
    try:
        if app.state.jobs.sleep(app.state.timing.response_step) or run.cancel.is_set():
            return
        run.response["status"] = "in_progress"
        response_store.update(app.state.store, run.response)
        if app.state.jobs.sleep(app.state.timing.response_step) or run.cancel.is_set():
            return
        for _ in run.events():
            pass
        if run.response["status"] != "cancelled":
            _save_final(app, run)
            _record(app, run, principal)
    except Exception as exc:  # a failure is the response's, reported in it, never lost
        run.response.update(status="failed", error={"code": "server_error", "message": f"{type(exc).__name__}"})
        response_store.update(app.state.store, run.response)
        raise
    finally:
        _done(app, run.response["id"])


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
        _save_final(app, run)
        _record(app, run, principal)
    except HTTPError as exc:
        _forget(app, run)
        error = {"type": "error", **exc.body()["error"], "sequence_number": sequence}
        yield f"event: error\ndata: {json.dumps(error)}\n\n"
    finally:
        _done(app, run.response["id"])


@router.post("/responses")
def create_response(request: Request, body: dict = Depends(checked(CreateResponseBody)),
                    principal: Principal = Depends(authenticate)):
    app = request.app
    req = parse_request(app, body)
    response = response_object(req, new_id("resp_"), "queued" if req.background else "in_progress")
    run = Run(app, req, response, cancel=_flag(app, response["id"]))
    stored_request = {k: v for k, v in body.items() if k != "input"}
    if req.store:
        response_store.save(app.state.store, present(response, ("file_search_call.results",)), stored_request,
                            req.inputs)
    if req.stream:
        return StreamingResponse(_sse(app, run, principal), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    if req.background:
        app.state.jobs.submit(_background, app, run, principal)
        return present(response, req.include)
    try:
        for _ in run.events():
            pass
    except HTTPError:
        _forget(app, run)
        raise
    finally:
        _done(app, response["id"])
    _save_final(app, run)
    _record(app, run, principal)
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
        _flag(app, response_id).set()
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
