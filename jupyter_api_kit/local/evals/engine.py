"""Eval runs in the background: load the items, sample the local model where the data source asks,
grade every item with every testing criterion, and keep the run's counts up to date as it goes.

A run moves `queued` -> `in_progress` -> `completed` (or `failed`, or `canceled` by the user). The
worker writes each output item and the new counts in one transaction that first checks the run is
still in progress, so a cancel (or a delete) takes effect at the next item and nothing is written
after it. Runs left unfinished by a server that stopped are started again when it starts.

Example:
    >>> EMPTY_ERROR
    {'code': '', 'message': ''}
"""

from __future__ import annotations

import json

from jupyter_api_kit.local.chat.engine import build_completion
from jupyter_api_kit.local.chat.request import chat_request
from jupyter_api_kit.local.core.auth import Principal
from jupyter_api_kit.local.core.db import dumps, loads
from jupyter_api_kit.local.core.errors import HTTPError
from jupyter_api_kit.local.core.ids import new_id, now
from jupyter_api_kit.local.core.jobs import Job, JobKind, set_status
from jupyter_api_kit.local.core.usage_log import record
from jupyter_api_kit.local.evals.graders import TemplateError, grade, grader_model, lookup, render
from jupyter_api_kit.local.evals.sources import (
    content_texts,
    eval_namespaces,
    load_items,
)
from jupyter_api_kit.local.inference.engine import resolve_language_model

#: the contract makes `error` a required object on runs and samples; empty strings mean "no error"
EMPTY_ERROR = {"code": "", "message": ""}
#: token cap for sampling when the data source sets no max_completion_tokens
DEFAULT_MAX_TOKENS = 256
DEFAULT_SEED = 42
ACTIVE = ("queued", "in_progress")


def start(app, run_id: str, principal: Principal | None = None) -> None:
    """Run an eval run in the background; `principal` is who the model usage is recorded for."""
    app.state.jobs.start(EVAL_RUNS, run_id, principal or Principal())


def recover(app) -> list[tuple]:
    """The runs a stopped server left queued or in progress, reset to start again from their first item."""
    from jupyter_api_kit.local.evals.store import reset_run

    store = app.state.store
    rows = store.all("SELECT id FROM eval_runs WHERE status IN ('queued', 'in_progress') ORDER BY seq")
    for row in rows:
        reset_run(store, row["id"], zero_counts())
    return [(row["id"], Principal()) for row in rows]


def zero_counts() -> dict:
    """A run's `result_counts` before any item is graded.

    Example:
        >>> zero_counts()
        {'total': 0, 'errored': 0, 'failed': 0, 'passed': 0}
    """
    return {"total": 0, "errored": 0, "failed": 0, "passed": 0}


def _set_status(store, run_id: str, old: str, new: str, error: dict | None = None) -> bool:
    with store.tx() as db:
        return set_status(db, "eval_runs", {"id": run_id}, new, (old,), **({"error": dumps(error)} if error else {}))


def execute(app, job: Job, principal: Principal) -> None:
    """Run one eval run to its end (the step logic of `EVAL_RUNS`)."""
    store = app.state.store
    run_id = job.id
    run = store.one("SELECT * FROM eval_runs WHERE id = ?", (run_id,))
    if run is None or not _set_status(store, run_id, "queued", "in_progress"):
        return
    evaluation = store.one("SELECT * FROM evals WHERE id = ?", (run["eval_id"],))
    source = loads(run["data_source"])
    criteria = loads(evaluation["testing_criteria"])
    item_schema, _, _ = eval_namespaces(loads(evaluation["data_source_config"]))
    try:
        rows = load_items(app, source, item_schema)
    except HTTPError as exc:  # the file changed or went away since the run was created
        _set_status(store, run_id, "in_progress", "failed", {"code": "invalid_data_source", "message": exc.message})
        return
    for index, row in enumerate(rows):
        if job.wait(app.state.timing.eval_item):
            return  # the server is stopping; the run is started again with the server
        item = grade_item(app, source, criteria, row, index, principal)
        if not _save_item(store, run_id, run["eval_id"], item):
            return  # canceled or deleted meanwhile
    _set_status(store, run_id, "in_progress", "completed")


def _fail(app, run_id: str, exc: Exception) -> None:
    """A bug must not leave the run in progress forever."""
    _set_status(app.state.store, run_id, "in_progress", "failed",
                {"code": "server_error", "message": f"The local server failed while grading: {exc}"})


EVAL_RUNS = JobKind("eval_run", run=execute, recover=recover, fail=_fail)


def grade_item(app, source: dict, criteria: list, row: dict, index: int, principal: Principal) -> dict:
    """One output item (without ids): the item, its sample, every grader's result and the status."""
    item = row["item"]
    namespaces = {"item": item}
    usage = None
    error = None
    if source.get("input_messages"):  # sample the model; else the row gives the sample (or has none)
        try:
            sample, namespaces["sample"], usage = _sample(app, source, item, principal)
        except TemplateError as exc:
            sample, error = _given_sample(None), {"code": "template_error", "message": str(exc)}
        except HTTPError as exc:  # e.g. referenced messages the model cannot take
            sample, error = _given_sample(None), {"code": "invalid_input", "message": exc.message}
    else:
        given = row.get("sample") if isinstance(row.get("sample"), dict) else None
        sample = row.get("output_sample") or _given_sample(given)
        if given is not None:
            namespaces["sample"] = given
    results = []
    if error is None:
        try:
            results = [grade(c, namespaces, grader_model(app, c)) for c in criteria]
        except TemplateError as exc:
            error = {"code": "template_error", "message": str(exc)}
    if error is not None:
        sample["error"] = error
        results = []
    passed = error is None and all(r["passed"] for r in results)
    return {"datasource_item_id": index, "datasource_item": item, "results": results, "sample": sample,
            "status": "pass" if passed else "fail", "errored": error is not None, "usage": usage}


def _given_sample(given: dict | None) -> dict:
    """The output item's `sample` for a jsonl row: what the row provided, in the contract's shape."""
    given = given or {}
    text = given.get("output_text")
    output = [{"role": "assistant", "content": text}] if isinstance(text, str) else []
    return {"input": [], "output": output, "finish_reason": str(given.get("finish_reason") or ""),
            "model": str(given.get("model") or ""),
            "usage": {"total_tokens": 0, "completion_tokens": 0, "prompt_tokens": 0, "cached_tokens": 0},
            "error": dict(EMPTY_ERROR), "temperature": 1.0, "max_completion_tokens": 0, "top_p": 1.0, "seed": 0}


def input_messages(source: dict, item: dict) -> list[dict]:
    """The messages sent to the model for one item: the template filled in, or the referenced list.

    Example:
        >>> input_messages({"input_messages": {"type": "template", "template": [
        ...     {"role": "user", "content": "Capital of {{item.country}}?"}]}}, {"country": "Peru"})
        [{'role': 'user', 'content': 'Capital of Peru?'}]
    """
    spec = source["input_messages"]
    if spec["type"] == "item_reference":
        messages = lookup(spec["item_reference"], {"item": item})
        if not isinstance(messages, list) or not all(isinstance(m, dict) and "role" in m for m in messages):
            raise TemplateError(f"'{spec['item_reference']}' is not a list of messages")
        return [{"role": m["role"], "content": m.get("content") or ""} for m in messages]
    out = []
    for message in spec["template"]:
        texts = content_texts(message.get("content"), "template")
        out.append({"role": message["role"], "content": "\n".join(render(t, {"item": item}) for t in texts)})
    return out


def _sample(app, source: dict, item: dict, principal: Principal) -> tuple[dict, dict, dict]:
    """(output item sample, `sample` namespace, usage) from the local model for one item."""
    messages = input_messages(source, item)
    params = source.get("sampling_params") or {}
    max_tokens = params.get("max_completion_tokens") or DEFAULT_MAX_TOKENS
    seed = params.get("seed", DEFAULT_SEED)
    body = {"model": source["model"], "messages": messages, "max_completion_tokens": max_tokens, "seed": seed,
            "temperature": params.get("temperature", 1.0), "top_p": params.get("top_p", 1.0)}
    for key in ("response_format", "tools"):
        if params.get(key):
            body[key] = params[key]
    req = chat_request(body)
    model = resolve_language_model(app, req.model)
    completion = build_completion(model, req, new_id("chatcmpl-"), cached_tokens=0)
    usage = completion["usage"]
    record(app.state.store, "completions", model=model.id, principal=principal,
           input_tokens=usage["prompt_tokens"], output_tokens=usage["completion_tokens"])
    choice = completion["choices"][0]
    text = choice["message"].get("content") or ""
    namespace = {"model": model.id, "choices": completion["choices"], "output_text": text,
                 "output_tools": choice["message"].get("tool_calls") or []}
    try:
        namespace["output_json"] = json.loads(text)
    except ValueError:
        pass
    sample = {"input": messages, "output": [{"role": "assistant", "content": text}],
              "finish_reason": choice["finish_reason"], "model": model.id,
              "usage": {"total_tokens": usage["total_tokens"], "completion_tokens": usage["completion_tokens"],
                        "prompt_tokens": usage["prompt_tokens"], "cached_tokens": 0},
              "error": dict(EMPTY_ERROR), "temperature": float(req.temperature), "max_completion_tokens": max_tokens,
              "top_p": float(req.top_p), "seed": seed}
    return sample, namespace, {"model": model.id, **sample["usage"]}


def _save_item(store, run_id: str, eval_id: str, item: dict) -> bool:
    """Write the output item and the run's new counts, if the run is still in progress."""
    with store.tx() as db:
        run = db.execute("SELECT status, result_counts, per_model_usage, per_testing_criteria_results "
                         "FROM eval_runs WHERE id = ?", (run_id,)).fetchone()
        if run is None or run["status"] != "in_progress":
            return False
        db.execute("INSERT INTO eval_run_output_items (id, run_id, eval_id, created_at, status, datasource_item_id, "
                   "datasource_item, results, sample) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (new_id("outputitem_"), run_id, eval_id, now(), item["status"], item["datasource_item_id"],
                    dumps(item["datasource_item"]), dumps(item["results"]), dumps(item["sample"])))
        counts = loads(run["result_counts"])
        counts["total"] += 1
        key = "errored" if item["errored"] else ("passed" if item["status"] == "pass" else "failed")
        counts[key] += 1
        per_criteria = loads(run["per_testing_criteria_results"])
        outcome = {r["name"]: r["passed"] for r in item["results"]}
        for entry in per_criteria:
            if entry["testing_criteria"] in outcome:
                entry["passed" if outcome[entry["testing_criteria"]] else "failed"] += 1
        db.execute("UPDATE eval_runs SET result_counts = ?, per_model_usage = ?, per_testing_criteria_results = ? "
                   "WHERE id = ?", (dumps(counts), dumps(_add_usage(loads(run["per_model_usage"]), item["usage"])),
                                    dumps(per_criteria), run_id))
    return True


def _add_usage(per_model: list, usage: dict | None) -> list:
    if usage is None:
        return per_model
    entry = next((u for u in per_model if u["model_name"] == usage["model"]), None)
    if entry is None:
        entry = {"model_name": usage["model"], "invocation_count": 0, "prompt_tokens": 0, "completion_tokens": 0,
                 "total_tokens": 0, "cached_tokens": 0}
        per_model.append(entry)
    entry["invocation_count"] += 1
    for key in ("prompt_tokens", "completion_tokens", "total_tokens", "cached_tokens"):
        entry[key] += usage[key]
    return per_model
