"""Work that outlives a request (runs, eval runs, fine-tuning jobs, batches), on a small thread pool
that stops with the server.

Example:
    >>> bg = Background(workers=1)
    >>> bg.submit(lambda: 41 + 1).result()
    42
    >>> bg.shutdown()
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor

log = logging.getLogger("jupyter_api_kit.local")


class Background:
    def __init__(self, workers: int = 4):
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="jak-local-bg")
        #: set when the server stops; long loops check it between steps
        self.stopping = threading.Event()

    def submit(self, fn, *args, **kwargs) -> Future:
        future = self._pool.submit(fn, *args, **kwargs)
        future.add_done_callback(_log_failure)
        return future

    def sleep(self, seconds: float) -> bool:
        """Wait up to `seconds`; True if the server is stopping (so the caller should end)."""
        return self.stopping.wait(seconds)

    def shutdown(self) -> None:
        self.stopping.set()
        self._pool.shutdown(wait=True, cancel_futures=True)


def _log_failure(future: Future) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("background task failed", exc_info=future.exception())
