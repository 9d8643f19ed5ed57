"""Work that outlives a request: Assistants runs, eval runs, fine-tuning jobs, background responses and
vector-store file ingest, all run by one mechanism on a small thread pool that stops with the server.

A feature declares a `JobKind`: its step logic (`run`), what a stopped server's leftovers become
(`recover`) and how an unexpected error ends a job (`fail`). `create_app` hands the kinds to the app's
`Jobs`, which then does the rest the same way for every kind:

- start: `jobs.start(KIND, job_id, *args)` runs `KIND.run(app, job, *args)` on the pool; one worker
  per job at a time, and a newer start takes a job over from an older worker (`Job.wait` tells the
  older one to end), which is how a paused job resumes;
- status changes: `set_status` is a compare-and-set on the job's row (the change happens only from
  the statuses expected), so a cancel that lands between two steps wins and the worker sees it;
  `jobs.lock(job_id)` keeps a multi-row change and a step from interleaving;
- cancel: the API's cancel writes the status, and `jobs.cancel(job_id)` raises the job's flag for
  step logic that checks between tokens rather than between rows;
- recovery: `jobs.recover()`, called once from the app's lifespan, asks every kind for the jobs a
  stopped server left unfinished and starts them again (or the kind settles them in a final state);
- timing: every pause comes from `app.state.timing` (`core.state.Timing`).

Example:
    >>> from types import SimpleNamespace
    >>> seen = []
    >>> COUNT = JobKind("count", run=lambda app, job, n: seen.append((job.id, n * 2)))
    >>> jobs = Jobs(workers=1)
    >>> jobs.serve(SimpleNamespace(), [COUNT])
    >>> jobs.start(COUNT, "job_1", 21).result()
    >>> seen
    [('job_1', 42)]
    >>> jobs.shutdown()
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

log = logging.getLogger("jupyter_api_kit.local")


@dataclass(frozen=True)
class JobKind:
    """One kind of background job.

    `run(app, job, *args)` takes the job to its next stop (its end, a wait for the user, a pause, or
    the server stopping), checking `job.wait(...)` between steps. `recover(app)` is called when the
    server starts: it settles what a stopped server left unfinished and returns the `(job_id, args)`
    to start again. `fail(app, job_id, exc)` ends a job whose step logic raised.

    Example:
        >>> JobKind("eval_run", run=print).recover(None)
        []
    """

    name: str
    run: Callable
    recover: Callable[[object], Iterable[tuple]] = lambda app: []
    fail: Callable[[object, str, Exception], None] | None = None


class Job:
    """What a job's step logic gets: the job's id and the checks it makes between steps.

    Example:
        >>> jobs = Jobs(workers=1)
        >>> job = Job(jobs, "job_1", jobs._next_epoch("job_1"))
        >>> job.wait(0), job.cancelled
        (False, False)
        >>> jobs.cancel("job_1"); job.cancelled
        True
        >>> _ = jobs._next_epoch("job_1"); job.wait(0)   # a newer worker took the job over
        True
        >>> jobs.shutdown()
    """

    def __init__(self, jobs: "Jobs", job_id: str, epoch: int):
        self.jobs, self.id, self.epoch = jobs, job_id, epoch

    def wait(self, seconds: float) -> bool:
        """Pause up to `seconds` between two steps; True when this worker should end now: the server is
        stopping (the job is recovered when it starts again) or a newer start took the job over."""
        if seconds and self.jobs.sleep(seconds):
            return True
        return self.jobs.stopping.is_set() or self.jobs._epoch(self.id) != self.epoch

    @property
    def cancelled(self) -> bool:
        """True once the job's cancel was asked (`Jobs.cancel`)."""
        return self.jobs.cancel_requested(self.id)


class Jobs:
    """The app's runner of background work (`app.state.jobs`).

    Example:
        >>> jobs = Jobs(workers=1)
        >>> jobs.submit(lambda: 41 + 1).result()
        42
        >>> jobs.sleep(0.01)
        False
        >>> jobs.shutdown()
        >>> jobs.stopping.is_set(), jobs.sleep(10)
        (True, True)
    """

    def __init__(self, workers: int = 4):
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="jak-local-bg")
        #: set when the server stops; workers check it between steps
        self.stopping = threading.Event()
        self.app = None
        self.kinds: dict[str, JobKind] = {}
        self._guard = threading.Lock()
        self._epochs: dict[str, int] = {}
        self._workers: dict[str, list] = {}  # job id -> [lock, holders]
        self._flags: dict[str, threading.Event] = {}
        # State locks are striped: a fixed set shared by hash, so none is ever made or dropped under a holder.
        self._stripes = [threading.Lock() for _ in range(64)]

    def serve(self, app, kinds: Iterable[JobKind]) -> None:
        """Run `kinds` of jobs for `app` (called once by `create_app`)."""
        self.app = app
        self.kinds.update((kind.name, kind) for kind in kinds)

    # ---- running ---------------------------------------------------------------------------------

    def submit(self, fn, *args, **kwargs) -> Future:
        """Run `fn(*args, **kwargs)` on the pool; an exception it raises is logged (nobody may wait
        for the future), and is also kept on the returned future.

        Example:
            >>> jobs = Jobs(workers=1)
            >>> jobs.submit(sorted, [3, 1, 2]).result()
            [1, 2, 3]
            >>> jobs.shutdown()
        """
        future = self._pool.submit(fn, *args, **kwargs)
        future.add_done_callback(_log_failure)
        return future

    def start(self, kind: JobKind, job_id: str, *args) -> Future:
        """Run job `job_id` of `kind` in the background, taking it over from any older worker. When the
        step logic raises, the kind's `fail` ends the job.

        Example:
            >>> from types import SimpleNamespace
            >>> ended = []
            >>> def broken(app, job):
            ...     raise ValueError("boom")
            >>> BROKEN = JobKind("broken", run=broken, fail=lambda app, job_id, exc: ended.append((job_id, str(exc))))
            >>> jobs = Jobs(workers=1)
            >>> jobs.serve(SimpleNamespace(), [BROKEN])
            >>> jobs.start(BROKEN, "job_1").result()
            >>> ended
            [('job_1', 'boom')]
            >>> jobs.shutdown()
        """
        if self.kinds.get(kind.name) is not kind:
            raise LookupError(f"job kind {kind.name!r} is not served by this app")
        return self.submit(self._work, kind, Job(self, job_id, self._next_epoch(job_id)), args)

    def _work(self, kind: JobKind, job: Job, args: tuple) -> None:
        lock = self._worker_lock(job.id)
        try:
            with lock:  # one worker per job at a time: an older one ends at its next `wait`
                if job.wait(0):
                    return
                try:
                    kind.run(self.app, job, *args)
                except Exception as exc:  # the job ends; the server goes on
                    if kind.fail is None:
                        raise
                    log.exception("%s %s failed", kind.name, job.id)
                    kind.fail(self.app, job.id, exc)
        finally:
            self._release_worker(job)

    def recover(self) -> list[Future]:
        """Settle or start again what a stopped server left unfinished, kind by kind (at start-up);
        the futures of the jobs started again.

        Example:
            >>> from types import SimpleNamespace
            >>> done = []
            >>> LEFT = JobKind("left", run=lambda app, job, n: done.append((job.id, n)),
            ...                recover=lambda app: [("job_7", 3)])
            >>> jobs = Jobs(workers=1)
            >>> jobs.serve(SimpleNamespace(), [LEFT])
            >>> [future.result() for future in jobs.recover()]
            [None]
            >>> done
            [('job_7', 3)]
            >>> jobs.shutdown()
        """
        return [self.start(kind, job_id, *args)
                for kind in self.kinds.values() for job_id, *args in kind.recover(self.app)]

    # ---- control ---------------------------------------------------------------------------------

    def lock(self, job_id: str) -> threading.Lock:
        """The lock held while a job's state changes, so a worker's step and a request's cancel, pause
        or resume never interleave.

        Example:
            >>> jobs = Jobs(workers=1)
            >>> jobs.lock("ftjob-1") is jobs.lock("ftjob-1")
            True
            >>> jobs.shutdown()
        """
        return self._stripes[hash(job_id) % len(self._stripes)]

    def flag(self, job_id: str) -> threading.Event:
        """The job's cancel flag (made on first use; `forget` drops it)."""
        with self._guard:
            return self._flags.setdefault(job_id, threading.Event())

    def cancel(self, job_id: str) -> None:
        """Ask the job's worker to stop at its next check (`Job.cancelled`)."""
        self.flag(job_id).set()

    def cancel_requested(self, job_id: str) -> bool:
        """True once `cancel(job_id)` was called (and not forgotten since)."""
        with self._guard:
            flag = self._flags.get(job_id)
        return flag is not None and flag.is_set()

    def forget(self, job_id: str) -> None:
        """Drop the job's cancel flag once the job has ended."""
        with self._guard:
            self._flags.pop(job_id, None)

    def sleep(self, seconds: float) -> bool:
        """Wait up to `seconds`; True if the server is stopping (so the caller should end)."""
        return self.stopping.wait(seconds)

    def shutdown(self) -> None:
        """Set `stopping`, drop work not yet started and wait for the running work to end.

        Example:
            >>> jobs = Jobs(workers=1)
            >>> jobs.shutdown()
            >>> jobs.stopping.is_set()
            True
        """
        self.stopping.set()
        self._pool.shutdown(wait=True, cancel_futures=True)

    # ---- bookkeeping -----------------------------------------------------------------------------

    def _next_epoch(self, job_id: str) -> int:
        with self._guard:
            self._epochs[job_id] = self._epochs.get(job_id, 0) + 1
            return self._epochs[job_id]

    def _epoch(self, job_id: str) -> int:
        with self._guard:
            return self._epochs.get(job_id, 0)

    def _worker_lock(self, job_id: str) -> threading.Lock:
        with self._guard:
            entry = self._workers.setdefault(job_id, [threading.Lock(), 0])
            entry[1] += 1
            return entry[0]

    def _release_worker(self, job: Job) -> None:
        with self._guard:
            entry = self._workers[job.id]
            entry[1] -= 1
            if entry[1] == 0:
                del self._workers[job.id]
                if self._epochs.get(job.id) == job.epoch:
                    del self._epochs[job.id]


def set_status(db, table: str, where: dict, new: str, expect: Iterable[str], **columns) -> bool:
    """Compare-and-set a job's status: set `status = new` (and `columns`) on the row matching `where`
    only while its status is one of `expect`, inside the caller's transaction `db`. True if it changed.

    Example:
        >>> from jupyter_api_kit.local.core.db import Store
        >>> store = Store(":memory:")
        >>> _ = store.execute("CREATE TABLE t (id TEXT, status TEXT, error TEXT)")
        >>> _ = store.execute("INSERT INTO t VALUES ('j1', 'queued', NULL)")
        >>> with store.tx() as db:
        ...     set_status(db, "t", {"id": "j1"}, "running", ("queued",))
        True
        >>> with store.tx() as db:
        ...     set_status(db, "t", {"id": "j1"}, "cancelled", ("queued",), error="late")
        False
    """
    expect = tuple(expect)
    sets = ", ".join(["status = ?", *(f"{c} = ?" for c in columns)])
    keys = " AND ".join(f"{k} = ?" for k in where)
    sql = f"UPDATE {table} SET {sets} WHERE {keys} AND status IN ({', '.join('?' * len(expect))})"
    return db.execute(sql, (new, *columns.values(), *where.values(), *expect)).rowcount > 0


def _log_failure(future: Future) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("background task failed", exc_info=future.exception())
