"""/v1/evals: evals (create, list, get, update, delete), their runs (create, list, get, cancel, delete)
and the runs' output items (list, get). Runs execute in the background (see `engine`)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from jupyter_api_kit.local.core.auth import Principal, authenticate
from jupyter_api_kit.local.core.db import loads
from jupyter_api_kit.local.core.errors import BadRequest
from jupyter_api_kit.local.core.ids import new_id
from jupyter_api_kit.local.core.paging import Cursor, list_object, page, paging
from jupyter_api_kit.local.core.request_models import checked, query
from jupyter_api_kit.local.evals import engine as eval_runner
from jupyter_api_kit.local.evals import store as eval_store
from jupyter_api_kit.local.evals.graders import check_criteria
from jupyter_api_kit.local.evals.request import (
    CreateEvalBody,
    CreateRunBody,
    EvalsQuery,
    OutputItemsQuery,
    RunsQuery,
    UpdateEvalBody,
)
from jupyter_api_kit.local.evals.sources import (
    check_data_source_config,
    check_run_data_source,
    eval_namespaces,
    load_items,
)

router = APIRouter()



# -- objects --------------------------------------------------------------------------------------

def eval_object(row) -> dict:
    """The API's `eval` object for an `evals` row.

    Example:
        >>> row = {"id": "eval_1", "name": "exact", "created_at": 1700000000, "metadata": "{}",
        ...        "data_source_config": '{"type": "custom"}', "testing_criteria": "[]"}
        >>> eval_object(row)["data_source_config"], eval_object(row)["object"]
        ({'type': 'custom'}, 'eval')
    """
    return {"object": "eval", "id": row["id"], "name": row["name"], "created_at": row["created_at"],
            "data_source_config": loads(row["data_source_config"]),
            "testing_criteria": loads(row["testing_criteria"]), "metadata": loads(row["metadata"])}


def run_object(row) -> dict:
    """The API's `eval.run` object for an `eval_runs` row; a run without an error carries the empty
    error object the contract requires.

    Example:
        >>> row = {"id": "evalrun_1", "eval_id": "eval_1", "name": "baseline", "status": "queued", "model": None,
        ...        "created_at": 1700000000, "report_url": "", "data_source": "{}", "metadata": "{}",
        ...        "result_counts": '{"total": 0}', "per_model_usage": "[]", "per_testing_criteria_results": "[]",
        ...        "error": None}
        >>> run_object(row)["error"], run_object(row)["result_counts"]
        ({'code': '', 'message': ''}, {'total': 0})
    """
    return {"object": "eval.run", "id": row["id"], "eval_id": row["eval_id"], "name": row["name"],
            "status": row["status"], "model": row["model"], "created_at": row["created_at"],
            "report_url": row["report_url"], "data_source": loads(row["data_source"]),
            "metadata": loads(row["metadata"]), "result_counts": loads(row["result_counts"]),
            "per_model_usage": loads(row["per_model_usage"]),
            "per_testing_criteria_results": loads(row["per_testing_criteria_results"]),
            "error": loads(row["error"]) or dict(eval_runner.EMPTY_ERROR)}


def output_item_object(row) -> dict:
    """The API's `eval.run.output_item` object for an `eval_run_output_items` row.

    Example:
        >>> row = {"id": "outputitem_1", "run_id": "evalrun_1", "eval_id": "eval_1", "created_at": 1700000000,
        ...        "status": "pass", "datasource_item_id": 0, "datasource_item": '{"q": "2+2?"}',
        ...        "results": "[]", "sample": "{}"}
        >>> output_item_object(row)["datasource_item"]
        {'q': '2+2?'}
    """
    return {"object": "eval.run.output_item", "id": row["id"], "run_id": row["run_id"], "eval_id": row["eval_id"],
            "created_at": row["created_at"], "status": row["status"],
            "datasource_item_id": row["datasource_item_id"], "datasource_item": loads(row["datasource_item"]),
            "results": loads(row["results"]), "sample": loads(row["sample"])}




# -- evals ----------------------------------------------------------------------------------------

@router.post("/evals", status_code=201)
def create_eval(request: Request, body: dict = Depends(checked(CreateEvalBody))):
    name = body.get("name") or ""
    metadata = body.get("metadata")
    config, item_properties, has_sample = check_data_source_config(body["data_source_config"])
    criteria = check_criteria(body["testing_criteria"], item_properties, has_sample)
    eval_id = new_id("eval_")
    store = request.app.state.store
    eval_store.insert_eval(store, eval_id, name, config, criteria, metadata)
    return eval_object(eval_store.eval_row(store, eval_id))


@router.get("/evals")
def list_evals(request: Request, cursor: Cursor = Depends(paging(order="asc")),
               options: EvalsQuery = Depends(query(EvalsQuery))):
    order_by = options.order_by
    store = request.app.state.store
    if order_by == "created_at":
        return page(store, "evals", cursor, eval_object)
    rows, more = eval_store.evals_by_update(store, cursor)
    return list_object([eval_object(r) for r in rows], more)


@router.get("/evals/{eval_id}")
def get_eval(eval_id: str, request: Request):
    return eval_object(eval_store.eval_row(request.app.state.store, eval_id))


@router.post("/evals/{eval_id}")
def update_eval(eval_id: str, request: Request, body: dict = Depends(checked(UpdateEvalBody, required=True))):
    store = request.app.state.store
    row = eval_store.eval_row(store, eval_id)
    name = row["name"] if body.get("name") is None else body["name"]
    metadata = body["metadata"] if "metadata" in body else loads(row["metadata"])
    eval_store.update_eval(store, eval_id, name, metadata)
    return eval_object(eval_store.eval_row(store, eval_id))


@router.delete("/evals/{eval_id}")
def delete_eval(eval_id: str, request: Request):
    store = request.app.state.store
    eval_store.eval_row(store, eval_id)
    eval_store.delete_eval(store, eval_id)
    return {"object": "eval.deleted", "deleted": True, "eval_id": eval_id}


# -- runs -----------------------------------------------------------------------------------------

@router.post("/evals/{eval_id}/runs", status_code=201)
def create_run(eval_id: str, request: Request, body: dict = Depends(checked(CreateRunBody)),
               principal: Principal = Depends(authenticate)):
    app = request.app
    store = app.state.store
    evaluation = eval_store.eval_row(store, eval_id)
    metadata = body.get("metadata")
    item_schema, item_properties, _ = eval_namespaces(loads(evaluation["data_source_config"]))
    source = check_run_data_source(body["data_source"], item_properties)
    load_items(app, source, item_schema)  # a bad item or file line is a 400 now, not a failed run later
    run_id = new_id("evalrun_")
    name = body.get("name") or f"{source.get('model') or source['type']} run"
    report_url = f"{str(request.base_url).rstrip('/')}/v1/evals/{eval_id}/runs/{run_id}"
    criteria = [{"testing_criteria": c["name"], "passed": 0, "failed": 0}
                for c in loads(evaluation["testing_criteria"])]
    eval_store.insert_run(store, {"id": run_id, "eval_id": eval_id, "name": name, "model": source.get("model", ""),
                                  "data_source": source, "metadata": metadata, "report_url": report_url,
                                  "result_counts": eval_runner.zero_counts(),
                                  "per_testing_criteria_results": criteria})
    eval_runner.start(app, run_id, principal)
    return run_object(eval_store.run_row(store, eval_id, run_id))


@router.get("/evals/{eval_id}/runs")
def list_runs(eval_id: str, request: Request, cursor: Cursor = Depends(paging(order="asc")),
              options: RunsQuery = Depends(query(RunsQuery))):
    store = request.app.state.store
    eval_store.eval_row(store, eval_id)
    status = options.status
    where, params = "eval_id = ?", [eval_id]
    if status:
        where, params = where + " AND status = ?", params + [status]
    return page(store, "eval_runs", cursor, run_object, where=where, params=params)


@router.get("/evals/{eval_id}/runs/{run_id}")
def get_run(eval_id: str, run_id: str, request: Request):
    return run_object(eval_store.run_row(request.app.state.store, eval_id, run_id))


@router.post("/evals/{eval_id}/runs/{run_id}")
@router.post("/evals/{eval_id}/runs/{run_id}/cancel")  # the path the official SDKs call
def cancel_run(eval_id: str, run_id: str, request: Request):
    store = request.app.state.store
    row = eval_store.run_row(store, eval_id, run_id)
    if row["status"] in ("completed", "failed"):
        raise BadRequest(f"Run '{run_id}' has already {row['status']}; only queued or in-progress runs can be "
                         "canceled.", param="run_id")
    # the worker checks the status before writing each item, so nothing is written after this
    eval_store.cancel_run(store, run_id)
    return run_object(eval_store.run_row(store, eval_id, run_id))


@router.delete("/evals/{eval_id}/runs/{run_id}")
def delete_run(eval_id: str, run_id: str, request: Request):
    store = request.app.state.store
    eval_store.run_row(store, eval_id, run_id)
    eval_store.delete_run(store, run_id)
    return {"object": "eval.run.deleted", "deleted": True, "run_id": run_id}


# -- output items ---------------------------------------------------------------------------------

@router.get("/evals/{eval_id}/runs/{run_id}/output_items")
def list_output_items(eval_id: str, run_id: str, request: Request, cursor: Cursor = Depends(paging(order="asc")),
                      options: OutputItemsQuery = Depends(query(OutputItemsQuery))):
    store = request.app.state.store
    eval_store.run_row(store, eval_id, run_id)
    status = options.status
    where, params = "run_id = ?", [run_id]
    if status:
        where, params = where + " AND status = ?", params + [status]
    return page(store, "eval_run_output_items", cursor, output_item_object, where=where, params=params)


@router.get("/evals/{eval_id}/runs/{run_id}/output_items/{output_item_id}")
def get_output_item(eval_id: str, run_id: str, output_item_id: str, request: Request):
    store = request.app.state.store
    eval_store.run_row(store, eval_id, run_id)
    return output_item_object(eval_store.output_item_row(store, run_id, output_item_id))
