"""Work that outlives a request (runs, eval runs, fine-tuning jobs, batches), on a small thread pool
that stops with the server.

Example:
    >>> jobs = Jobs(workers=1)
    >>> jobs.submit(lambda: 41 + 1).result()
    42
    >>> jobs.shutdown()
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor

log = logging.getLogger("jupyter_api_kit.local")


class Jobs:
    """The app's thread pool for work that outlives a request (`app.state.jobs`). Loops check
    `stopping` (or use `sleep`) between steps so that stopping the server ends them promptly.

    Example:
        >>> jobs = Jobs(workers=1)
        >>> jobs.sleep(0.01)
        False
        >>> jobs.shutdown()
        >>> jobs.stopping.is_set(), jobs.sleep(10)
        (True, True)
    """

    def __init__(self, workers: int = 4):
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="jak-local-bg")
        #: set when the server stops; long loops check it between steps
        self.stopping = threading.Event()

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


def _log_failure(future: Future) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("background task failed", exc_info=future.exception())
