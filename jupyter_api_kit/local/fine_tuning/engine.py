"""Fine-tuning jobs in the background: validate the training file, train the local language model one
step at a time, record events, metrics and checkpoints, and store the tuned model.

A job moves `validating_files` -> `queued` -> `running` -> `succeeded` (or `failed`, or `cancelled`;
`paused` in between, shown as `queued`). Training steps are taken lazily from the model's trainer,
each under the job's lock and only while the job's status is `running`, so cancel and pause (which
take the same lock) act between two steps and never in the middle of one. A paused job's trainer
stays in memory and resume continues it; a job the server was running when it stopped starts its
training again (checkpoints are replaced) when the server starts.

Example:
    >>> fine_tuned_name("local-ngram", "capitals", "ftjob-0123456789abcdef01234567")
    'ft:local-ngram:local:capitals:01234567'
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from jupyter_api_kit.local.core.db import dumps, loads
from jupyter_api_kit.local.core.errors import NotFound
from jupyter_api_kit.local.core.ids import new_id, now
from jupyter_api_kit.local.core.jobs import Job, JobKind, set_status
from jupyter_api_kit.local.fine_tuning.store import add_event
from jupyter_api_kit.local.models.errors import ModelInputError
from jupyter_api_kit.spec.training_format import check_lines, summarize

ORGANIZATION = "local"
#: statuses in which a job still has work to do
ACTIVE = ("validating_files", "queued", "running", "paused")
MAX_VALIDATION_EXAMPLES = 50
MODEL_CACHE_SIZE = 16


def step_delay(app) -> float:
    """Seconds between training steps (`app.state.timing.fine_tune_step`)."""
    return app.state.timing.fine_tune_step


def tuned_models(app) -> list[dict]:
    """The models fine-tuning jobs have produced, as `GET /models` lists them (oldest first)."""
    rows = app.state.store.all("SELECT id, created_at FROM fine_tuned_models ORDER BY created_at, id")
    return [{"id": r["id"], "object": "model", "created": r["created_at"], "owned_by": ORGANIZATION} for r in rows]


def fine_tuned_name(base: str, suffix: str | None, job_id: str) -> str:
    """The API's naming: `ft:<base>:<organization>:<suffix>:<short id>`."""
    return f"ft:{base}:{ORGANIZATION}:{suffix or ''}:{job_id[-8:]}"


@dataclass
class Training:
    """A job's training in progress: the model's lazy trainer and what the job adds around it."""

    trainer: object
    validation: list = field(default_factory=list)  # normalized validation examples
    tokens_per_epoch: int = 0


class JobControl:
    """What fine-tuning keeps in memory (one per server): the trainings of jobs in progress (a paused
    job's training waits here for resume) and the tuned models loaded for chat. Locks, workers and recovery are
    the app's job runner's (`core.jobs`)."""

    def __init__(self):
        self.trainings: dict[str, Training] = {}
        self.models: OrderedDict[str, object] = OrderedDict()
        self.models_lock = threading.Lock()


def control(app) -> JobControl:
    """The app's `JobControl` (`app.state.fine_tune_control`).

    Example:
        >>> import types
        >>> app = types.SimpleNamespace(state=types.SimpleNamespace(fine_tune_control=JobControl()))
        >>> control(app) is app.state.fine_tune_control
        True
    """
    return app.state.fine_tune_control


def start(app, job_id: str) -> None:
    """Train a job on the app's background pool (the job must already be stored, `queued`)."""
    app.state.jobs.start(FINE_TUNING_JOBS, job_id)


def recover(app) -> list[tuple]:
    """The jobs a stopped server left unfinished, to start again (paused jobs wait for resume)."""
    return [(row["id"],) for row in app.state.store.all("SELECT id FROM fine_tuning_jobs WHERE status IN "
                                                        "('validating_files', 'queued', 'running') ORDER BY seq")]


def _job(store, job_id: str):
    return store.one("SELECT * FROM fine_tuning_jobs WHERE id = ?", (job_id,))


def _fail(app, job_id: str, code: str, message: str, param: str | None = None) -> None:
    with app.state.jobs.lock(job_id), app.state.store.tx() as db:
        error = dumps({"code": code, "message": message, "param": param})
        if not set_status(db, "fine_tuning_jobs", {"id": job_id}, "failed", ACTIVE, finished_at=now(),
                          estimated_finish=None, error=error):
            return
        add_event(db, job_id, f"Fine-tuning job failed: {message}", level="error")
    control(app).trainings.pop(job_id, None)


def read_examples(app, file_id: str, param: str) -> list[dict]:
    """The examples of an uploaded training (or validation) file; raises ValueError naming the bad lines."""
    from jupyter_api_kit.local.files.store import read_file_bytes

    try:
        raw = read_file_bytes(app, file_id)
    except NotFound:
        raise ValueError(f"{param} {file_id} no longer exists") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{param} {file_id} is not UTF-8 text") from None
    examples, problems = check_lines(text)
    if problems:
        raise ValueError(f"{param} {file_id} has {summarize(problems)}")
    return examples


def execute(app, job: Job) -> None:
    """Validate (if not done yet) and train one job until it ends, pauses or the server stops (the step
    logic of `FINE_TUNING_JOBS`)."""
    training = control(app).trainings.get(job.id) or _prepare(app, job.id)
    if training is not None:
        _train(app, job, training)


def _server_error(app, job_id: str, exc: Exception) -> None:
    """A bug fails the job instead of leaving it running forever."""
    _fail(app, job_id, "server_error", f"The local server failed while training: {exc}")


def _prepare(app, job_id: str):
    """Read and check the files, build the trainer and mark the job running; None if it cannot run."""
    from jupyter_api_kit.local.inference.engine import resolve_language_model

    store = app.state.store
    job = _job(store, job_id)
    if job is None or job["status"] not in ("validating_files", "queued", "running"):
        return None
    files = [("training_file", job["training_file"])]
    if job["validation_file"]:
        files.append(("validation_file", job["validation_file"]))
    found = {}
    for param, file_id in files:
        try:
            found[param] = read_examples(app, file_id, param)
        except ValueError as exc:
            code = "invalid_training_file" if param == "training_file" else "invalid_validation_file"
            _fail(app, job_id, code, str(exc), param)
            return None
    hyper = loads(job["hyperparameters"])
    base = resolve_language_model(app, job["model"])
    try:
        trainer = base.fine_tune(found["training_file"], n_epochs=hyper["n_epochs"],
                                 learning_rate_multiplier=hyper["learning_rate_multiplier"], seed=job["seed"],
                                 batch_size=hyper["batch_size"])
    except ModelInputError as exc:
        _fail(app, job_id, "invalid_training_file", str(exc), exc.param)
        return None
    training = Training(trainer, [_pair(e) for e in found.get("validation_file", [])[:MAX_VALIDATION_EXAMPLES]],
                        sum(base.count_tokens(_example_text(e)) for e in found["training_file"]))
    resolved = {"batch_size": trainer.batch_size, "learning_rate_multiplier": trainer.learning_rate_multiplier,
                "n_epochs": trainer.n_epochs}
    with app.state.jobs.lock(job_id), store.tx() as db:
        status = db.execute("SELECT status FROM fine_tuning_jobs WHERE id = ?", (job_id,)).fetchone()[0]
        if status not in ("validating_files", "queued", "running"):
            return None
        if status == "validating_files":
            add_event(db, job_id, f"Validated training file: {len(found['training_file'])} examples",
                      data={"examples": len(found["training_file"])})
        else:  # the server stopped while this job ran: its training starts over
            db.execute("DELETE FROM fine_tuning_checkpoints WHERE job_id = ?", (job_id,))
            add_event(db, job_id, "The local server restarted; training starts again from step 1")
        db.execute("UPDATE fine_tuning_jobs SET status = 'running', hyperparameters = ?, method = ?, "
                   "trained_tokens = 0 WHERE id = ?",
                   (dumps(resolved), dumps({"type": "supervised", "supervised": {"hyperparameters": resolved}}),
                    job_id))
        add_event(db, job_id, f"Fine-tuning job started: {trainer.total_steps} steps "
                              f"({trainer.n_epochs} epochs of {trainer.steps_per_epoch} steps)")
        control(app).trainings[job_id] = training
    return training


def _pair(example: dict):
    from jupyter_api_kit.local.models.finetune import normalize_example

    return normalize_example(example)


def _example_text(example: dict) -> str:
    if "messages" in example:
        return "\n".join(str(m.get("content") or "") for m in example["messages"] if isinstance(m, dict))
    return f"{example.get('prompt', '')}\n{example.get('completion', '')}"


def _validation_loss(model, pairs) -> float | None:
    """Mean negative log-likelihood per answer token (plus end of answer) over the validation examples."""
    if not pairs:
        return None
    nll = tokens = 0
    for pair in pairs:
        nll -= model.logprob(pair.context(), pair.answer)
        tokens += model.count_tokens(pair.answer) + 1
    return nll / tokens


def _train(app, job: Job, training: Training) -> None:
    store = app.state.store
    job_id = job.id
    lock = app.state.jobs.lock(job_id)
    trainer = training.trainer
    name = fine_tuned_name(trainer.base_model.id, _job(store, job_id)["suffix"], job_id)
    started = time.monotonic() - len(trainer.steps) * step_delay(app)
    while True:
        if job.wait(step_delay(app)):
            return  # the server is stopping (the job starts again with it), or resume took the job over
        with lock:
            if _job(store, job_id)["status"] != "running":
                return  # paused (the training waits in memory) or cancelled
            step = next(trainer, None)
            if step is None:
                break
            _record_step(app, job_id, training, step, name, started)
    _finish(app, job_id, training, name)


def _record_step(app, job_id: str, training: Training, step, name: str, started: float) -> None:
    trainer = training.trainer
    metrics = {"step": step.step, "train_loss": round(step.train_loss, 6),
               "train_mean_token_accuracy": round(step.train_accuracy, 6),
               "total_steps": step.total_steps}
    epoch_end = step.step % trainer.steps_per_epoch == 0
    model = None
    if epoch_end:
        model = trainer.result(f"{name}:ckpt-step-{step.step}")
        valid = _validation_loss(model, training.validation)
        if valid is not None:
            metrics["valid_loss"] = round(valid, 6)
    elapsed = time.monotonic() - started
    remaining = (step.total_steps - step.step) * elapsed / max(step.step, 1)
    with app.state.store.tx() as db:
        add_event(db, job_id, f"Step {step.step}/{step.total_steps}: training loss={step.train_loss:.4f}",
                  kind="metrics", data=metrics)
        db.execute("UPDATE fine_tuning_jobs SET trained_tokens = ?, estimated_finish = ? WHERE id = ?",
                   (round(training.tokens_per_epoch * step.epoch), now() + round(remaining), job_id))
        if model is not None:
            db.execute("INSERT INTO fine_tuning_checkpoints (id, job_id, created_at, fine_tuned_model_checkpoint, "
                       "step_number, metrics, model) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (new_id("ftckpt_"), job_id, now(), model.id, step.step,
                        dumps({k: v for k, v in metrics.items() if k != "total_steps"}), model.to_bytes()))
            add_event(db, job_id, f"Checkpoint created at step {step.step}: {model.id}",
                      data={"step": step.step, "checkpoint": model.id})


def _finish(app, job_id: str, training: Training, name: str) -> None:
    trainer = training.trainer
    model = trainer.result(name)
    with app.state.jobs.lock(job_id), app.state.store.tx() as db:
        if not set_status(db, "fine_tuning_jobs", {"id": job_id}, "succeeded", ("running",), fine_tuned_model=name,
                          finished_at=now(), estimated_finish=None,
                          trained_tokens=training.tokens_per_epoch * trainer.n_epochs):
            return
        db.execute("INSERT OR REPLACE INTO fine_tuned_models (id, job_id, created_at, base_model, model) "
                   "VALUES (?, ?, ?, ?, ?)", (name, job_id, now(), trainer.base_model.id, model.to_bytes()))
        add_event(db, job_id, f"New fine-tuned model created: {name}", data={"fine_tuned_model": name})
        add_event(db, job_id, "The job has successfully completed")
    control(app).trainings.pop(job_id, None)


FINE_TUNING_JOBS = JobKind("fine_tuning_job", run=execute, recover=recover, fail=_server_error)


def load_tuned_model(app, model_id: str):
    """The stored fine-tuned model or checkpoint named `model_id`, or None (the chat resolver)."""
    if not model_id.startswith("ft:"):
        return None
    jobs = control(app)
    with jobs.models_lock:
        if model_id in jobs.models:
            jobs.models.move_to_end(model_id)
            return jobs.models[model_id]
    store = app.state.store
    row = store.one("SELECT model FROM fine_tuned_models WHERE id = ?", (model_id,)) or \
        store.one("SELECT model FROM fine_tuning_checkpoints WHERE fine_tuned_model_checkpoint = ?", (model_id,))
    if row is None:
        return None
    from jupyter_api_kit.local.models.language import LanguageModel

    model = LanguageModel.from_bytes(row["model"])
    with jobs.models_lock:
        jobs.models[model_id] = model
        # the stored adapter is a few kilobytes, but the vocabulary and index built from it are larger
        while len(jobs.models) > MODEL_CACHE_SIZE:
            jobs.models.popitem(last=False)
    return model
