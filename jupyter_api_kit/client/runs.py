"""Runs of a thread and their steps: create (plain, streamed, or polled to the end), retrieve,
update, list, cancel, submit tool outputs; `steps.list` / `steps.retrieve`.

Example:
    >>> comet = client.threads.create(messages=[{"role": "user", "content": "What is a comet?"}])
    >>> run = client.threads.runs.create_and_poll(comet.id, assistant_id=tutor.id, timeout=30)
    >>> run.status, run.usage.total_tokens > 0
    ('completed', True)
    >>> with client.threads.runs.stream(comet.id, assistant_id=tutor.id) as stream:
    ...     pieces = list(stream.text_deltas())        # print(piece, end="") shows the answer as it comes
    >>> stream.final_run.status, "".join(pieces) == stream.final_text
    ('completed', True)
"""

from __future__ import annotations

import sys

from jupyter_api_kit.client.backends import sunset_aware
from jupyter_api_kit.client.objects import APIObject
from jupyter_api_kit.client.polling import poll
from jupyter_api_kit.client.resource import Resource, path_id, query_params
from jupyter_api_kit.client.run_stream import RunStream
from jupyter_api_kit.client.streaming import Stream
from jupyter_api_kit.client.validation import check_metadata, drop_unset
from jupyter_api_kit.errors import InvalidInputError, WaitTimeoutError

#: a poll stops at these: the run ended, or it waits for tool outputs
STOP_STATES = frozenset({"completed", "failed", "cancelled", "expired", "incomplete", "requires_action"})
DEFAULT_POLL_SECONDS = 1.0


class RunTimeoutError(WaitTimeoutError):
    """A run did not reach a terminal state (or `requires_action`) within the timeout: the
    `WaitTimeoutError` of runs, whose `run` is the run as last seen.

    Example:
        >>> RunTimeoutError("run run_1 is still queued after 1 s", last={"id": "run_1"}).run["id"]
        'run_1'
    """

    @property
    def run(self):
        """The run as last seen (the same object as `last`)."""
        return self.last


def _in_notebook() -> bool:
    shell = sys.modules.get("IPython") and sys.modules["IPython"].get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


class _Progress:
    """A status line for a run being waited on (a tqdm bar in notebooks), or nothing."""

    def __init__(self, enabled, run_id: str):
        show = _in_notebook() if enabled == "auto" else bool(enabled)
        self.bar = None
        if show:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=None, bar_format="{desc} [{elapsed}]", desc=f"{run_id}: queued")

    def update(self, run) -> None:
        if self.bar is not None:
            self.bar.set_description_str(f"{run['id']}: {run['status']}")
            self.bar.update(0)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@sunset_aware("client.threads.runs.steps")
class Steps(Resource):
    """The steps of an assistant run (`/threads/{id}/runs/{run_id}/steps`): message creation and tool
    calls, with their usage. Reached as `client.threads.runs.steps`.

    Example:
        >>> comet = client.threads.create(messages=[{"role": "user", "content": "What is a comet?"}])
        >>> run = client.threads.runs.create_and_poll(comet.id, assistant_id=tutor.id)
        >>> steps = client.threads.runs.steps.list(run.id, thread_id=comet.id, order="asc")
        >>> [s.type for s in steps]
        ['message_creation']
    """

    def list(self, run_id: str, *, thread_id: str, include=None, after=None, before=None, limit=None, order=None):
        """The steps of a run (`message_creation`, `tool_calls`), newest first by default, with their usage.

        Example:
            >>> comet = client.threads.create(messages=[{"role": "user", "content": "What is a comet?"}])
            >>> run = client.threads.runs.create_and_poll(comet.id, assistant_id=tutor.id)
            >>> steps = client.threads.runs.steps.list(run.id, thread_id=comet.id, order="asc").to_frame()
            >>> steps[["type", "status"]].values.tolist()
            [['message_creation', 'completed']]
        """
        return self._list(f"threads/{path_id(thread_id, 'thread_id')}/runs/{path_id(run_id, 'run_id')}/steps",
                          {"include": include, "after": after, "before": before, "limit": limit, "order": order})

    def retrieve(self, step_id: str, *, thread_id: str, run_id: str, include=None) -> APIObject:
        """One run step."""
        return self._get(f"threads/{path_id(thread_id, 'thread_id')}/runs/{path_id(run_id, 'run_id')}/steps/"
                         f"{path_id(step_id, 'step_id')}", {"include": include})


@sunset_aware("client.threads.runs")
class Runs(Resource):
    """Runs of assistants on threads (`/threads/{id}/runs`): create (plain, streamed, or polled to the
    end), retrieve, update, list, cancel and submit tool outputs; `steps` is a sub-group. Reached as
    `client.threads.runs`.

    Example:
        >>> comet = client.threads.create(messages=[{"role": "user", "content": "What is a comet?"}])
        >>> run = client.threads.runs.create_and_poll(comet.id, assistant_id=tutor.id)
        >>> run.status
        'completed'
    """

    def __init__(self, transport, client=None):
        super().__init__(transport, client)
        self.steps = Steps(transport, client)

    def _path(self, thread_id: str, run_id: str | None = None, action: str | None = None) -> str:
        path = f"threads/{path_id(thread_id, 'thread_id')}/runs"
        if run_id is not None:
            path += f"/{path_id(run_id, 'run_id')}"
        return f"{path}/{action}" if action else path

    def _post_maybe_stream(self, path: str, body: dict, stream: bool, params=None, on_thread=None):
        body = drop_unset(body)
        if "metadata" in body:
            check_metadata(body["metadata"])
        query = query_params(params or {})
        if not stream:
            return self._transport.json("POST", path, json_body=body, params=query)
        response = self._transport.request("POST", path, json_body={**body, "stream": True}, params=query,
                                           stream=True, headers={"Accept": "text/event-stream"})
        return RunStream(Stream(response), on_thread=on_thread)

    def create(self, thread_id: str, *, assistant_id: str, stream: bool = False, include=None,
               **params) -> APIObject | RunStream:
        """Start a run of `assistant_id` on a thread. API fields pass through as keywords:
        `model`, `instructions`, `additional_instructions`, `additional_messages`, `tools`,
        `tool_choice`, `temperature`, `top_p`, `max_prompt_tokens`, `max_completion_tokens`,
        `truncation_strategy`, `parallel_tool_calls`, `response_format`, `metadata`.
        With `stream=True` the result is a `RunStream` of typed events.

        Example:
            >>> comet = client.threads.create(messages=[{"role": "user", "content": "What is a comet?"}])
            >>> run = client.threads.runs.create(comet.id, assistant_id=tutor.id,
            ...     additional_messages=[{"role": "user", "content": "And Mars?"}])
            >>> run.object, run.assistant_id == tutor.id      # it goes on in the background
            ('thread.run', True)
        """
        if not isinstance(assistant_id, str) or not assistant_id:
            raise InvalidInputError("assistant_id must be a non-empty string", param="assistant_id")
        return self._post_maybe_stream(self._path(thread_id), {"assistant_id": assistant_id, **params}, stream,
                                       {"include": include})

    def stream(self, thread_id: str, *, assistant_id: str, **params) -> RunStream:
        """`create(..., stream=True)`: the run's events as they happen."""
        return self.create(thread_id, assistant_id=assistant_id, stream=True, **params)

    def retrieve(self, run_id: str, *, thread_id: str) -> APIObject:
        """A run by id."""
        return self._get(self._path(thread_id, run_id))

    def update(self, run_id: str, *, thread_id: str, metadata: dict) -> APIObject:
        """Replace a run's metadata."""
        check_metadata(metadata)
        return self._post(self._path(thread_id, run_id), {"metadata": metadata})

    def list(self, thread_id: str, *, after=None, before=None, limit=None, order=None):
        """The runs of a thread, newest first by default."""
        return self._list(self._path(thread_id), {"after": after, "before": before, "limit": limit, "order": order})

    def cancel(self, run_id: str, *, thread_id: str) -> APIObject:
        """Ask a queued, running or waiting run to stop; it answers `cancelling`, then becomes `cancelled`."""
        return self._post(self._path(thread_id, run_id, "cancel"), {})

    def submit_tool_outputs(self, run_id: str, *, thread_id: str, tool_outputs: list, stream: bool = False):
        """Answer every function call a `requires_action` run waits for; the run goes on.

        Example:
            >>> forecaster = client.assistants.create(model="local-ngram", tools=[{"type": "function",
            ...     "function": {"name": "get_weather", "parameters": {"type": "object",
            ...                                                          "properties": {"city": {"type": "string"}}}}}])
            >>> paris = client.threads.create(messages=[{"role": "user", "content": "Weather in Paris?"}])
            >>> run = client.threads.runs.create_and_poll(paris.id, assistant_id=forecaster.id,
            ...     tool_choice={"type": "function", "function": {"name": "get_weather"}})
            >>> run.status
            'requires_action'
            >>> call = run.required_action.submit_tool_outputs.tool_calls[0]
            >>> call.function.name
            'get_weather'
            >>> run = client.threads.runs.submit_tool_outputs(run.id, thread_id=paris.id,
            ...     tool_outputs=[{"tool_call_id": call.id, "output": "sunny, 21 C"}])
            >>> client.threads.runs.poll(run.id, thread_id=paris.id).status
            'completed'
        """
        if not isinstance(tool_outputs, list) or not tool_outputs:
            raise InvalidInputError("tool_outputs must be a non-empty list of {'tool_call_id', 'output'} dicts",
                                    param="tool_outputs")
        return self._post_maybe_stream(self._path(thread_id, run_id, "submit_tool_outputs"),
                                       {"tool_outputs": tool_outputs}, stream)

    def poll(self, run_id: str, *, thread_id: str, timeout: float = 120.0, interval: float | None = None,
             progress="auto") -> APIObject:
        """Wait until the run ends or needs tool outputs, and return it.

        `interval` is the pause between looks (default: what the server suggests in its
        `openai-poll-after-ms` header, else 1 s). `progress` shows the run's status while waiting:
        "auto" (in notebooks), True or False. Raises `RunTimeoutError` (a `WaitTimeoutError`) after `timeout` seconds.
        """
        bar = _Progress(progress, run_id)
        path = self._path(thread_id, run_id)
        hint = {}

        def fetch() -> APIObject:
            response = self._transport.request("GET", path)
            hint["ms"] = response.headers.get("openai-poll-after-ms") or ""
            return APIObject(response.json(), request_id=response.headers.get("x-request-id"))

        def pause(_run) -> float:
            if interval is not None:
                return interval
            return int(hint["ms"]) / 1000 if hint["ms"].isdigit() else DEFAULT_POLL_SECONDS

        try:
            return poll(fetch, lambda run: run.get("status") in STOP_STATES, timeout, pause, bar.update,
                        what=f"run {run_id}", error=RunTimeoutError)
        finally:
            bar.close()

    def create_and_poll(self, thread_id: str, *, assistant_id: str, timeout: float = 120.0, interval=None,
                        progress="auto", **params) -> APIObject:
        """`create` then `poll`: the run once it has ended or waits for tool outputs.

        Example:
            >>> comet = client.threads.create(messages=[{"role": "user", "content": "What is a comet?"}])
            >>> run = client.threads.runs.create_and_poll(comet.id, assistant_id=tutor.id)
            >>> run.status
            'completed'
        """
        run = self.create(thread_id, assistant_id=assistant_id, **params)
        return self.poll(run["id"], thread_id=thread_id, timeout=timeout, interval=interval, progress=progress)

    def submit_tool_outputs_and_poll(self, run_id: str, *, thread_id: str, tool_outputs: list,
                                     timeout: float = 120.0, interval=None, progress="auto") -> APIObject:
        """`submit_tool_outputs` then `poll`."""
        self.submit_tool_outputs(run_id, thread_id=thread_id, tool_outputs=tool_outputs)
        return self.poll(run_id, thread_id=thread_id, timeout=timeout, interval=interval, progress=progress)
