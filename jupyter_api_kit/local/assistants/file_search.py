"""The `file_search` tool of assistants and runs: the tool and `tool_resources.file_search` checked,
vector stores made by the `vector_stores` helper, and the search a run does.

A run searches the vector stores of its assistant and of its thread (one each at most, as in the
API) with the question of the latest user message, the search Responses and POST
/vector_stores/{id}/search use. It searches when `tool_choice` names `file_search`; with `required`
or `auto` it searches unless a function tool fits the question better, and with `auto` the search
counts only when a result shares a content word with the question. The search is a `tool_calls`
run step holding a `file_search` call and its results; the found text is then part of what the
model reads, so the answer draws on it. Result `content` is shown only when
`include[]=step_details.tool_calls[*].file_search.results[*].content` asks for it.

Example:
    >>> parse_file_search_tool({"type": "file_search", "file_search": {"max_num_results": 5}}, "tools[0]")
    {'type': 'file_search', 'file_search': {'max_num_results': 5}}
    >>> parse_file_search_tool({"type": "file_search", "file_search": {"ranking_options": {"ranker": "bm25"}}},
    ...                        "tools[0]")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    jupyter_api_kit.local.core.errors.BadRequest: Invalid value for 'tools[0].file_search.ranking_options.ranker': ...
"""

from __future__ import annotations

from jupyter_api_kit.local.core.errors import BadRequest, NotFound
from jupyter_api_kit.local.core.ids import new_id, now
from jupyter_api_kit.local.core.params import Params, check_metadata, type_name

RANKERS = ("auto", "default_2024_08_21")
#: the API's default number of results for the models it serves (gpt-4*)
DEFAULT_RESULTS = 20
INCLUDE_CONTENT = "step_details.tool_calls[*].file_search.results[*].content"
#: how long a run waits for files of its stores still being processed (seconds), as the API does
READY_WAIT = 60.0


def parse_file_search_tool(tool: dict, where: str) -> dict:
    """A `file_search` tool with its optional `max_num_results` (1-50) and `ranking_options`."""
    extra = sorted(set(tool) - {"type", "file_search"})
    if extra:
        raise BadRequest(f"Unrecognized '{where}.{extra[0]}': a file_search tool takes 'file_search' options only.",
                         param=f"{where}.{extra[0]}")
    options = Params(tool, prefix=f"{where}.").dict("file_search")
    if options is None:
        return {"type": "file_search"}
    only = f"{where}.file_search."
    unknown = sorted(set(options) - {"max_num_results", "ranking_options"})
    if unknown:
        raise BadRequest(f"Unrecognized '{only}{unknown[0]}'. Supported options are 'max_num_results' and "
                         "'ranking_options'.", param=f"{only}{unknown[0]}")
    Params(options, prefix=only).int("max_num_results", minimum=1, maximum=50)
    ranking = Params(options, prefix=only).dict("ranking_options")
    if ranking is not None:
        rp = Params(ranking, prefix=f"{only}ranking_options.")
        rp.str("ranker", choices=RANKERS)
        rp.number("score_threshold", minimum=0, maximum=1)
        if "score_threshold" not in ranking:
            raise BadRequest(f"Missing required parameter: '{only}ranking_options.score_threshold'.",
                             param=f"{only}ranking_options.score_threshold")
    return {"type": "file_search", "file_search": dict(options)}


def parse_new_stores(value, param: str) -> list[dict]:
    """The `vector_stores` helper: at most one `{file_ids, chunking_strategy, metadata}` to create.

    Example:
        >>> parse_new_stores([{"file_ids": ["file-1"]}], "tool_resources.file_search.vector_stores")
        [{'file_ids': ['file-1'], 'chunking_strategy': {'type': 'static', 'static': {'max_chunk_size_tokens': 800, 'chunk_overlap_tokens': 400}}, 'metadata': {}}]
    """
    from jupyter_api_kit.local.vector_stores.chunking import parse_strategy

    stores = Params({param: value}).list(param, max_items=1)
    out = []
    for i, item in enumerate(stores):
        where = f"{param}[{i}]"
        if not isinstance(item, dict):
            raise BadRequest(f"Invalid type for '{where}': expected an object, got {type_name(item)}.", param=where)
        unknown = sorted(set(item) - {"file_ids", "chunking_strategy", "metadata"})
        if unknown:
            raise BadRequest(f"Unrecognized '{where}.{unknown[0]}'. A vector store to create takes 'file_ids', "
                             "'chunking_strategy' and 'metadata'.", param=f"{where}.{unknown[0]}")
        file_ids = Params(item, prefix=f"{where}.").list("file_ids", default=[], max_items=10000)
        for j, fid in enumerate(file_ids):
            if not isinstance(fid, str) or not fid:
                raise BadRequest(f"Invalid type for '{where}.file_ids[{j}]': expected a file id string.",
                                 param=f"{where}.file_ids[{j}]")
        out.append({"file_ids": list(dict.fromkeys(file_ids)),
                    "chunking_strategy": parse_strategy(item.get("chunking_strategy"), f"{where}.chunking_strategy"),
                    "metadata": check_metadata(item.get("metadata"), f"{where}.metadata") or {}})
    return out


def create_new_stores(app, resources: dict | None, principal=None, param: str = "tool_resources") -> dict | None:
    """`tool_resources` with the stores its `vector_stores` helper asks for created (their files are
    processed in the background) and listed in `vector_store_ids`. Every file is checked first, so a
    missing one is a 404 that leaves nothing behind."""
    from jupyter_api_kit.local.files.store import file_record
    from jupyter_api_kit.local.vector_stores.engine import create_store

    fs = (resources or {}).get("file_search") or {}
    new = fs.pop("vector_stores", None)
    if not new:
        return resources
    for i, spec in enumerate(new):
        for j, fid in enumerate(spec["file_ids"]):
            try:
                file_record(app.state.store, fid)
            except NotFound:
                where = f"{param}.file_search.vector_stores[{i}].file_ids[{j}]"
                raise NotFound(f"No file found with id '{fid}' ({where}); upload it with POST /v1/files first.",
                               param=where) from None
    for spec in new:
        fs["vector_store_ids"] = fs.get("vector_store_ids", []) + [create_store(
            app, file_ids=spec["file_ids"], strategy=spec["chunking_strategy"], metadata=spec["metadata"],
            principal=principal)]
    return resources


# ---- in a run ---------------------------------------------------------------------------------------

def store_ids(store, run: dict) -> list[str]:
    """The vector stores a run searches: its assistant's, then its thread's (those still existing)."""
    from jupyter_api_kit.local.assistants.store import get_thread
    from jupyter_api_kit.local.core.db import loads

    owners = []
    row = store.one("SELECT body FROM assistants WHERE id = ?", (run["assistant_id"],))
    if row is not None:  # an assistant deleted since the run began has no stores to offer
        owners.append(loads(row["body"]))
    owners.append(get_thread(store, run["thread_id"]))
    ids = [vsid for owner in owners
           for vsid in ((owner.get("tool_resources") or {}).get("file_search") or {}).get("vector_store_ids", [])]
    existing = {r["id"] for r in store.all(f"SELECT id FROM vector_stores WHERE id IN ({','.join('?' * len(ids))})",
                                           tuple(ids))} if ids else set()
    return [vsid for vsid in dict.fromkeys(ids) if vsid in existing]


def _tool(run: dict) -> dict | None:
    return next((t for t in run.get("tools") or [] if t.get("type") == "file_search"), None)


def _wants_search(run: dict, context: list) -> bool:
    from jupyter_api_kit.local.inference.tools import function_to_call

    choice = run.get("tool_choice") or "auto"
    if _tool(run) is None or choice == "none":
        return False
    if isinstance(choice, dict):
        return choice.get("type") == "file_search"
    functions = [t for t in run.get("tools") or [] if t.get("type") == "function"]
    return not functions or function_to_call(context, functions, "auto") is None


def _question(context: list) -> str:
    return next((m["content"] for m in reversed(context) if m["role"] == "user"), "")


def _mentions(query: str, text: str) -> bool:
    from jupyter_api_kit.local.vector_stores.search import content_stems

    return bool(content_stems(query) & content_stems(text))


def _wait_until_ready(app, ids: list[str]) -> None:
    """Files still being processed are waited for (up to READY_WAIT), so a store just made by the
    `vector_stores` helper is searched whole."""
    waited, marks = 0.0, ",".join("?" * len(ids))
    while waited < READY_WAIT:
        busy = app.state.store.one(f"SELECT count(*) AS n FROM vector_store_files WHERE vector_store_id IN "
                                   f"({marks}) AND status = 'in_progress'", tuple(ids))["n"]
        if not busy or app.state.jobs.sleep(0.05):
            return
        waited += 0.05


def search_for_run(engine, run: dict, context: list) -> bool:
    """Search for the run if it calls for it (see the module docstring), as a `tool_calls` step, and
    add what was found to `context`. True when the run has searched (now or in an earlier step):
    it then answers in text without calling functions."""
    from jupyter_api_kit.local.assistants.store import insert_step, run_steps

    steps = run_steps(engine.store, run["id"])
    done = [c for s in steps if s["type"] == "tool_calls" for c in s["step_details"]["tool_calls"]]
    searched = [c for c in done if c["type"] == "file_search"]
    if searched:
        _add_found(context, searched[-1]["file_search"]["results"])
        return True
    if done or not _wants_search(run, context):
        return False
    ids = store_ids(engine.store, run)
    query = _rewrite(_question(context))
    if not ids or not query:
        return False
    _wait_until_ready(engine.app, ids)
    results = _search(engine.app, _tool(run), ids, query)
    if run.get("tool_choice") in ("auto", None) and not any(_mentions(query, r["content"][0]["text"])
                                                           for r in results):
        return False  # nothing found is about the question: answer without the tool
    ranking = (_tool(run).get("file_search") or {}).get("ranking_options") or {}
    call = {"id": new_id("call_"), "type": "file_search", "file_search": {
        "ranking_options": {"ranker": "default_2024_08_21", "score_threshold": ranking.get("score_threshold", 0.0)},
        "results": []}}
    step = engine._new_step(run, "tool_calls", {"type": "tool_calls", "tool_calls": [call]})
    with engine.store.tx() as db:
        row = db.execute("SELECT status FROM thread_runs WHERE id = ?", (run["id"],)).fetchone()
        if row is None or row["status"] != "in_progress":
            return False  # cancelled meanwhile: the engine's next check ends the run
        insert_step(db, step)
    engine.publish(run["id"], "thread.run.step.created", public_step(step))
    engine.publish(run["id"], "thread.run.step.in_progress", public_step(step))
    engine.publish(run["id"], "thread.run.step.delta", {"id": step["id"], "object": "thread.run.step.delta", "delta": {
        "step_details": {"type": "tool_calls", "tool_calls": [{"index": 0, "id": call["id"], "type": "file_search",
                                                                "file_search": {}}]}}})
    call["file_search"]["results"] = results
    step.update(status="completed", completed_at=now(),
                usage={"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0})
    _save_step(engine, step)
    _record(engine, run["id"])
    engine.publish(run["id"], "thread.run.step.completed", public_step(step))
    _add_found(context, results)
    return True


def _rewrite(question: str) -> str:
    from jupyter_api_kit.local.vector_stores.search import rewrite_query

    return rewrite_query(question) if question.strip() else ""


def _search(app, tool: dict, ids: list[str], query: str) -> list[dict]:
    from jupyter_api_kit.local.vector_stores.embedding import embed_query
    from jupyter_api_kit.local.vector_stores.search import search

    options = tool.get("file_search") or {}
    ranking = options.get("ranking_options") or {}
    found = search(app.state.store, ids, [query], max_num_results=options.get("max_num_results") or DEFAULT_RESULTS,
                   ranker="auto", score_threshold=float(ranking.get("score_threshold") or 0.0),
                   embed=embed_query(app))
    return [{"file_id": r["file_id"], "file_name": r["filename"], "score": r["score"], "content": r["content"]}
            for r in found]


def _save_step(engine, step: dict) -> None:
    from jupyter_api_kit.local.assistants.store import save

    with engine.store.tx() as db:
        save(db, "thread_run_steps", step)


def _record(engine, run_id: str) -> None:
    from jupyter_api_kit.local.core.usage_log import record

    record(engine.store, "file_search_calls", principal=engine._principal(run_id), num_model_requests=1)


def _add_found(context: list, results: list) -> None:
    """The found text, as a tool's answer after the question: the newest facts the reply uses."""
    if results:
        context.append({"role": "tool", "content": "\n\n".join(r["content"][0]["text"] for r in results)})


def public_step(step: dict, include=()) -> dict:
    """A run step as served: file_search result `content` only when `include` asks for it.

    Example:
        >>> step = {"type": "tool_calls", "step_details": {"tool_calls": [{"type": "file_search", "file_search": {
        ...     "results": [{"file_id": "file-1", "content": [{"type": "text", "text": "Mars"}]}]}}]}}
        >>> public_step(step)["step_details"]["tool_calls"][0]["file_search"]["results"]
        [{'file_id': 'file-1'}]
        >>> public_step(step, [INCLUDE_CONTENT]) is step
        True
    """
    if INCLUDE_CONTENT in include or step.get("type") != "tool_calls":
        return step
    calls = [{**c, "file_search": {**c["file_search"], "results": [
        {k: v for k, v in r.items() if k != "content"} for r in c["file_search"].get("results") or []]}}
        if c.get("type") == "file_search" else c for c in step["step_details"]["tool_calls"]]
    return {**step, "step_details": {**step["step_details"], "tool_calls": calls}}
