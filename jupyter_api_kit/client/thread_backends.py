"""Threads over either backend, for `%threads` and `ThreadsPanel`: Assistants threads where the server
has them (the local server, older compatible servers), Conversations with Responses where it does not
(OpenAI since 2026-08-26). Both offer the same actions: create, read, add a message, answer it
(streamed or not), list the answers (runs or responses) and their steps, cancel, delete.

A thread's id says its kind: `conv_...` is a conversation, anything else an Assistants thread, so an
existing thread is always read through its own API; the backend setting (`auto`, `assistants`,
`conversations`) only decides what a new thread is. `auto` asks the server once whether it has the
Assistants API.

Example:
    >>> kind_of("conv_abc"), kind_of("thread_abc")
    ('conversations', 'assistants')
    >>> backend = threads_backend(client, "conversations")
    >>> chat = backend.create(); backend.say(chat.id, "What is a comet?").role
    'user'
    >>> with backend.stream(chat.id, None, model="local-ngram") as turn:
    ...     text = "".join(piece for kind, piece in turn if kind == "text")
    >>> [item.role for item in backend.messages(chat.id)] == ["user", "assistant"], len(text) > 0
    (True, True)
"""

from __future__ import annotations

from jupyter_api_kit.client.backends import SUNSET_DATE, assistants_available
from jupyter_api_kit.client.threads import is_conversation, registry_key
from jupyter_api_kit.errors import AssistantsUnavailableError, InvalidInputError, NotFoundError

BACKENDS = ("auto", "assistants", "conversations")
ACTIVE = ("queued", "in_progress", "cancelling")


def kind_of(thread_id: str) -> str:
    """Which API a thread id belongs to: `conversations` for `conv_...`, else `assistants`."""
    return "conversations" if is_conversation(thread_id) else "assistants"


def resolve_backend(client, setting: str) -> str:
    """`assistants` or `conversations` for a setting; `auto` asks the server (once per connection).

    Example:
        >>> resolve_backend(None, "conversations")
        'conversations'
        >>> resolve_backend(None, "threads")
        Traceback (most recent call last):
        ...
        jupyter_api_kit.errors.InvalidInputError: backend must be 'auto', 'assistants' or 'conversations', got 'threads'
    """
    if setting not in BACKENDS:
        raise InvalidInputError(f"backend must be 'auto', 'assistants' or 'conversations', got {setting!r}",
                                param="backend")
    if setting != "auto":
        return setting
    return "assistants" if assistants_available(client.transport) else "conversations"


def backend_line(kind: str, setting: str, where: str) -> str:
    """The one line a notebook shows about the backend in use.

    Example:
        >>> print(backend_line("conversations", "auto", "https://api.openai.com/v1"))  # doctest: +NORMALIZE_WHITESPACE
        Threads use Conversations + Responses (new threads are conv_...): https://api.openai.com/v1 has no
        Assistants API, which OpenAI shut down on 2026-08-26; backend "auto" chose this, "assistants" or
        "conversations" forces one.
        >>> print(backend_line("assistants", "assistants", "http://127.0.0.1:8765/v1"))  # doctest: +ELLIPSIS
        Threads use Assistants threads (new threads are thread_...), as the backend setting asks (...).
    """
    what = ("Conversations + Responses (new threads are conv_...)" if kind == "conversations"
            else "Assistants threads (new threads are thread_...)")
    if setting != "auto":
        return f'Threads use {what}, as the backend setting asks ("auto" picks by server).'
    if kind == "conversations":
        return (f"Threads use {what}: {where} has no Assistants API, which OpenAI shut down on {SUNSET_DATE}; "
                'backend "auto" chose this, "assistants" or "conversations" forces one.')
    return (f'Threads use {what}: {where} has the Assistants API; backend "auto" chose this, "conversations" '
            "forces Conversations + Responses.")


class Turn:
    """One answer being written, streamed: iterate it for `("status", status)` and `("text", delta)`
    pairs; afterwards `result` is the final run or response and `text` the reply."""

    def __init__(self, stream, kind: str, on_start=None):
        self._stream, self.kind = stream, kind
        self._on_start = on_start  # called once with the run or response, when its first event names it
        self.result = None
        self.text = ""

    def _status(self, obj):
        first = self.result is None
        self.result = obj
        if first and self._on_start is not None:
            self._on_start(obj)
        return "status", obj.get("status")

    def __iter__(self):
        for event in self._stream:
            if self.kind == "assistants":
                name = event.event
                if name.startswith("thread.run.") and ".step." not in name:
                    yield self._status(event.data)
                elif name == "thread.message.delta" and event.text:
                    self.text += event.text
                    yield "text", event.text
            else:
                kind = event.get("type") or event.event
                if kind == "response.output_text.delta":
                    self.text += event.get("delta", "")
                    yield "text", event.get("delta", "")
                elif event.get("response") is not None:
                    yield self._status(event.response)

    @property
    def id(self) -> str | None:
        """The run's or response's id, once the first event has named it."""
        return (self.result or {}).get("id")

    def close(self) -> None:
        self._stream.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class AssistantsThreads:
    """Assistants threads, messages and runs (`client.threads`)."""

    kind = "assistants"

    def __init__(self, client):
        self.client = client
        self.api = client.threads

    def create(self, metadata=None):
        return self.api.create(metadata=metadata)

    def remember(self, thread_id):
        return self.api.remember(thread_id)

    def delete(self, thread_id):
        return self.api.delete(thread_id)

    def say(self, thread_id, text):
        return self.api.messages.create(thread_id, role="user", content=text)

    def messages(self, thread_id, *, order="asc", limit=100, after=None):
        return self.api.messages.list(thread_id, order=order, limit=limit, after=after)

    @staticmethod
    def frame(messages):
        from jupyter_api_kit import frames

        return frames.thread_messages(messages)

    @staticmethod
    def turns(messages) -> list[tuple[str, str]]:
        """(role, text) of each message, in the order given."""
        from jupyter_api_kit.frames.threads import _text

        return [(m.get("role"), _text(m)) for m in messages]

    def _extra(self, text):
        return {"additional_messages": [{"role": "user", "content": text}]} if text else {}

    def stream(self, thread_id, text, *, assistant_id="", **_settings) -> Turn:
        if not assistant_id:
            raise InvalidInputError("an Assistants thread is answered by an assistant: give its id", param="assistant")
        return Turn(self.api.runs.stream(thread_id, assistant_id=assistant_id, **self._extra(text)), self.kind)

    def answer(self, thread_id, text, *, assistant_id="", timeout=120.0, **_settings):
        """Run the assistant and wait; returns (run, the texts it wrote)."""
        if not assistant_id:
            raise InvalidInputError("an Assistants thread is answered by an assistant: give its id", param="assistant")
        run = self.api.runs.create_and_poll(thread_id, assistant_id=assistant_id, timeout=timeout, **self._extra(text))
        written = self.api.messages.list(thread_id, run_id=run["id"], order="asc")
        return run, [t for _, t in self.turns(written.data)]

    def runs(self, thread_id):
        from jupyter_api_kit import frames

        return frames.thread_runs(self.api.runs.list(thread_id).data)

    def steps(self, run_id, thread_id):
        from jupyter_api_kit import frames

        return frames.run_steps(self.api.runs.steps.list(run_id, thread_id=thread_id, order="asc", limit=100).data)

    def cancel(self, run_id, thread_id) -> str:
        return self.api.runs.cancel(run_id, thread_id=thread_id)["status"]

    def refresh(self, run, thread_id):
        """The run as it stands now."""
        return self.api.runs.retrieve(run["id"], thread_id=thread_id)

    @staticmethod
    def summary(run) -> str:
        """One line about a run: status, tokens, what it waits for."""
        usage = run.get("usage") or {}
        line = f"{run.get('id')} {run.get('status')}"
        if usage:
            line += (f" · {usage.get('prompt_tokens')} prompt + {usage.get('completion_tokens')} completion = "
                     f"{usage.get('total_tokens')} tokens")
        if run.get("last_error"):
            line += f" · {run['last_error'].get('message')}"
        if run.get("incomplete_details"):
            line += f" · incomplete: {run['incomplete_details'].get('reason')}"
        calls = ((run.get("required_action") or {}).get("submit_tool_outputs") or {}).get("tool_calls") or []
        for call in calls:
            line += (f" · waits for {call['function']['name']}({call['function']['arguments']}) as {call['id']}: "
                     "answer with client.threads.runs.submit_tool_outputs")
        return line


class ConversationThreads:
    """Conversations, their items, and the responses that answer them (`client.conversations`,
    `client.responses`). The responses made in a conversation are remembered per conversation,
    since the API cannot list them."""

    kind = "conversations"

    def __init__(self, client):
        self.client = client
        self.api = client.conversations

    def create(self, metadata=None):
        return self.api.create(metadata=metadata)

    def remember(self, thread_id):
        return self.api.remember(thread_id)

    def delete(self, thread_id):
        return self.api.delete(thread_id)

    def say(self, thread_id, text):
        return self.api.items.create(thread_id, items=[{"type": "message", "role": "user", "content": text}]).data[0]

    def messages(self, thread_id, *, order="asc", limit=100, after=None):
        return self.api.items.list(thread_id, order=order, limit=limit, after=after)

    @staticmethod
    def frame(items):
        from jupyter_api_kit import frames

        return frames.conversation_items(items)

    @staticmethod
    def turns(items) -> list[tuple[str, str]]:
        """(role, text) of each item, in the order given."""
        from jupyter_api_kit.frames.conversations import _role, item_text

        return [(_role(i), item_text(i)) for i in items]

    def _log(self, thread_id):
        """The responses made in one conversation, kept beside the remembered threads."""
        from jupyter_api_kit.config import data_dir
        from jupyter_api_kit.client.thread_registry import ThreadRegistry

        key = f"{registry_key(self.client, self.client.transport)} {thread_id}"
        return ThreadRegistry(key, path=data_dir() / "conversation_responses.json")

    def _body(self, thread_id, text, model, instructions, assistant_id):
        if assistant_id and assistants_available(self.client.transport):
            # an assistant, where the server still has them, lends its model and instructions
            assistant = self.client.assistants.retrieve(assistant_id)
            model, instructions = model or assistant["model"], instructions or assistant.get("instructions")
        if not model:
            raise InvalidInputError("a conversation is answered by a model: give one", param="model")
        return {"model": model, "input": text or None, "conversation": thread_id, "instructions": instructions or None}

    def stream(self, thread_id, text, *, model="", instructions="", assistant_id="") -> Turn:
        body = self._body(thread_id, text, model, instructions, assistant_id)
        # In the background, so that it can be cancelled while it streams.
        events = self.client.responses.create(**body, stream=True, background=True)
        return Turn(events, self.kind, on_start=self._log(thread_id).remember)

    def answer(self, thread_id, text, *, model="", instructions="", assistant_id="", **_settings):
        """Answer and wait; returns (response, [its text])."""
        response = self.client.responses.create(**self._body(thread_id, text, model, instructions, assistant_id))
        self._log(thread_id).remember(response)
        return response, [response.get("output_text") or ""]

    def runs(self, thread_id):
        from jupyter_api_kit import frames

        found = []
        for entry in self._log(thread_id).entries():
            try:
                found.append(self.client.responses.retrieve(entry["id"]))
            except NotFoundError:
                continue  # deleted since: not an answer any more
        return frames.conversation_responses(found)

    def steps(self, response_id, thread_id=None):
        from jupyter_api_kit import frames

        return frames.response_steps(self.client.responses.retrieve(response_id))

    def cancel(self, response_id, thread_id=None) -> str:
        return self.client.responses.cancel(response_id)["status"]

    def refresh(self, response, thread_id=None):
        """The response as it stands now."""
        return self.client.responses.retrieve(response["id"])

    @staticmethod
    def summary(response) -> str:
        """One line about a response: status and tokens.

        Example:
            >>> ConversationThreads.summary({"id": "resp_1", "status": "completed", "usage": {
            ...     "input_tokens": 3, "output_tokens": 4, "total_tokens": 7}})
            'resp_1 completed · 3 input + 4 output = 7 tokens'
        """
        usage = response.get("usage") or {}
        line = f"{response.get('id')} {response.get('status')}"
        if usage:
            line += (f" · {usage.get('input_tokens')} input + {usage.get('output_tokens')} output = "
                     f"{usage.get('total_tokens')} tokens")
        if response.get("error"):
            line += f" · {response['error'].get('message')}"
        if response.get("incomplete_details"):
            line += f" · incomplete: {response['incomplete_details'].get('reason')}"
        return line


def threads_backend(client, kind: str):
    """The backend object of a kind (`assistants` or `conversations`)."""
    return ConversationThreads(client) if kind == "conversations" else AssistantsThreads(client)


def backend_for(client, thread_id: str):
    """The backend a thread id belongs to."""
    return threads_backend(client, kind_of(thread_id))


def known_threads(client, check: bool = True) -> list[dict]:
    """Every remembered thread of this server, both kinds, oldest first, each with its `kind`.
    Assistants threads on a server that no longer has the API are left out (and kept remembered)."""
    order = {entry["id"]: i for i, entry in enumerate(client.threads.registry.entries())}
    out = [{**dict(c), "kind": "conversations"} for c in client.conversations.known(check=check)]
    try:
        out += [{**dict(t), "kind": "assistants"} for t in client.threads.known(check=check)]
    except AssistantsUnavailableError:
        pass
    return sorted(out, key=lambda t: order.get(t["id"], len(order)))
