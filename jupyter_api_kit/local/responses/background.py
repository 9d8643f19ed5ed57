"""Background responses (`background: true`) as jobs of the app's job runner, and the end of every
response: storing it, adding the turn to its conversation and recording its usage.

A background response is `queued`, then `in_progress` after `app.state.timing.response_step` seconds,
then generated; a cancel between tokens ends it as `cancelled`. One a stopped server left unfinished
ends as `failed` when the server starts again: the request it was made from is not kept whole.

Example:
    >>> BACKGROUND_RESPONSES.name
    'background_response'
"""

from __future__ import annotations

from jupyter_api_kit.local.conversations import store as conversation_store
from jupyter_api_kit.local.core.errors import NotFound, log
from jupyter_api_kit.local.core.jobs import Job, JobKind
from jupyter_api_kit.local.core.usage_log import record
from jupyter_api_kit.local.responses import store as response_store
from jupyter_api_kit.local.responses.run import Run

#: the error of a response a stopped server left unfinished
INTERRUPTED = {"code": "server_error",
               "message": "The local server stopped while this response was being made; create it again."}


def record_usage(app, run: Run, principal) -> None:
    """Record a finished response's model and file-search usage for `principal`."""
    usage = run.response.get("usage")
    if usage:
        record(app.state.store, "completions", model=run.req.model.id, principal=principal,
               input_tokens=usage["input_tokens"], output_tokens=usage["output_tokens"],
               input_cached_tokens=usage["input_tokens_details"]["cached_tokens"])
    searches = sum(1 for item in run.response.get("output") or [] if item.get("type") == "file_search_call")
    if searches:
        record(app.state.store, "file_search_calls", principal=principal, num_model_requests=searches)


def save_final(app, run: Run) -> None:
    """Store a finished response (when asked to) and add the turn to its conversation."""
    if run.req.store:
        response_store.update(app.state.store, run.response)
    if run.req.conversation_id and run.response["status"] in ("completed", "incomplete"):
        try:  # the conversation gets this turn: its input, then its output
            conversation_store.add_items(app.state.store, run.req.conversation_id,
                                         run.req.inputs + run.response["output"], run.response["id"])
        except NotFound:
            log.warning("conversation %s was deleted before response %s completed; the turn is kept in the "
                        "response only", run.req.conversation_id, run.response["id"])


def make(app, job: Job, run: Run, principal) -> None:
    """The step logic of `BACKGROUND_RESPONSES`: queued -> in_progress -> done, unless cancelled or the
    server stops."""
    try:
        step = app.state.timing.response_step
        if job.wait(step) or job.cancelled:
            return
        run.response["status"] = "in_progress"
        response_store.update(app.state.store, run.response)
        if job.wait(step) or job.cancelled:
            return
        for _ in run.events():
            pass
        if run.response["status"] != "cancelled":
            save_final(app, run)
            record_usage(app, run, principal)
    except Exception as exc:  # a failure is the response's, reported in it, never lost
        run.response.update(status="failed", error={"code": "server_error", "message": f"{type(exc).__name__}"})
        response_store.update(app.state.store, run.response)
        raise
    finally:
        app.state.jobs.forget(run.response["id"])


def recover(app) -> list:
    """Responses a stopped server left queued or in progress end as `failed` (nothing starts again)."""
    response_store.fail_unfinished(app.state.store, INTERRUPTED)
    return []


BACKGROUND_RESPONSES = JobKind("background_response", run=make, recover=recover)
