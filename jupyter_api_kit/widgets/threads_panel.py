"""A panel for threads: the known threads, a transcript, a composer that adds a message and starts
an answer, the answer's live status, and its steps with their usage.

It works over either backend: Assistants threads answered by an assistant's runs where the server
has them, Conversations answered by Responses where it does not (OpenAI since 2026-08-26). `backend`
is `auto` (ask the server), `assistants` or `conversations`; the status line says which is used. A
thread's id says its kind, so the list shows both and each is read through its own API.

Every button is a method (`refresh`, `new_thread`, `select`, `send`, `cancel`, `load_older`), so a
test or a notebook cell can do what a click does. An answer streams in a background thread, so the
kernel stays free while the reply arrives; `wait()` blocks until it is done.

Example:
    >>> from jupyter_api_kit.widgets import ThreadsPanel
    >>> panel = ThreadsPanel(client=client, assistant_id=tutor.id)
    >>> panel.new_thread()
    'thread_...'
    >>> panel.send("What is a nebula?"); panel.wait()
    True
    >>> panel.run_status, panel.steps_frame["type"].tolist(), [role for role, _ in panel.transcript]
    ('completed', ['message_creation'], ['user', 'assistant'])
    >>> ThreadsPanel(client=client, backend="conversations", model="local-ngram").status
    'Threads use Conversations + Responses (new threads are conv_...), as the backend setting asks ...'
"""

from __future__ import annotations

import html
import threading

import ipywidgets as widgets
from traitlets import Bool, List, Unicode, observe

from jupyter_api_kit.client.thread_backends import (ACTIVE, backend_for, backend_line, known_threads,
                                                    resolve_backend, threads_backend)
from jupyter_api_kit.errors import APIError, JupyterAPIKitError

PAGE = 20  # messages fetched per page of the transcript
STEP_COLUMNS = ("id", "type", "status", "tool_calls", "prompt_tokens", "completion_tokens", "input_tokens",
                "output_tokens", "total_tokens")


def one_line(err: Exception) -> str:
    """An error as the one line the panel's status shows (API errors in their own one-line form).

    Example:
        >>> from jupyter_api_kit.errors import NotFoundError
        >>> one_line(NotFoundError("No thread found", status=404, request_id="req_1"))
        'NotFoundError: No thread found (404, request req_1)'
        >>> one_line(ValueError("bad\\nvalue"))
        'ValueError: bad value'
    """
    return err.one_line() if isinstance(err, APIError) else f"{type(err).__name__}: {err}".replace("\n", " ")


class ThreadsPanel(widgets.VBox):
    """Threads, transcript, composer, run status and run steps in one panel.

    Args:
        client: a `jupyter_api_kit.client.Client` (default: the magics' client when the extension is loaded,
            else `Client()`, the local server without a key).
        assistant_id: the assistant runs use (also chosen in the panel's dropdown).
        backend: `auto`, `assistants` or `conversations`: what a new thread is.
        model, instructions: what answers a conversation (the dropdown lists the models).
    """

    thread_ids = List(Unicode(), help="Ids of the known threads, oldest first.")
    selected_thread = Unicode("", help="Id of the thread shown in the transcript.")
    assistant_id = Unicode("", help="Id of the assistant that `send` runs.")
    run_id = Unicode("", help="Id of the latest run started from the panel.")
    run_status = Unicode("", help="Status of that run, updated live while it streams.")
    live_text = Unicode("", help="The reply as it streams in.")
    status = Unicode("", help="One line about the last action, or the error it met.")
    has_older = Bool(False, help="True when the transcript has older messages not loaded yet.")
    backend = Unicode("auto", help="What a new thread is: 'auto', 'assistants' or 'conversations'.")
    kind = Unicode("", help="The backend in use: 'assistants' or 'conversations' (resolved from `backend`).")
    model = Unicode("", help="Model that answers a conversation.")
    instructions = Unicode("", help="Instructions a conversation's answers follow.")

    def __init__(self, client=None, assistant_id: str = "", backend: str = "auto", model: str = "",
                 instructions: str = "", **kwargs):
        if client is None:  # the magics' connection when the extension is loaded, else Client()
            from jupyter_api_kit.widgets.connection import default_client

            client = default_client()
        self.client = client
        self._messages: list = []  # loaded messages, oldest first
        self._labels: dict[str, str] = {}  # thread id -> its line in the thread list
        self._worker: threading.Thread | None = None
        self.steps_frame = None
        self._build()
        super().__init__(children=[widgets.HBox([self._threads_box, self._main_box]), self._status_label], **kwargs)
        self.add_class("jak-threads-panel")
        self.backend, self.instructions = backend, instructions
        self.kind = self._guard(resolve_backend, client, backend) or ""
        self.refresh()
        self.load_assistants()
        if assistant_id:
            self.assistant_id = assistant_id
        if model:
            self.model = model
        if self.kind:
            self.status = backend_line(self.kind, backend, client.base_url)

    # ---- widgets ------------------------------------------------------------------------------

    def _build(self) -> None:
        self._thread_list = widgets.Select(options=[], rows=12, layout=widgets.Layout(width="260px"))
        self._refresh_button = widgets.Button(description="Refresh", icon="refresh")
        self._new_button = widgets.Button(description="New thread", icon="plus")
        self._threads_box = widgets.VBox([widgets.HBox([self._refresh_button, self._new_button]), self._thread_list])
        self._older_button = widgets.Button(description="Older messages", disabled=True)
        # The transcript scrolls inside the panel, so a long thread does not push the composer away.
        self._transcript = widgets.HTML(layout=widgets.Layout(max_height="360px", overflow="auto"))
        self._assistants = widgets.Dropdown(options=[], description="assistant")
        self._instructions = widgets.Text(placeholder="instructions for the answers (optional)",
                                          description="instructions", layout=widgets.Layout(display="none"))
        self._composer = widgets.Textarea(placeholder="Write a message; Send adds it and runs the assistant",
                                          layout=widgets.Layout(width="100%", height="70px"))
        self._send_button = widgets.Button(description="Send & run", button_style="primary", icon="paper-plane")
        self._cancel_button = widgets.Button(description="Cancel run", icon="stop", disabled=True)
        self._run_label = widgets.HTML()
        self._steps = widgets.HTML()
        self._status_label = widgets.HTML()
        self._main_box = widgets.VBox([self._older_button, self._transcript, self._assistants, self._instructions,
                                       self._composer,
                                       widgets.HBox([self._send_button, self._cancel_button]), self._run_label,
                                       self._steps], layout=widgets.Layout(flex="1"))
        self._refresh_button.on_click(lambda _b: self.refresh())
        self._new_button.on_click(lambda _b: self.new_thread())
        self._older_button.on_click(lambda _b: self.load_older())
        self._send_button.on_click(lambda _b: self.send())
        self._cancel_button.on_click(lambda _b: self.cancel())
        self._thread_list.observe(lambda c: c["new"] and self.select(c["new"]), "value")
        self._assistants.observe(lambda c: setattr(self, "model" if self.kind == "conversations" else "assistant_id",
                                                   c["new"] or ""), "value")
        self._instructions.observe(lambda c: setattr(self, "instructions", c["new"]), "value")

    def _backend(self, thread_id: str | None = None):
        return backend_for(self.client, thread_id) if thread_id else threads_backend(self.client, self.kind)

    def _guard(self, action, *args):
        try:
            return action(*args)
        except JupyterAPIKitError as err:
            self.status = one_line(err)
            return None

    # ---- trait reactions ----------------------------------------------------------------------

    @observe("status")
    def _show_status(self, change) -> None:
        self._status_label.value = f"<span class='jak-status'>{html.escape(change['new'])}</span>"

    @observe("thread_ids")
    def _show_threads(self, change) -> None:
        self._thread_list.options = [(self._labels.get(i, i), i) for i in change["new"]]
        if self.selected_thread in change["new"]:
            self._thread_list.value = self.selected_thread

    @observe("kind")
    def _show_kind(self, change) -> None:
        conversations = change["new"] == "conversations"
        self._assistants.description = "model" if conversations else "assistant"
        self._instructions.layout.display = "" if conversations else "none"
        answer = "answers with the model" if conversations else "runs the assistant"
        self._composer.placeholder = f"Write a message; Send adds it and {answer}"

    @observe("instructions")
    def _show_instructions(self, change) -> None:
        self._instructions.value = change["new"]

    def _choose(self, value: str) -> None:
        """Show `value` chosen in the dropdown (added to it when the server did not list it)."""
        if not value:
            return
        if value not in [v for _, v in self._assistants.options]:
            self._assistants.options = [*self._assistants.options, (value, value)]
        self._assistants.value = value

    @observe("assistant_id")
    def _show_assistant(self, change) -> None:
        if self.kind != "conversations":
            self._choose(change["new"])

    @observe("model")
    def _show_model(self, change) -> None:
        if self.kind == "conversations":
            self._choose(change["new"])

    @observe("run_status", "run_id")
    def _show_run(self, _change) -> None:
        active = self.run_status in ("queued", "in_progress", "cancelling")
        self._cancel_button.disabled = not active
        self._send_button.disabled = active
        self._run_label.value = (f"<code>{html.escape(self.run_id)}</code> {html.escape(self.run_status)}"
                                 if self.run_id else "")

    @observe("live_text")
    def _show_live(self, _change) -> None:
        self._render_transcript()

    @observe("has_older")
    def _show_older(self, change) -> None:
        self._older_button.disabled = not change["new"]

    # ---- actions ------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload the known threads of both kinds (threads deleted on the server are dropped)."""
        known = self._guard(known_threads, self.client)
        if known is not None:
            # The list shows each thread's metadata after its id: that is how people tell threads apart.
            self._labels = {t["id"]: " ".join([t["id"], *(f"{k}={v}" for k, v in (t.get("metadata") or {}).items())])
                            for t in known}
            self.thread_ids = [t["id"] for t in known]
            self.status = f"{len(known)} known threads"

    def load_assistants(self) -> None:
        """Fill the dropdown: the server's assistants (one page), or its models for conversations."""
        if self.kind == "conversations":
            page = self._guard(lambda: self.client.models.list())
            if page is not None:
                self._assistants.options = [(m["id"], m["id"]) for m in page.data]
                self.model = self.model or (page.data[0]["id"] if page.data else "")
                self._choose(self.model)
            return
        page = self._guard(lambda: self.client.assistants.list(limit=100))
        if page is not None:
            self._assistants.options = [(f"{a.get('name') or a['id']} ({a['id']})", a["id"]) for a in page.data]
            self._choose(self.assistant_id)

    def new_thread(self, metadata: dict | None = None) -> str | None:
        """Create a thread (a conversation on the Conversations backend), list it and select it;
        returns its id."""
        thread = self._guard(lambda: self._backend().create(metadata))
        if thread is None:
            return None
        self._labels[thread["id"]] = " ".join([thread["id"], *(f"{k}={v}" for k, v in (metadata or {}).items())])
        self.thread_ids = [*self.thread_ids, thread["id"]]
        self.select(thread["id"])
        self.status = f"created {thread['id']}"
        return thread["id"]

    def select(self, thread_id: str) -> None:
        """Show a thread's latest messages."""
        if thread_id == self.selected_thread and self._messages:
            return
        self.selected_thread = thread_id
        self._thread_list.value = thread_id if thread_id in self.thread_ids else None
        self._messages = []
        self.live_text = ""
        self.load_older()

    def load_older(self) -> None:
        """Fetch the page of messages before the oldest one shown."""
        if not self.selected_thread:
            return
        after = self._messages[0]["id"] if self._messages else None
        page = self._guard(lambda: self._backend(self.selected_thread).messages(
            self.selected_thread, order="desc", limit=PAGE, after=after))
        if page is None:
            return
        self._messages = list(reversed(page.data)) + self._messages
        self.has_older = page.has_more
        self._render_transcript()

    def _render_transcript(self) -> None:
        turns = self.transcript
        if self.live_text:
            turns.append(("assistant", self.live_text + " ▌"))
        self._transcript.value = "".join(
            f"<p class='jak-turn jak-{html.escape(role or '')}'><b>{html.escape(role or '')}</b>: "
            f"{html.escape(text)}</p>" for role, text in turns) or "<p><i>no messages yet</i></p>"

    @property
    def transcript(self) -> list[tuple[str, str]]:
        """(role, text) of the messages shown, oldest first."""
        if not self.selected_thread:
            return []
        return type(self._backend(self.selected_thread)).turns(self._messages)

    def send(self, text: str | None = None, background: bool = True) -> None:
        """Add the composer's text (or `text`) as a user message and answer the thread (the
        assistant's run, or a response on a conversation); the reply streams into the transcript.
        With `background=False` it returns when the answer ends."""
        text = self._composer.value if text is None else text
        if not self.selected_thread:
            self.status = "pick or create a thread first"
            return
        backend = self._backend(self.selected_thread)
        if backend.kind == "assistants" and not self.assistant_id:
            self.status = "pick an assistant first"
            return
        if backend.kind == "conversations" and not self.model:
            self.status = "pick a model first"
            return
        if self._worker is not None and self._worker.is_alive():
            self.status = "a run is still going; wait for it or cancel it"
            return
        turn = self._guard(lambda: backend.stream(self.selected_thread, text if text.strip() else None,
                                                  assistant_id=self.assistant_id, model=self.model,
                                                  instructions=self.instructions))
        if turn is None:
            return
        self._composer.value = ""
        self.run_status = "queued"
        if background:
            self._worker = threading.Thread(target=self._follow, args=(backend, turn), daemon=True)
            self._worker.start()
        else:
            self._follow(backend, turn)

    def _follow(self, backend, turn) -> None:
        thread_id = self.selected_thread
        try:
            with turn:
                for kind, value in turn:
                    if kind == "status":
                        self.run_id, self.run_status = turn.id, value
                    else:
                        self.live_text += value
        except JupyterAPIKitError as err:
            self.status = one_line(err)
        result = turn.result
        if result is not None and result.get("status") in ACTIVE:
            # The stream ended before the answer did (a cancel): ask for where it stands.
            result = self._guard(backend.refresh, result, thread_id) or result
            self.run_status = result["status"]
        self.live_text = ""
        self._reload_after_run()
        if result is not None:
            what = "run" if backend.kind == "assistants" else "response"
            self.status = f"{what} {result['id']} {result['status']}"
            self._load_steps(backend, result, thread_id)

    def _reload_after_run(self) -> None:
        self._messages = []
        self.load_older()

    def _load_steps(self, backend, result, thread_id) -> None:
        frame = self._guard(backend.steps, result["id"], thread_id)
        if frame is None:
            return
        self.steps_frame = frame
        usage = result.get("usage") or {}
        summary = f"<p>run usage: {usage.get('total_tokens', 0)} tokens</p>" if usage else ""
        self._steps.value = summary + frame.to_html(index=False, columns=[c for c in STEP_COLUMNS if c in frame])

    def wait(self, timeout: float = 60.0) -> bool:
        """Block until the answer started by `send` has finished streaming; True if it did."""
        if self._worker is not None:
            self._worker.join(timeout)
            return not self._worker.is_alive()
        return True

    def cancel(self) -> None:
        """Cancel the answer in progress (a run, or a response)."""
        if not self.run_id or self.run_status not in ("queued", "in_progress", "requires_action"):
            self.status = "no run to cancel"
            return
        status = self._guard(self._backend(self.selected_thread).cancel, self.run_id, self.selected_thread)
        # The stream may have delivered the final 'cancelled' while the cancel call was answered:
        # a later 'cancelling' from that answer must not overwrite it.
        if status is not None and self.run_status in ("queued", "in_progress", "requires_action"):
            self.run_status = status
