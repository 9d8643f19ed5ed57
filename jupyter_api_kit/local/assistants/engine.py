"""Runs, executed in the background: `queued` -> `in_progress` -> `completed`, or `requires_action`
(a function call waiting for outputs), `cancelling` -> `cancelled`, `failed` (with `last_error`),
`expired` (outputs not submitted in time) or `incomplete` (a token limit was hit).

Every transition is written to SQLite first and then published as a server-sent event to whoever
streams the run, so a client that reacts to an event always finds the database agreeing with it.
Transitions check the status they expect inside the transaction: a cancel that lands between two
steps wins, and the engine stops at its next check (between steps, and between generated tokens).

Timing (`app.state.timing`, read at each use so tests can change it on a running server):
`run_step` (seconds between lifecycle steps), `run_token` (seconds after each generated token) and
`run_expiry` (how long a run waits for tool outputs).

The app's job runner (`core.jobs`) executes runs (`RUNS`): one worker per run at a time, the cancel
flag checked between tokens, and recovery at start-up.

`run.model` echoes the model asked for, as the API does; the local model that answers any name is named
in the metadata (`served_by`) of each step it wrote.

Example:
    >>> engine = RunEngine.of(app)
    >>> engine.store is app.state.store
    True
"""

from __future__ import annotations

import logging
import time

from jupyter_api_kit.local.assistants.events import RunEvents
from jupyter_api_kit.local.assistants.file_search import search_for_run
from jupyter_api_kit.local.assistants.planning import (
    PromptTooLong,
    build_context,
    choose_calls,
    count_prompt,
)
from jupyter_api_kit.local.assistants.store import close_open_work, insert_step, run_steps, save, save_run
from jupyter_api_kit.local.core.auth import Principal
from jupyter_api_kit.local.core.db import dumps, loads
from jupyter_api_kit.local.core.ids import new_id, now
from jupyter_api_kit.local.core.jobs import Job, JobKind
from jupyter_api_kit.local.core.usage_log import record
from jupyter_api_kit.local.inference.engine import resolve_language_model
from jupyter_api_kit.local.inference.tools import call_arguments, json_text

log = logging.getLogger("jupyter_api_kit.local")


class RunEngine:
    """Executes runs (the step logic of `RUNS`) and fans their events out to streams."""

    def __init__(self, app):
        self.app = app
        self.jobs = app.state.jobs
        self.events = RunEvents()
        self.publish = self.events.publish

    @classmethod
    def of(cls, app) -> "RunEngine":
        """The app's engine (`app.state.run_engine`, made by the runs route module's setup).

        Example:
            >>> RunEngine.of(app) is app.state.run_engine
            True
        """
        return app.state.run_engine

    @property
    def store(self):
        """The app's database.

        Example:
            >>> RunEngine.of(app).store.one("SELECT count(*) AS n FROM thread_runs")["n"]
            0
        """
        return self.app.state.store

    # ---- control ------------------------------------------------------------------------------

    def start(self, run_id: str) -> None:
        """Execute (or resume, or finish cancelling) the run in the background."""
        self.jobs.start(RUNS, run_id)

    def request_cancel(self, run_id: str) -> None:
        """Make a run being generated stop at its next token."""
        self.jobs.cancel(run_id)

    def _cancel_requested(self, run_id: str) -> bool:
        return self.jobs.cancel_requested(run_id)

    def execute(self, job: Job) -> None:
        """Execute one run to its next stop (ended, waiting for tool outputs, or cancelled); the job
        runner calls it, one worker per run at a time. An unexpected error fails the run (with
        `last_error`) before the streams following the run are told the execution ended, which they
        are either way.
        """
        epoch = self.events.next_epoch()
        try:
            self._execute(job)
        except Exception as exc:  # the run fails; the server goes on
            log.exception("run %s failed", job.id)
            self._fail(job.id, exc)
        finally:
            self.events.end(job.id, epoch)

    # ---- persistence --------------------------------------------------------------------------

    def _load(self, run_id: str) -> dict | None:
        row = self.store.one("SELECT body FROM thread_runs WHERE id = ?", (run_id,))
        return None if row is None else loads(row["body"])

    def _transition(self, run_id: str, expect: tuple, **changes) -> dict | None:
        """Apply `changes` if the run is still in one of the `expect`ed states; else None."""
        with self.store.tx() as db:
            row = db.execute("SELECT body FROM thread_runs WHERE id = ?", (run_id,)).fetchone()
            if row is None:
                return None
            run = loads(row["body"])
            if run["status"] not in expect:
                return None
            run.update(changes)
            save_run(db, run)
            return run

    def _pause(self, job: Job) -> bool:
        """The lifecycle step delay; True when this worker should end (the server is stopping, or a
        newer start took the run over and goes on from what is stored)."""
        return job.wait(self.app.state.timing.run_step)

    # ---- the lifecycle ------------------------------------------------------------------------

    def _execute(self, job: Job) -> None:
        run_id = job.id
        run = self._load(run_id)
        if run is None:
            return  # its thread was deleted
        if run["status"] == "cancelling":
            return self._finish_cancel(run_id)
        if run["status"] == "queued":
            self.publish(run_id, "thread.run.queued", run)
            if self._pause(job):
                return
            started = run["started_at"] or now()
            run = self._transition(run_id, ("queued",), status="in_progress", started_at=started)
            if run is None:
                return self._finish_cancel(run_id)
            self.publish(run_id, "thread.run.in_progress", run)
        elif run["status"] != "in_progress":
            return  # terminal, or waiting for tool outputs: nothing to do
        if self._pause(job):
            return
        if self._stop_for_cancel(run_id):
            return
        model = resolve_language_model(self.app, run["model"])
        try:
            context = build_context(self.store, run, model)
        except PromptTooLong:
            return self._incomplete_prompt(run_id)
        searched = search_for_run(self, run, context)  # adds what it found to the context
        calls = [] if searched else choose_calls(run, context, run_steps(self.store, run_id))
        if calls:
            return self._call_tools(run, calls, context, model)
        return self._write_message(job, run, context, model)

    def _stop_for_cancel(self, run_id: str) -> bool:
        run = self._load(run_id)
        if run is None:
            return True
        if run["status"] == "cancelling" or self._cancel_requested(run_id):
            self._finish_cancel(run_id)
            return True
        return False

    def _principal(self, run_id: str) -> Principal:
        row = self.store.one("SELECT principal FROM thread_runs WHERE id = ?", (run_id,))
        return Principal(**(loads(row["principal"]) if row else {}))

    def _record(self, run_id: str, model, prompt_tokens: int, completion_tokens: int) -> None:
        """Usage of one model request, attributed to whoever created the run (outside any transaction)."""
        record(self.store, "completions", model=model.id, principal=self._principal(run_id),
               input_tokens=prompt_tokens, output_tokens=completion_tokens)

    @staticmethod
    def _usage(run: dict, prompt_tokens: int, completion_tokens: int) -> dict:
        """The run's usage with one more model request added."""
        before = run.get("usage") or {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
        usage = {"prompt_tokens": before["prompt_tokens"] + prompt_tokens,
                 "completion_tokens": before["completion_tokens"] + completion_tokens}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        return usage

    def _new_step(self, run: dict, kind: str, details: dict, model=None) -> dict:
        return {"id": new_id("step_"), "object": "thread.run.step", "created_at": now(),
                "assistant_id": run["assistant_id"], "thread_id": run["thread_id"], "run_id": run["id"],
                "type": kind, "status": "in_progress", "step_details": details, "last_error": None,
                "expired_at": None, "cancelled_at": None, "failed_at": None, "completed_at": None,
                "metadata": {"served_by": model.id} if model is not None else {}, "usage": None}

    def _call_tools(self, run: dict, calls: list, context: list, model) -> None:
        """A tool_calls step; the run waits in `requires_action` for the outputs."""
        tool_calls = []
        for function in calls:
            arguments = call_arguments(model, function, context, temperature=run["temperature"], top_p=run["top_p"])
            tool_calls.append({"id": new_id("call_"), "type": "function",
                               "function": {"name": function["name"], "arguments": arguments}})
        step = self._new_step(run, "tool_calls", {"type": "tool_calls", "tool_calls": [
            {**c, "function": {**c["function"], "output": None}} for c in tool_calls]}, model)
        prompt = count_prompt(model, context)
        completion = sum(model.count_tokens(c["function"]["name"] + c["function"]["arguments"]) for c in tool_calls)
        step["usage"] = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
        with self.store.tx() as db:
            row = db.execute("SELECT body FROM thread_runs WHERE id = ?", (run["id"],)).fetchone()
            current = None if row is None else loads(row["body"])
            if current is not None and current["status"] == "in_progress":
                insert_step(db, step)
                current.update(status="requires_action", usage=self._usage(current, prompt, completion),
                               required_action={"type": "submit_tool_outputs",
                                                "submit_tool_outputs": {"tool_calls": tool_calls}})
                save_run(db, current)
        if current is None:
            return None
        if current["status"] != "requires_action":
            return self._finish_cancel(run["id"])  # a cancel came in while the call was being made
        self._record(run["id"], model, prompt, completion)
        self.publish(run["id"], "thread.run.step.created", step)
        self.publish(run["id"], "thread.run.step.in_progress", step)
        self.publish(run["id"], "thread.run.step.delta", {
            "id": step["id"], "object": "thread.run.step.delta", "delta": {"step_details": {
                "type": "tool_calls",
                "tool_calls": [{"index": i, **c} for i, c in enumerate(step["step_details"]["tool_calls"])]}}})
        self.publish(run["id"], "thread.run.requires_action", current)

    def _write_message(self, job: Job, run: dict, context: list, model) -> None:
        """A message_creation step: the assistant's reply, streamed token by token."""
        message = {"id": new_id("msg_"), "object": "thread.message", "created_at": now(),
                   "thread_id": run["thread_id"], "status": "in_progress", "incomplete_details": None,
                   "completed_at": None, "incomplete_at": None, "role": "assistant", "content": [],
                   "assistant_id": run["assistant_id"], "run_id": run["id"], "attachments": [], "metadata": {}}
        step = self._new_step(run, "message_creation", {"type": "message_creation",
                                                        "message_creation": {"message_id": message["id"]}}, model)
        with self.store.tx() as db:
            db.execute("INSERT INTO thread_messages (id, thread_id, run_id, body) VALUES (?, ?, ?, ?)",
                       (message["id"], run["thread_id"], run["id"], dumps(message)))
            insert_step(db, step)
        for event, data in (("thread.run.step.created", step), ("thread.run.step.in_progress", step),
                            ("thread.message.created", message), ("thread.message.in_progress", message)):
            self.publish(run["id"], event, data)

        fmt = run.get("response_format")
        plain = not isinstance(fmt, dict) or fmt.get("type") == "text"
        # A JSON answer is made whole from the model's answer (never shown), within the token limit.
        gen = model.generate(context, max_tokens=run["max_completion_tokens"] if plain else None,
                             temperature=run["temperature"], top_p=run["top_p"], seed=None, stop=None,
                             top_logprobs=0)
        pieces, cancelled = [], False
        token_delay = self.app.state.timing.run_token
        for tok in gen:
            pieces.append(tok.text)
            if plain:
                self.publish(run["id"], "thread.message.delta", delta(message["id"], tok.text))
            if token_delay:
                job.wait(token_delay)
            if job.cancelled:
                cancelled = True
                break
        text = "".join(pieces)
        completion = len(pieces)
        hit_limit = (not cancelled and gen.finish_reason == "length" and run["max_completion_tokens"] is not None)
        if not cancelled and not plain:
            out = json_text(model, context, text, fmt, run["max_completion_tokens"])
            text, completion, hit_limit = out.text, out.tokens, out.finish_reason == "length"
            self.publish(run["id"], "thread.message.delta", delta(message["id"], text))
        prompt = count_prompt(model, context)
        self._finish_message(run["id"], message, step, text, model, prompt, completion,
                             "cancelled" if cancelled else "incomplete" if hit_limit else "completed")

    def _finish_message(self, run_id, message, step, text, model, prompt, completion, outcome) -> None:
        ts = now()
        message["content"] = [{"type": "text", "text": {"value": text, "annotations": []}}]
        step["usage"] = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
        run_changes: dict = {"expires_at": None, "required_action": None}
        if outcome == "completed":
            message.update(status="completed", completed_at=ts)
            step.update(status="completed", completed_at=ts)
            run_changes.update(status="completed", completed_at=ts)
        elif outcome == "incomplete":
            message.update(status="incomplete", incomplete_at=ts, incomplete_details={"reason": "max_tokens"})
            step.update(status="completed", completed_at=ts)
            run_changes.update(status="incomplete", incomplete_details={"reason": "max_completion_tokens"})
        else:
            message.update(status="incomplete", incomplete_at=ts, incomplete_details={"reason": "run_cancelled"})
            step.update(status="cancelled", cancelled_at=ts)
            run_changes.update(status="cancelled", cancelled_at=ts)
        with self.store.tx() as db:
            row = db.execute("SELECT body FROM thread_runs WHERE id = ?", (run_id,)).fetchone()
            if row is None:
                return None  # the thread was deleted while the reply was written
            run = loads(row["body"])
            run_changes["usage"] = self._usage(run, prompt, completion)
            run.update(run_changes)
            save(db, "thread_messages", message)
            save(db, "thread_run_steps", step)
            save_run(db, run)
        self.jobs.forget(run_id)
        self._record(run_id, model, prompt, completion)
        message_event = "thread.message.completed" if outcome == "completed" else "thread.message.incomplete"
        self.publish(run_id, message_event, message)
        self.publish(run_id, "thread.run.step.cancelled" if outcome == "cancelled" else "thread.run.step.completed",
                     step)
        self.publish(run_id, f"thread.run.{run['status']}", run)

    # ---- endings other than a reply ------------------------------------------------------------

    def _end_run(self, run_id: str, expect: tuple, status: str, stamp: str | None, step_status: str,
                 step_stamp: str, reason: str, error=None, step_error=None, **extra) -> None:
        with self.store.tx() as db:
            row = db.execute("SELECT body FROM thread_runs WHERE id = ?", (run_id,)).fetchone()
            if row is None:
                return
            run = loads(row["body"])
            if run["status"] not in expect:
                return
            steps, messages = close_open_work(db, run_id, step_status, step_stamp, reason, step_error)
            run.update(status=status, required_action=None, expires_at=None, **extra)
            if stamp:
                run[stamp] = now()
            if error:
                run["last_error"] = error
            save_run(db, run)
        self.jobs.forget(run_id)
        for message in messages:
            self.publish(run_id, "thread.message.incomplete", message)
        for step in steps:
            self.publish(run_id, f"thread.run.step.{step_status}", step)
        self.publish(run_id, f"thread.run.{status}", run)

    def _finish_cancel(self, run_id: str) -> None:
        self._end_run(run_id, ("queued", "in_progress", "requires_action", "cancelling"), "cancelled",
                      "cancelled_at", "cancelled", "cancelled_at", "run_cancelled")

    def _fail(self, run_id: str, exc: Exception) -> None:
        message = f"The local model failed while answering: {type(exc).__name__}: {exc}".replace("\n", " ")[:500]
        error = {"code": "server_error", "message": message}
        self._end_run(run_id, ("queued", "in_progress", "cancelling"), "failed", "failed_at", "failed",
                      "failed_at", "run_failed", error=error, step_error=error)

    def _incomplete_prompt(self, run_id: str) -> None:
        self._end_run(run_id, ("in_progress",), "incomplete", None, "cancelled", "cancelled_at", "run_cancelled",
                      incomplete_details={"reason": "max_prompt_tokens"})

    def recover(self) -> int:
        """Runs left queued or executing by a server that stopped (or was killed) end as `failed`,
        so their threads take messages and runs again. Runs waiting for tool outputs keep waiting.
        Called once when the app starts (`RUNS.recover`); returns how many runs it ended."""
        rows = self.store.all("SELECT id FROM thread_runs WHERE status IN ('queued', 'in_progress', 'cancelling')")
        error = {"code": "server_error", "message": "The local server stopped while this run was executing; "
                                                    "start a new run."}
        for row in rows:
            self._end_run(row["id"], ("queued", "in_progress", "cancelling"), "failed", "failed_at", "failed",
                          "failed_at", "run_failed", error=error, step_error=error)
        return len(rows)

    def expire_due(self, thread_id: str) -> None:
        """Runs of this thread whose tool outputs came too late become `expired` (checked on access)."""
        rows = self.store.all("SELECT id FROM thread_runs WHERE thread_id = ? AND status = 'requires_action' "
                              "AND expires_at <= ?", (thread_id, time.time()))
        for row in rows:
            self._end_run(row["id"], ("requires_action",), "expired", None, "expired", "expired_at", "run_expired")


def delta(message_id: str, text: str) -> dict:
    """A `thread.message.delta` carrying one piece of text."""
    return {"id": message_id, "object": "thread.message.delta",
            "delta": {"content": [{"index": 0, "type": "text", "text": {"value": text, "annotations": []}}]}}


def _run(app, job: Job) -> None:
    RunEngine.of(app).execute(job)


def _recover(app) -> list:
    RunEngine.of(app).recover()
    return []  # nothing starts again: a run cut off mid-way cannot resume its reply


#: Assistants runs, as the app's job runner knows them
RUNS = JobKind("thread_run", run=_run, recover=_recover)


__all__ = ["RUNS", "RunEngine", "delta", "insert_step", "save_run"]
