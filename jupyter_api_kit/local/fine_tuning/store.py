"""Fine-tuning jobs, their events, checkpoints, tuned models and checkpoint permissions in SQLite.

Status changes are compare-and-set (`core.jobs.set_status`): each happens only from the statuses
that allow it, so a request and the training worker never undo each other.

Example:
    >>> insert_job(store, {"id": "ftjob-1", "model": "local-ngram", "training_file": "file-1",
    ...                    "validation_file": None, "hyperparameters": {}, "seed": 1, "suffix": None,
    ...                    "metadata": None})
    >>> change_status(store, "ftjob-1", "running", ("validating_files",), "Started")
    True
    >>> change_status(store, "ftjob-1", "running", ("paused",), "Resumed")
    False
    >>> job_row(store, "ftjob-1")["status"], [e["message"] for e in events(store, "ftjob-1")]
    ('running', ['Created fine-tuning job: ftjob-1', 'Validating training file: file-1', 'Started'])
"""

from __future__ import annotations

from jupyter_api_kit.local.core.db import dumps
from jupyter_api_kit.local.core.errors import NotFound, found
from jupyter_api_kit.local.core.ids import new_id, now
from jupyter_api_kit.local.core.jobs import set_status


def add_event(db, job_id: str, message: str, *, level: str = "info", kind: str = "message", data=None) -> None:
    """Add one job event inside an open transaction `db`."""
    db.execute("INSERT INTO fine_tuning_events (id, job_id, created_at, level, type, message, data) "
               "VALUES (?, ?, ?, ?, ?, ?, ?)",
               (new_id("ftevent-"), job_id, now(), level, kind, message, dumps(data) if data is not None else None))


def events(store, job_id: str) -> list:
    """A job's event rows, oldest first."""
    return store.all("SELECT * FROM fine_tuning_events WHERE job_id = ? ORDER BY seq", (job_id,))


def job_row(store, job_id: str):
    """The `fine_tuning_jobs` row, or a 404 naming the job."""
    return found(store.one("SELECT * FROM fine_tuning_jobs WHERE id = ?", (job_id,)),
                 f"No fine-tuning job found with id '{job_id}'.", "fine_tuning_job_id")


def insert_job(store, job: dict, *, note: str | None = None) -> None:
    """Store a new job, `validating_files`, with its first events (`note`, when given, after the first)."""
    hyper = job["hyperparameters"]
    with store.tx() as db:
        db.execute("INSERT INTO fine_tuning_jobs (id, created_at, model, training_file, validation_file, status, "
                   "hyperparameters, method, seed, suffix, metadata) VALUES (?, ?, ?, ?, ?, 'validating_files', "
                   "?, ?, ?, ?, ?)",
                   (job["id"], now(), job["model"], job["training_file"], job["validation_file"], dumps(hyper),
                    dumps({"type": "supervised", "supervised": {"hyperparameters": hyper}}), job["seed"],
                    job["suffix"], dumps(job["metadata"])))
        add_event(db, job["id"], f"Created fine-tuning job: {job['id']}")
        if note:
            add_event(db, job["id"], note)
        add_event(db, job["id"], f"Validating training file: {job['training_file']}")


def change_status(store, job_id: str, new: str, expect: tuple, event: str, **columns) -> bool:
    """Set a job's status from one of `expect` (with `columns`) and record `event`; False if the job
    was in another status."""
    with store.tx() as db:
        changed = set_status(db, "fine_tuning_jobs", {"id": job_id}, new, expect, **columns)
        if changed:
            add_event(db, job_id, event)
    return changed


def checkpoint_exists(store, name: str) -> bool:
    """True if `name` is a stored checkpoint or fine-tuned model."""
    return store.one("SELECT 1 FROM fine_tuning_checkpoints WHERE fine_tuned_model_checkpoint = ?", (name,)) \
        is not None or store.one("SELECT 1 FROM fine_tuned_models WHERE id = ?", (name,)) is not None


def grant(store, checkpoint: str, projects: list[str]) -> list:
    """Grant `projects` access to `checkpoint` (a second grant keeps the first); their permission rows."""
    projects = list(dict.fromkeys(projects))
    with store.tx() as db:
        for project in projects:
            db.execute("INSERT OR IGNORE INTO fine_tuning_checkpoint_permissions (id, checkpoint, project_id, "
                       "created_at) VALUES (?, ?, ?, ?)", (new_id("cp_"), checkpoint, project, now()))
    marks = ",".join("?" * len(projects))
    return store.all(f"SELECT * FROM fine_tuning_checkpoint_permissions WHERE checkpoint = ? AND project_id IN "
                     f"({marks}) ORDER BY seq", (checkpoint, *projects))


def revoke(store, checkpoint: str, permission_id: str) -> None:
    """Delete one permission of `checkpoint`, or a 404 naming it."""
    gone = store.execute("DELETE FROM fine_tuning_checkpoint_permissions WHERE id = ? AND checkpoint = ?",
                         (permission_id, checkpoint))
    if not gone:
        raise NotFound(f"No permission '{permission_id}' on checkpoint '{checkpoint}'.", param="permission_id")
