"""/v1/fine_tuning: jobs (create, list, retrieve, cancel, pause, resume, events, checkpoints) and
checkpoint permissions (create, list, delete). Training runs in the background (`engine`);
finished models answer chat completions and are listed in GET /v1/models."""

from __future__ import annotations

import random
import re

from fastapi import APIRouter, Depends, Request

from jupyter_api_kit.local.core.db import loads
from jupyter_api_kit.local.core.errors import BadRequest, NotFound
from jupyter_api_kit.local.core.ids import new_id, now
from jupyter_api_kit.local.core.paging import Cursor, list_object, page
from jupyter_api_kit.local.core.params import Params, check_metadata, json_body
from jupyter_api_kit.local.fine_tuning import engine as runner
from jupyter_api_kit.local.fine_tuning import store as ft_store
from jupyter_api_kit.local.organization.keys import require_admin

router = APIRouter()
#: checkpoint permissions are organization settings: the API takes only the admin key for them
ADMIN_ONLY = [Depends(require_admin)]
_SUFFIX = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
MAX_PROJECTS = 100



# -- objects --------------------------------------------------------------------------------------

def job_object(row) -> dict:
    """The API's `fine_tuning.job` object for a job row; a paused job shows as `queued`, since the
    API has no paused status.

    Example:
        >>> row = {"id": "ftjob-1", "created_at": 1700000000, "model": "local-ngram", "fine_tuned_model": None,
        ...        "finished_at": None, "status": "paused", "training_file": "file-1", "validation_file": None,
        ...        "hyperparameters": '{"n_epochs": 3}', "method": None, "trained_tokens": None, "error": None,
        ...        "seed": 42, "estimated_finish": None, "suffix": None, "metadata": None}
        >>> job_object(row)["status"], job_object(row)["hyperparameters"]
        ('queued', {'n_epochs': 3})
    """
    # the API's status list has no paused state: a paused job waits, like a queued one
    status = "queued" if row["status"] == "paused" else row["status"]
    return {"object": "fine_tuning.job", "id": row["id"], "created_at": row["created_at"], "model": row["model"],
            "fine_tuned_model": row["fine_tuned_model"], "finished_at": row["finished_at"], "status": status,
            "training_file": row["training_file"], "validation_file": row["validation_file"],
            "hyperparameters": loads(row["hyperparameters"]), "method": loads(row["method"]),
            "organization_id": runner.ORGANIZATION, "result_files": [], "trained_tokens": row["trained_tokens"],
            "error": loads(row["error"]), "seed": row["seed"], "estimated_finish": row["estimated_finish"],
            "integrations": [], "user_provided_suffix": row["suffix"], "metadata": loads(row["metadata"])}


def event_object(row) -> dict:
    """The API's `fine_tuning.job.event` object for an event row (`data` only when the event has some).

    Example:
        >>> row = {"id": "ftevent-1", "created_at": 1700000000, "level": "info", "message": "Step 1/10",
        ...        "type": "metrics", "data": '{"step": 1, "train_loss": 2.5}'}
        >>> event_object(row)["data"]
        {'step': 1, 'train_loss': 2.5}
    """
    event = {"object": "fine_tuning.job.event", "id": row["id"], "created_at": row["created_at"],
             "level": row["level"], "message": row["message"], "type": row["type"]}
    if row["data"] is not None:
        event["data"] = loads(row["data"])
    return event


def checkpoint_object(row) -> dict:
    """The API's `fine_tuning.job.checkpoint` object for a checkpoint row.

    Example:
        >>> row = {"id": "ftckpt-1", "created_at": 1700000000, "step_number": 10,
        ...        "fine_tuned_model_checkpoint": "ft:local-ngram:local::1:ckpt-step-10",
        ...        "metrics": '{"train_loss": 1.2}', "job_id": "ftjob-1"}
        >>> checkpoint_object(row)["fine_tuning_job_id"], checkpoint_object(row)["metrics"]
        ('ftjob-1', {'train_loss': 1.2})
    """
    return {"object": "fine_tuning.job.checkpoint", "id": row["id"], "created_at": row["created_at"],
            "fine_tuned_model_checkpoint": row["fine_tuned_model_checkpoint"], "step_number": row["step_number"],
            "metrics": loads(row["metrics"]), "fine_tuning_job_id": row["job_id"]}


def permission_object(row) -> dict:
    """The API's `checkpoint.permission` object for a permission row.

    Example:
        >>> permission_object({"id": "cp_1", "created_at": 1700000000, "project_id": "proj_1"})["object"]
        'checkpoint.permission'
    """
    return {"object": "checkpoint.permission", "id": row["id"], "created_at": row["created_at"],
            "project_id": row["project_id"]}


# -- creating a job -------------------------------------------------------------------------------

def _check_file(app, file_id: str, param: str) -> None:
    from jupyter_api_kit.local.files.store import file_record

    try:
        record = file_record(app.state.store, file_id)
    except NotFound:
        raise BadRequest(f"Invalid '{param}': no file with id '{file_id}'. Upload it first with purpose "
                         "'fine-tune'.", param=param) from None
    if record["purpose"] != "fine-tune":
        raise BadRequest(f"Invalid '{param}': file '{file_id}' was uploaded with purpose '{record['purpose']}'; "
                         "fine-tuning files need purpose 'fine-tune'.", param=param)


def _base_model(app, model: str) -> tuple[str, str | None]:
    """The local model a job tunes for the requested `model`, and a note when it stands in for another
    name. As chat answers any model name with the local model, a real base model name (`gpt-4o-mini-2024-07-18`)
    tunes the default local model, and the job names that model; an `ft:` name must be a model tuned here."""
    from jupyter_api_kit.local.models.language import DEFAULT_LANGUAGE_MODEL, LANGUAGE_MODELS

    if model in LANGUAGE_MODELS or runner.load_tuned_model(app, model) is not None:
        return model, None
    if model.startswith("ft:"):
        raise BadRequest(f"Model '{model[:80]}' cannot be fine-tuned: no model of that name was fine-tuned on this "
                         "server.", param="model")
    return DEFAULT_LANGUAGE_MODEL, (f"Base model {model[:80]} is not served locally: fine-tuning the local model "
                                    f"{DEFAULT_LANGUAGE_MODEL} in its place")


def _hyperparameters(body: dict) -> dict:
    """n_epochs, learning_rate_multiplier and batch_size ('auto' or a value in range) from
    `method.supervised.hyperparameters` or the older top-level `hyperparameters`."""
    method = body.get("method")
    if method is not None:
        if not isinstance(method, dict):
            raise BadRequest("Invalid type for 'method': expected an object.", param="method")
        kind = Params(method, prefix="method.").str("type", required=True,
                                                     choices=("supervised", "dpo", "reinforcement"))
        if kind != "supervised":
            raise BadRequest(f"Invalid 'method.type': '{kind}' fine-tuning is not run by the local server; it "
                             "trains with the 'supervised' method.", param="method.type")
        if body.get("hyperparameters") is not None:
            raise BadRequest("Give hyperparameters in 'method.supervised.hyperparameters' only; the top-level "
                             "'hyperparameters' is the deprecated form of the same thing.", param="hyperparameters")
        supervised = Params(method, prefix="method.").dict("supervised", default={})
        where, given = "method.supervised.hyperparameters", Params(supervised, prefix="method.supervised.").dict(
            "hyperparameters", default={})
    else:
        where, given = "hyperparameters", Params(body).dict("hyperparameters", default={})
    unknown = sorted(set(given) - {"n_epochs", "learning_rate_multiplier", "batch_size"})
    if unknown:
        raise BadRequest(f"Unrecognized hyperparameter '{where}.{unknown[0]}'. Supported: n_epochs, "
                         "learning_rate_multiplier, batch_size.", param=f"{where}.{unknown[0]}")
    p = Params(given, prefix=f"{where}.")

    def auto_or(key, read):
        return "auto" if given.get(key) in (None, "auto") else read(key)  # null: not given

    return {"n_epochs": auto_or("n_epochs", lambda k: p.int(k, minimum=1, maximum=50)),
            "learning_rate_multiplier": auto_or("learning_rate_multiplier",
                                                lambda k: _learning_rate(p, k)),
            "batch_size": auto_or("batch_size", lambda k: p.int(k, minimum=1, maximum=256))}


def _learning_rate(p: Params, key: str) -> float:
    value = p.number(key, maximum=10)
    if value <= 0:
        raise BadRequest(f"Invalid '{p.prefix}{key}': {value}; it must be greater than 0 (and at most 10).",
                         param=f"{p.prefix}{key}")
    return value


@router.post("/fine_tuning/jobs")
def create_job(request: Request, body: dict = Depends(json_body)):
    app = request.app
    allowed = {"model", "training_file", "validation_file", "hyperparameters", "method", "suffix", "seed",
               "integrations", "metadata"}
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise BadRequest(f"Unrecognized request argument: '{unknown[0]}'.", param=unknown[0])
    p = Params(body)
    model, stand_in = _base_model(app, p.str("model", required=True))
    training_file = p.str("training_file", required=True)
    _check_file(app, training_file, "training_file")
    validation_file = p.str("validation_file")
    if validation_file is not None:
        _check_file(app, validation_file, "validation_file")
    hyper = _hyperparameters(body)
    suffix = p.str("suffix")
    if suffix is not None and not _SUFFIX.match(suffix):
        raise BadRequest("Invalid 'suffix': use 1 to 64 letters, digits, '.', '_' or '-'.", param="suffix")
    seed = p.int("seed", minimum=0, maximum=2147483647)
    if seed is None:
        seed = random.randrange(2147483647)
    if p.list("integrations", default=[]):
        raise BadRequest("Invalid 'integrations': the local server works offline and sends training metrics "
                         "nowhere; read them from the job's events instead.", param="integrations")
    metadata = check_metadata(body.get("metadata")) if body.get("metadata") is not None else None
    job_id = new_id("ftjob-")
    store = app.state.store
    ft_store.insert_job(store, {"id": job_id, "model": model, "training_file": training_file,
                                "validation_file": validation_file, "hyperparameters": hyper, "seed": seed,
                                "suffix": suffix, "metadata": metadata}, note=stand_in)
    runner.start(app, job_id)
    return job_object(ft_store.job_row(store, job_id))


# -- jobs -----------------------------------------------------------------------------------------

@router.get("/fine_tuning/jobs")
def list_jobs(request: Request):
    query = request.query_params
    cursor = Cursor.from_query(query, default_order="desc")
    where, params = ["1"], []
    metadata = {k[len("metadata["):-1]: v for k, v in query.multi_items()
                if k.startswith("metadata[") and k.endswith("]")}
    check_metadata(metadata)
    for key, value in metadata.items():
        where.append("json_extract(metadata, ?) = ?")
        params += [f'$."{key}"', value]
    return page(request.app.state.store, "fine_tuning_jobs", cursor, job_object, where=" AND ".join(where),
                params=params, ids=False)


@router.get("/fine_tuning/jobs/{job_id}")
def retrieve_job(job_id: str, request: Request):
    return job_object(ft_store.job_row(request.app.state.store, job_id))


def _control(request: Request, job_id: str, action: str):
    """Change a job's status under its lock (so never in the middle of a training step)."""
    app = request.app
    store = app.state.store
    with app.state.jobs.lock(job_id):
        status = ft_store.job_row(store, job_id)["status"]
        if action == "cancel":
            if status not in runner.ACTIVE:
                raise BadRequest(f"Job {job_id} has already {status}; only jobs in progress can be cancelled.",
                                 param="fine_tuning_job_id")
            ft_store.change_status(store, job_id, "cancelled", runner.ACTIVE, "Fine-tuning job cancelled",
                                   finished_at=now(), estimated_finish=None)
            runner.control(app).trainings.pop(job_id, None)
        elif action == "pause":
            if status != "running":
                raise BadRequest(f"Job {job_id} is {status}; only a running job can be paused.",
                                 param="fine_tuning_job_id")
            # the worker sees the status at its next step and ends; the training waits in memory
            ft_store.change_status(store, job_id, "paused", ("running",), "Fine-tuning job paused",
                                   estimated_finish=None)
        else:
            if status != "paused":
                raise BadRequest(f"Job {job_id} is {status}, not paused; only a paused job can be resumed.",
                                 param="fine_tuning_job_id")
            ft_store.change_status(store, job_id, "running", ("paused",), "Fine-tuning job resumed")
            runner.start(app, job_id)  # takes the job over from a worker that has not yet seen the pause
    return job_object(ft_store.job_row(store, job_id))


@router.post("/fine_tuning/jobs/{job_id}/cancel")
def cancel_job(job_id: str, request: Request):
    return _control(request, job_id, "cancel")


@router.post("/fine_tuning/jobs/{job_id}/pause")
def pause_job(job_id: str, request: Request):
    return _control(request, job_id, "pause")


@router.post("/fine_tuning/jobs/{job_id}/resume")
def resume_job(job_id: str, request: Request):
    return _control(request, job_id, "resume")


@router.get("/fine_tuning/jobs/{job_id}/events")
def list_events(job_id: str, request: Request):
    store = request.app.state.store
    ft_store.job_row(store, job_id)
    cursor = Cursor.from_query(request.query_params, default_order="desc")
    return page(store, "fine_tuning_events", cursor, event_object, where="job_id = ?", params=[job_id], ids=False)


@router.get("/fine_tuning/jobs/{job_id}/checkpoints")
def list_checkpoints(job_id: str, request: Request):
    store = request.app.state.store
    ft_store.job_row(store, job_id)
    cursor = Cursor.from_query(request.query_params, default_order="desc", default_limit=10)
    return page(store, "fine_tuning_checkpoints", cursor, checkpoint_object, where="job_id = ?", params=[job_id],
                columns="seq, id, job_id, created_at, fine_tuned_model_checkpoint, step_number, metrics")


# -- checkpoint permissions -----------------------------------------------------------------------

def _checkpoint(request: Request, name: str) -> str:
    """The checkpoint (or fine-tuned model) a permission call names (the admin check is the route's
    `require_admin` dependency, as for the organization endpoints)."""
    if not ft_store.checkpoint_exists(request.app.state.store, name):
        raise NotFound(f"No fine-tuned model checkpoint named '{name}'.", param="fine_tuned_model_checkpoint")
    return name


@router.post("/fine_tuning/checkpoints/{checkpoint}/permissions", dependencies=ADMIN_ONLY)
def create_permissions(checkpoint: str, request: Request, body: dict = Depends(json_body)):
    name = _checkpoint(request, checkpoint)
    unknown = sorted(set(body) - {"project_ids"})
    if unknown:
        raise BadRequest(f"Unrecognized request argument: '{unknown[0]}'. Only 'project_ids' is accepted.",
                         param=unknown[0])
    projects = Params(body).list("project_ids", required=True, max_items=MAX_PROJECTS)
    for i, project in enumerate(projects):
        if not isinstance(project, str) or not project.strip():
            raise BadRequest(f"Invalid 'project_ids[{i}]': expected a project id string.", param=f"project_ids[{i}]")
    rows = ft_store.grant(request.app.state.store, name, projects)
    return list_object([permission_object(r) for r in rows], False)


@router.get("/fine_tuning/checkpoints/{checkpoint}/permissions", dependencies=ADMIN_ONLY)
def list_permissions(checkpoint: str, request: Request):
    name = _checkpoint(request, checkpoint)
    query = request.query_params
    p = Params(query)
    order = p.str("order", default="descending", choices=("ascending", "descending"))
    cursor = Cursor(limit=p.int("limit", default=10, minimum=1, maximum=100),
                    order="asc" if order == "ascending" else "desc", after=p.str("after"))
    where, params = "checkpoint = ?", [name]
    project = p.str("project_id")
    if project is not None:
        where, params = where + " AND project_id = ?", params + [project]
    return page(request.app.state.store, "fine_tuning_checkpoint_permissions", cursor, permission_object,
                where=where, params=params)


@router.delete("/fine_tuning/checkpoints/{checkpoint}/permissions/{permission_id}", dependencies=ADMIN_ONLY)
def delete_permission(checkpoint: str, permission_id: str, request: Request):
    name = _checkpoint(request, checkpoint)
    ft_store.revoke(request.app.state.store, name, permission_id)
    return {"object": "checkpoint.permission", "id": permission_id, "deleted": True}
