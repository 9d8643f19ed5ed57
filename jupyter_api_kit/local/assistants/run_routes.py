"""/v1/threads/.../runs: create (plain or streamed), create-and-run, list, retrieve, modify, cancel,
submit tool outputs, and the run steps (list, retrieve).

A run is written as `queued` and handed to the `RunEngine`, which executes it in the background.
A streamed request subscribes to the run's events before the engine starts, so it misses none,
and ends with `event: done` / `data: [DONE]` when the run ends or waits for tool outputs.
"""

from __future__ import annotations

import queue
import time

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, StreamingResponse

from jupyter_api_kit.local.assistants.engine import RunEngine
from jupyter_api_kit.local.assistants.events import END, sse
from jupyter_api_kit.local.assistants.file_search import INCLUDE_CONTENT, create_new_stores, public_step
from jupyter_api_kit.local.assistants.request import (
    build_run,
    parse_run_request,
    parse_tool_outputs,
)
from jupyter_api_kit.local.assistants.store import (
    ACTIVE_RUN_STATES,
    active_run,
    get_assistant,
    get_run,
    get_step,
    get_thread,
    insert_message,
    insert_run,
    insert_thread,
    run_status,
    run_steps,
    save,
    save_run,
)
from jupyter_api_kit.local.assistants import request as request_models
from jupyter_api_kit.local.core.auth import Principal, authenticate
from jupyter_api_kit.local.core.db import loads
from jupyter_api_kit.local.core.errors import BadRequest
from jupyter_api_kit.local.core.paging import Cursor, page, paging
from jupyter_api_kit.local.core.request_models import checked

router = APIRouter()

INCLUDABLE = (INCLUDE_CONTENT,)
#: how soon a poller should look again at a run that is still going (the `openai` package reads it)
POLL_AFTER_MS = "10"



def _include(request: Request) -> list:
    """`include[]` values, checked: file search results' `content` is shown when asked for."""
    values = request.query_params.getlist("include[]") + request.query_params.getlist("include")
    for value in values:
        if value not in INCLUDABLE:
            raise BadRequest(f"Invalid value for 'include[]': '{value[:80]}'. Supported values are: "
                             f"'{INCLUDABLE[0]}'.", param="include[]")
    return values


def _insert_run(db, run: dict, principal: Principal, deadline: float) -> None:
    insert_run(db, run, dict(vars(principal)), deadline)


def _prepare(app, req: dict) -> dict:
    """The run object (not yet stored) for a checked request: its assistant must exist."""
    assistant = get_assistant(app.state.store, req["assistant_id"])
    expiry = app.state.timing.run_expiry
    return build_run(req, assistant, "", expiry=expiry)  # `model` as asked; run steps name the local model


def _respond(app, run: dict, stream: bool, prelude: list):
    engine = RunEngine.of(app)
    if not stream:
        engine.start(run["id"])
        return run
    return _event_stream(app, run["id"], prelude, start=True)


def _event_stream(app, run_id: str, prelude: list, *, start: bool) -> StreamingResponse:
    engine = RunEngine.of(app)
    sub = engine.events.subscribe(run_id)  # before the engine starts: no event can be missed
    if start:
        engine.start(run_id)

    def events():
        try:
            for event, data in prelude:
                yield sse(event, data)
            idle_checks = 0
            while True:
                try:
                    item = sub.get(timeout=0.5)
                except queue.Empty:
                    # Safety net: the engine always ends a stream, but a stopped server must not hang one.
                    if app.state.jobs.stopping.is_set():
                        break
                    if run_status(app.state.store, run_id) not in ("queued", "in_progress", "cancelling"):
                        idle_checks += 1
                        if idle_checks >= 2:
                            break
                    continue
                # Send every event already waiting in one write: each write is a hop to a worker
                # thread, and a reply is many small deltas.
                batch, ended = [], item is END
                while not ended:
                    batch.append(item)
                    try:
                        item = sub.get_nowait()
                    except queue.Empty:
                        break
                    ended = item is END
                if batch:
                    yield "".join(batch)
                if ended:
                    break
            yield sse("done", "[DONE]")
        finally:
            engine.events.unsubscribe(run_id, sub)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def create_thread_and_run(request: Request, body: dict = Depends(checked(request_models.CreateThreadAndRunBody)),
                          principal: Principal = Depends(authenticate)):
    """POST /threads/runs (registered by the threads router, ahead of POST /threads/{thread_id})."""
    app = request.app
    req = parse_run_request(body, with_thread=True)
    run = _prepare(app, req)
    if req["tool_resources"] is not None:
        req["thread"]["tool_resources"] = req["thread"]["tool_resources"] or req["tool_resources"]
    req["thread"]["tool_resources"] = create_new_stores(app, req["thread"]["tool_resources"], principal,
                                                        "thread.tool_resources")
    with app.state.store.tx() as db:
        thread = insert_thread(db, req["thread"])
        for message in req["thread"]["messages"]:
            insert_message(db, thread["id"], message)
        run["thread_id"] = thread["id"]
        _insert_run(db, run, principal, time.time() + app.state.timing.run_expiry)
    return _respond(app, run, req["stream"], [("thread.created", thread), ("thread.run.created", run)])


@router.post("/threads/{thread_id}/runs")
def create_run(thread_id: str, request: Request, body: dict = Depends(checked(request_models.CreateRunBody)),
               principal: Principal = Depends(authenticate)):
    app, store = request.app, request.app.state.store
    _include(request)
    get_thread(store, thread_id)
    req = parse_run_request(body)
    run = _prepare(app, req)
    run["thread_id"] = thread_id
    RunEngine.of(app).expire_due(thread_id)
    with store.tx() as db:
        running = active_run(store, thread_id)
        if running:
            raise BadRequest(f"Thread {thread_id} already has an active run {running}; wait for it to end or "
                             "cancel it.", param="thread_id")
        for message in req["additional_messages"]:
            insert_message(db, thread_id, message)
        _insert_run(db, run, principal, time.time() + app.state.timing.run_expiry)
    return _respond(app, run, req["stream"], [("thread.run.created", run)])


def _with_poll_hint(run: dict):
    """The run; while it is still going, with a header telling pollers to look again soon."""
    if run["status"] in ("queued", "in_progress", "cancelling"):
        return JSONResponse(run, headers={"openai-poll-after-ms": POLL_AFTER_MS})
    return run


@router.get("/threads/{thread_id}/runs")
def list_runs(thread_id: str, request: Request, cursor: Cursor = Depends(paging(order="desc"))):
    store = request.app.state.store
    get_thread(store, thread_id)
    RunEngine.of(request.app).expire_due(thread_id)
    return page(store, "thread_runs", cursor, lambda row: loads(row["body"]), where="thread_id = ?",
                params=(thread_id,))


@router.get("/threads/{thread_id}/runs/{run_id}")
def retrieve_run(thread_id: str, run_id: str, request: Request):
    store = request.app.state.store
    get_thread(store, thread_id)
    RunEngine.of(request.app).expire_due(thread_id)
    return _with_poll_hint(get_run(store, thread_id, run_id))


@router.post("/threads/{thread_id}/runs/{run_id}")
def modify_run(thread_id: str, run_id: str, request: Request,
               body: dict = Depends(checked(request_models.MetadataBody, required=True))):
    metadata = body.get("metadata")
    store = request.app.state.store
    with store.tx() as db:
        run = get_run(store, thread_id, run_id)
        if "metadata" in body:
            run["metadata"] = metadata or {}
        save_run(db, run)
    return run


@router.post("/threads/{thread_id}/runs/{run_id}/cancel")
def cancel_run(thread_id: str, run_id: str, request: Request):
    app, store = request.app, request.app.state.store
    engine = RunEngine.of(app)
    get_thread(store, thread_id)
    engine.expire_due(thread_id)
    with store.tx() as db:
        run = get_run(store, thread_id, run_id)
        if run["status"] not in ACTIVE_RUN_STATES or run["status"] == "cancelling":
            raise BadRequest(f"Cannot cancel run with status '{run['status']}': only a queued, in_progress or "
                             "requires_action run can be cancelled.", param="run_id")
        waiting = run["status"] == "requires_action"
        run["status"] = "cancelling"
        save_run(db, run)
    engine.request_cancel(run_id)
    engine.publish(run_id, "thread.run.cancelling", run)
    if waiting:
        engine.start(run_id)  # nothing is executing a run that waits for outputs: finish it now
    return run


@router.post("/threads/{thread_id}/runs/{run_id}/submit_tool_outputs")
def submit_tool_outputs(thread_id: str, run_id: str, request: Request,
                        body: dict = Depends(checked(request_models.SubmitToolOutputsBody))):
    app, store = request.app, request.app.state.store
    outputs, stream = parse_tool_outputs(body)
    get_thread(store, thread_id)
    RunEngine.of(app).expire_due(thread_id)
    with store.tx() as db:
        run = get_run(store, thread_id, run_id)
        if run["status"] != "requires_action":
            raise BadRequest(f"Runs in status '{run['status']}' do not accept tool outputs; only a run in "
                             "'requires_action' does.", param="run_id")
        step = _answer_calls(store, run, outputs)
        save(db, "thread_run_steps", step)
        run.update(status="queued", required_action=None)
        save_run(db, run)
    if not stream:
        RunEngine.of(app).start(run_id)
        return run
    return _event_stream(app, run_id, [("thread.run.step.completed", step)], start=True)


def _answer_calls(store, run: dict, outputs: list) -> dict:
    """The waiting tool_calls step with every call's output filled in (all calls need one)."""
    expected = [c["id"] for c in run["required_action"]["submit_tool_outputs"]["tool_calls"]]
    given: dict = {}
    for i, item in enumerate(outputs):
        call_id = item["tool_call_id"]
        if call_id not in expected:
            raise BadRequest(f"Invalid 'tool_outputs[{i}].tool_call_id': '{call_id[:60]}' is not a call this run is "
                             f"waiting for (waiting for: {', '.join(expected)}).",
                             param=f"tool_outputs[{i}].tool_call_id")
        if call_id in given:
            raise BadRequest(f"Invalid 'tool_outputs[{i}]': a second output for '{call_id}'.",
                             param=f"tool_outputs[{i}].tool_call_id")
        given[call_id] = item["output"]
    missing = [c for c in expected if c not in given]
    if missing:
        raise BadRequest(f"Missing outputs for tool calls: {', '.join(missing)}. Submit every call's output "
                         "in one request.", param="tool_outputs")
    step = [s for s in run_steps(store, run["id"]) if s["type"] == "tool_calls"][-1]
    for call in step["step_details"]["tool_calls"]:
        call["function"]["output"] = given.get(call["id"], call["function"].get("output"))
    step.update(status="completed", completed_at=int(time.time()))
    return step


@router.get("/threads/{thread_id}/runs/{run_id}/steps")
def list_run_steps(thread_id: str, run_id: str, request: Request, cursor: Cursor = Depends(paging(order="desc"))):
    store = request.app.state.store
    include = _include(request)
    get_run(store, thread_id, run_id)
    return page(store, "thread_run_steps", cursor, lambda row: public_step(loads(row["body"]), include),
                where="run_id = ?", params=(run_id,))


@router.get("/threads/{thread_id}/runs/{run_id}/steps/{step_id}")
def retrieve_run_step(thread_id: str, run_id: str, step_id: str, request: Request):
    include = _include(request)
    return public_step(get_step(request.app.state.store, thread_id, run_id, step_id), include)


__all__ = ["create_thread_and_run", "router"]
