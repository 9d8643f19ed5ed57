"""Fine-tuning: jobs (create, list, retrieve, cancel, pause, resume, events, checkpoints), checkpoint
permissions, and `fine_tune(...)`, which checks and uploads training data, starts a job and follows it.

Example:
    >>> examples = [{"messages": [{"role": "user", "content": "Capital of France?"},
    ...                           {"role": "assistant", "content": "Paris."}]}]
    >>> job = client.fine_tuning.fine_tune(examples, model="local-ngram", suffix="capitals")
    [info] Created fine-tuning job: ftjob-...
    ...
    [info] The job has successfully completed
    >>> job.status, job.fine_tuned_model
    ('succeeded', 'ft:local-ngram:local:capitals:...')
    >>> client.fine_tuning.jobs.list_events(job.id).to_frame()[["level", "message"]].iloc[0].tolist()
    ['info', 'The job has successfully completed']
"""

from __future__ import annotations

from collections.abc import Callable

from jupyter_api_kit.client.admin import AdminResource
from jupyter_api_kit.client.objects import APIObject
from jupyter_api_kit.client.polling import poll
from jupyter_api_kit.client.resource import Resource, path_id
from jupyter_api_kit.client.validation import check_metadata
from jupyter_api_kit.errors import InvalidInputError

TERMINAL_JOB_STATUSES = ("succeeded", "failed", "cancelled")


def _job_path(job_id: str, *rest: str) -> str:
    return "/".join(["fine_tuning/jobs", path_id(job_id, "fine_tuning_job_id"), *rest])


class JobCheckpoints(Resource):
    """The checkpoints of a fine-tuning job (`/fine_tuning/jobs/{id}/checkpoints`), one per epoch
    with its metrics. Reached as `client.fine_tuning.jobs.checkpoints`.

    Example:
        >>> ckpts = client.fine_tuning.jobs.checkpoints.list(job.id)
        >>> ckpts.data[0].fine_tuned_model_checkpoint      # a model name, usable like the final one
        'ft:local-ngram:local:capitals:...:ckpt-step-3'
    """

    def list(self, fine_tuning_job_id: str, *, after=None, limit=None):
        """A job's checkpoints (one per epoch), newest first, each with its metrics.

        Example:
            >>> client.fine_tuning.jobs.checkpoints.list(job.id).to_frame()["step_number"].tolist()
            [3, 2, 1]
        """
        return self._list(_job_path(fine_tuning_job_id, "checkpoints"), {"after": after, "limit": limit})


class Jobs(Resource):
    """Fine-tuning jobs (`/fine_tuning/jobs`): create, retrieve, list, cancel, pause and resume them,
    read their events and follow one to the end. Reached as `client.fine_tuning.jobs`.

    Example:
        >>> f = client.files.create(file=("capitals.jsonl",
        ...     b'{"messages": [{"role": "user", "content": "Capital of Peru?"}, '
        ...     b'{"role": "assistant", "content": "Lima."}]}\\n'), purpose="fine-tune")
        >>> started = client.fine_tuning.jobs.create(model="local-ngram", training_file=f.id)
        >>> client.fine_tuning.jobs.follow(started.id).status
        [info] Created fine-tuning job: ftjob-...
        ...
        [info] The job has successfully completed
        'succeeded'
    """

    def __init__(self, transport, client=None):
        super().__init__(transport, client)
        self.checkpoints = JobCheckpoints(transport, client)

    def create(self, *, model: str, training_file: str, validation_file: str | None = None,
               hyperparameters: dict | None = None, method: dict | None = None, suffix: str | None = None,
               seed: int | None = None, metadata: dict | None = None, integrations: list | None = None) -> APIObject:
        """Start a fine-tuning job on an uploaded training file (purpose `fine-tune`).

        Example:
            >>> started = client.fine_tuning.jobs.create(model="local-ngram", training_file=job.training_file,
            ...     method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 4}}})
            >>> started.object, started.method.supervised.hyperparameters.n_epochs
            ('fine_tuning.job', 4)
        """
        if suffix is not None and (not isinstance(suffix, str) or not 1 <= len(suffix) <= 64):
            raise InvalidInputError("suffix must be a string of 1 to 64 characters", param="suffix")
        return self._post("fine_tuning/jobs", {
            "model": model, "training_file": training_file, "validation_file": validation_file,
            "hyperparameters": hyperparameters, "method": method, "suffix": suffix, "seed": seed,
            "metadata": metadata, "integrations": integrations})

    def retrieve(self, fine_tuning_job_id: str) -> APIObject:
        """A job by id: status, hyperparameters, trained tokens and, once it succeeded, `fine_tuned_model`.

        Example:
            >>> client.fine_tuning.jobs.retrieve(job.id).status
            'succeeded'
        """
        return self._get(_job_path(fine_tuning_job_id))

    def list(self, *, after=None, limit=None, metadata: dict | None = None):
        """Jobs, newest first; `metadata={"k": "v"}` keeps those with every given pair."""
        if metadata is not None:
            check_metadata(metadata)
        return self._list("fine_tuning/jobs", {"after": after, "limit": limit, "metadata": metadata})

    def cancel(self, fine_tuning_job_id: str) -> APIObject:
        """Stop a job between two training steps; checkpoints made so far stay usable."""
        return self._post(_job_path(fine_tuning_job_id, "cancel"))

    def pause(self, fine_tuning_job_id: str) -> APIObject:
        """Pause a running job after its current step (it shows as `queued` until resumed)."""
        return self._post(_job_path(fine_tuning_job_id, "pause"))

    def resume(self, fine_tuning_job_id: str) -> APIObject:
        """Resume a paused job from the step where it stopped."""
        return self._post(_job_path(fine_tuning_job_id, "resume"))

    def list_events(self, fine_tuning_job_id: str, *, after=None, limit=None):
        """A job's events, newest first: messages, and `metrics` events with the loss of each step.

        Example:
            >>> from jupyter_api_kit.frames import fine_tuning_metrics
            >>> metrics = fine_tuning_metrics(client.fine_tuning.jobs.list_events(job.id, limit=100))
            >>> metrics.columns.tolist(), len(metrics)     # one row per training step
            (['step', 'train_loss', 'train_mean_token_accuracy'], 3)
        """
        return self._list(_job_path(fine_tuning_job_id, "events"), {"after": after, "limit": limit})

    def all_events(self, fine_tuning_job_id: str) -> list[APIObject]:
        """Every event of a job, oldest first."""
        return list(reversed(list(self.list_events(fine_tuning_job_id, limit=100))))

    def _new_events(self, job_id: str, seen: set) -> list[APIObject]:
        """Events not seen yet, oldest first (the list is newest first: read until a seen one)."""
        fresh = []
        for event in self.list_events(job_id, limit=100):
            if event["id"] in seen:
                break
            fresh.append(event)
        seen.update(e["id"] for e in fresh)
        return fresh[::-1]

    def follow(self, fine_tuning_job_id: str, *, progress: bool = True, on_event: Callable | None = None,
               poll_interval: float = 0.2, timeout: float | None = None) -> APIObject:
        """Watch a job until it succeeds, fails or is cancelled, and return it. With `progress`, a tqdm
        bar counts training steps (showing the latest loss) and event messages are printed; `on_event`
        is called with every event, oldest first.

        Example:
            >>> client.fine_tuning.jobs.follow(job.id, progress=False).fine_tuned_model
            'ft:local-ngram:local:capitals:...'
        """
        seen: set = set()
        bar = None

        def report(_job) -> None:
            nonlocal bar
            for event in self._new_events(fine_tuning_job_id, seen):
                if on_event is not None:
                    on_event(event)
                if progress:
                    bar = _show(bar, event, fine_tuning_job_id)

        try:
            return poll(lambda: self.retrieve(fine_tuning_job_id),
                        lambda job: job.get("status") in TERMINAL_JOB_STATUSES, timeout, poll_interval, report,
                        what=f"job {fine_tuning_job_id}")
        finally:
            if bar is not None:
                bar.close()


def _show(bar, event, job_id: str):
    """Metrics events move the bar; other events are printed above it."""
    from tqdm.auto import tqdm

    data = event.get("data") or {}
    if event.get("type") == "metrics" and "step" in data:
        if bar is None:
            bar = tqdm(total=data.get("total_steps"), unit="step", desc=f"fine-tuning {job_id[-8:]}")
        bar.n = data["step"]
        bar.set_postfix(train_loss=f"{data.get('train_loss', float('nan')):.4f}")
    else:
        tqdm.write(f"[{event.get('level', 'info')}] {event.get('message', '')}")
    return bar


class Permissions(AdminResource):
    """Who may use a fine-tuned checkpoint (`/fine_tuning/checkpoints/{checkpoint}/permissions`):
    grant projects access, list and withdraw permissions. Reached as
    `client.fine_tuning.checkpoints.permissions`. Like the organization endpoints these calls carry the
    admin key (`admin_key=` or OPENAI_ADMIN_KEY; the embedded local server lends its own).

    Example:
        >>> client.fine_tuning.checkpoints.permissions.create("ft:local-ngram:local::abc", project_ids=[])
        Traceback (most recent call last):
        ...
        jupyter_api_kit.errors.InvalidInputError: project_ids must be a non-empty list of project id strings
        >>> ckpt = client.fine_tuning.jobs.checkpoints.list(job.id).data[0].fine_tuned_model_checkpoint
        >>> _ = client.fine_tuning.checkpoints.permissions.create(ckpt, project_ids=[project.id])
        >>> project.id in client.fine_tuning.checkpoints.permissions.list(ckpt).to_frame()["project_id"].tolist()
        True
    """

    def create(self, fine_tuned_model_checkpoint: str, *, project_ids: list[str]) -> APIObject:
        """Let projects use a checkpoint (or fine-tuned model); returns the permissions as a list object.

        Example:
            >>> ckpt = client.fine_tuning.jobs.checkpoints.list(job.id).data[0].fine_tuned_model_checkpoint
            >>> granted = client.fine_tuning.checkpoints.permissions.create(ckpt, project_ids=[project.id])
            >>> granted.data[0].object, granted.data[0].project_id == project.id
            ('checkpoint.permission', True)
        """
        if not isinstance(project_ids, list) or not project_ids or not all(
                isinstance(p, str) and p for p in project_ids):
            raise InvalidInputError("project_ids must be a non-empty list of project id strings", param="project_ids")
        return self._post(self._path(fine_tuned_model_checkpoint), {"project_ids": project_ids})

    def list(self, fine_tuned_model_checkpoint: str, *, project_id: str | None = None, after=None, limit=None,
             order: str | None = None):
        """The permissions of a checkpoint, newest first (`order="ascending"` for oldest first)."""
        return self._list(self._path(fine_tuned_model_checkpoint),
                          {"project_id": project_id, "after": after, "limit": limit, "order": order})

    #: the official SDK's name for the same list call
    retrieve = list

    def delete(self, permission_id: str, *, fine_tuned_model_checkpoint: str) -> APIObject:
        """Withdraw one permission."""
        return self._delete(f"{self._path(fine_tuned_model_checkpoint)}/{path_id(permission_id, 'permission_id')}")

    @staticmethod
    def _path(checkpoint: str) -> str:
        return f"fine_tuning/checkpoints/{path_id(checkpoint, 'fine_tuned_model_checkpoint')}/permissions"


class Checkpoints(Resource):
    """Fine-tuned checkpoints; it holds `permissions`. Reached as `client.fine_tuning.checkpoints`.

    Example:
        >>> from jupyter_api_kit.client import Client
        >>> client = Client(base_url="http://127.0.0.1:8765/v1")
        >>> type(client.fine_tuning.checkpoints.permissions).__name__
        'Permissions'
    """

    def __init__(self, transport, client=None):
        super().__init__(transport, client)
        self.permissions = Permissions(transport, client)


class FineTuning(Resource):
    """The fine-tuning API group: `jobs` (with their `checkpoints`), checkpoint `permissions`, and
    `fine_tune(...)`, which checks and uploads data, starts a job and follows it. Reached as
    `client.fine_tuning`.

    Example:
        >>> examples = [{"messages": [{"role": "user", "content": "Capital of Chile?"},
        ...                           {"role": "assistant", "content": "Santiago."}]}]
        >>> client.fine_tuning.fine_tune(examples, suffix="chile", progress=False).fine_tuned_model
        'ft:local-ngram:local:chile:...'
    """

    def __init__(self, transport, client=None):
        super().__init__(transport, client)
        self.jobs = Jobs(transport, client)
        self.checkpoints = Checkpoints(transport, client)

    def fine_tune(self, training_data, *, model: str = "local-ngram", **options) -> APIObject:
        """Check training data (a JSONL path, JSONL text or bytes, or a list of examples) line by line,
        upload it, start a job and follow it to the end; see `fine_tuning_helpers.fine_tune`.

        Example:
            >>> tuned = client.fine_tuning.fine_tune([{"messages": [{"role": "user", "content": "Hi"},
            ...     {"role": "assistant", "content": "Hello!"}]}], n_epochs=2, follow=False)
            >>> tuned.method.supervised.hyperparameters.n_epochs      # started; follow=False returns at once
            2
        """
        from jupyter_api_kit.client.fine_tuning_helpers import fine_tune

        return fine_tune(self._client, training_data, model=model, **options)
