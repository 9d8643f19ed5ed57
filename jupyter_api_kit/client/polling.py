"""One way to wait for work the server does in the background: look, stop when done, else pause and
look again, until a timeout raises `WaitTimeoutError`.

Runs, eval runs, fine-tuning jobs, background responses and vector store files and batches all wait
with `poll`; each brings only how to fetch its object, when it is done, and what to show meanwhile.

Example:
    >>> states = iter(["queued", "in_progress", "completed"])
    >>> poll(lambda: {"status": next(states)}, lambda o: o["status"] == "completed", timeout=5, interval=0)
    {'status': 'completed'}
    >>> poll(lambda: {"id": "run_1", "status": "queued"}, lambda o: False, timeout=0.01, interval=0.02,
    ...      what="run run_1")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    jupyter_api_kit.errors.WaitTimeoutError: run run_1 is still queued after 0.01 s; it goes on on the server ...
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from jupyter_api_kit.errors import WaitTimeoutError

T = TypeVar("T")


def poll(fetch: Callable[[], T], done: Callable[[T], bool], timeout: float | None,
         interval: float | Callable[[T], float], progress: Callable[[T], None] | None = None, *,
         what: str = "the object", error: type[WaitTimeoutError] = WaitTimeoutError) -> T:
    """Call `fetch()` until `done(result)`; return that result.

    `interval` is the pause in seconds between looks, or a function of the last result (a server's
    poll hint). `progress`, if given, sees every result. With `timeout` (seconds; None waits for
    ever) a `WaitTimeoutError` (or the subclass `error`) is raised, carrying the last result, as
    soon as the next look would come too late; `what` names the object in its message.

    Example:
        >>> seen = []
        >>> poll(iter([1, 2, 3]).__next__, lambda n: n == 3, timeout=None, interval=0, progress=seen.append)
        3
        >>> seen
        [1, 2, 3]
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        current = fetch()
        if progress is not None:
            progress(current)
        if done(current):
            return current
        wait = interval(current) if callable(interval) else interval
        if deadline is not None and time.monotonic() + wait > deadline:
            status = current.get("status") if hasattr(current, "get") else None
            state = f"is still {status}" if status else "is not done"
            raise error(f"{what} {state} after {timeout:g} s; it goes on on the server (cancel it if it should stop)",
                        last=current)
        time.sleep(wait)
