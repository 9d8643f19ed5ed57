"""The events of runs, fanned out to the streams that follow them.

A streamed request subscribes before its run starts executing, so it misses nothing; every event
is put on each subscriber's queue as ready-to-send SSE text, and `END` tells a stream that the
execution it was following has stopped (the run ended, or waits for tool outputs).

Example:
    >>> events = RunEvents()
    >>> sub = events.subscribe("run_1")
    >>> epoch = events.next_epoch()           # an execution of run_1 begins
    >>> events.publish("run_1", "thread.run.queued", {"id": "run_1"})
    >>> events.end("run_1", epoch)
    >>> sub.get_nowait(), sub.get_nowait() is END
    ('event: thread.run.queued\\ndata: {"id": "run_1"}\\n\\n', True)
"""

from __future__ import annotations

import itertools
import json
import queue
import threading

#: put on a subscriber's queue when the execution it follows stops (terminal or waiting)
END = object()


def sse(event: str, data) -> str:
    """One server-sent event as the API frames it."""
    return f"event: {event}\ndata: {data if isinstance(data, str) else json.dumps(data)}\n\n"


class Subscription(queue.SimpleQueue):
    """One stream's queue of events; `since` orders it against executions of the run."""

    def __init__(self, since: int):
        super().__init__()
        self.since = since


class RunEvents:
    """Subscribers per run id; thread-safe."""

    def __init__(self):
        self._lock = threading.Lock()
        self._subscribers: dict[str, list[Subscription]] = {}
        self._counter = itertools.count()

    def next_epoch(self) -> int:
        """A number later than every subscription made so far (taken when an execution begins)."""
        with self._lock:
            return next(self._counter)

    def subscribe(self, run_id: str) -> Subscription:
        """A queue that receives the run's events from now on, then `END` when the next execution
        of the run stops (an execution already under way does not end it)."""
        with self._lock:
            sub = Subscription(next(self._counter))
            self._subscribers.setdefault(run_id, []).append(sub)
        return sub

    def unsubscribe(self, run_id: str, sub: Subscription) -> None:
        """Stop delivering the run's events to `sub` (a stream that ended or was closed).

        Example:
            >>> events = RunEvents()
            >>> sub = events.subscribe("run_1")
            >>> events.unsubscribe("run_1", sub)
            >>> events.publish("run_1", "thread.run.completed", {})
            >>> sub.empty()
            True
        """
        with self._lock:
            subs = self._subscribers.get(run_id, [])
            if sub in subs:
                subs.remove(sub)
            if not subs:
                self._subscribers.pop(run_id, None)

    def publish(self, run_id: str, event: str, data) -> None:
        """Send one event to every stream following the run (nothing happens when none is).

        Example:
            >>> events = RunEvents()
            >>> sub = events.subscribe("run_1")
            >>> events.publish("run_1", "thread.message.delta", {"delta": "Hi"})
            >>> sub.get_nowait()
            'event: thread.message.delta\\ndata: {"delta": "Hi"}\\n\\n'
        """
        with self._lock:
            subs = list(self._subscribers.get(run_id, ()))
        if subs:
            text = sse(event, data)  # serialized now: later changes to `data` must not leak in
            for sub in subs:
                sub.put(text)

    def end(self, run_id: str, epoch: int) -> None:
        """Tell the streams that were following the run before execution `epoch` began that it has
        stopped (`END` on their queues).

        Example:
            >>> events = RunEvents()
            >>> early = events.subscribe("run_1")
            >>> epoch = events.next_epoch()
            >>> late = events.subscribe("run_1")
            >>> events.end("run_1", epoch)
            >>> early.get_nowait() is END, late.empty()
            (True, True)
        """
        # Only streams that were listening before this execution began: a stream opened by a
        # submit-tool-outputs while the previous execution was returning waits for the next one.
        with self._lock:
            subs = [s for s in self._subscribers.get(run_id, ()) if s.since < epoch]
        for sub in subs:
            sub.put(END)
