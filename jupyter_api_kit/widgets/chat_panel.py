"""A chat in a panel: pick a model from the server's list, set the system prompt, temperature, seed and
max tokens, write a message and watch the answer stream into the transcript; turn on logprobs to see
the logprobs view of the latest answer; store answers with metadata; start a new conversation; take
the conversation away as a DataFrame.

Every button is a method (`refresh_models`, `send`, `stop`, `new_conversation`, `to_frame`), and
every control a trait, so a test or a cell can do what a click does. The answer streams in a
background thread, so the kernel stays free; `wait()` blocks until it is done. When the magics are
loaded the panel uses their connection: the same server, and the notebook's meter and budget.

Example:
    >>> from jupyter_api_kit.widgets import ChatPanel
    >>> panel = ChatPanel(client=client)
    >>> panel.system = "You answer briefly."; panel.seed = 1
    >>> panel.send("What is a comet?"), panel.wait()     # the answer streams in while the kernel is free
    (True, True)
    >>> panel.to_frame()["role"].tolist()
    ['system', 'user', 'assistant']
"""

from __future__ import annotations

import datetime as dt
import html
import threading
import time

import ipywidgets as widgets
from traitlets import Bool, Dict, Float, Int, List, TraitError, Unicode, observe, validate

from jupyter_api_kit.errors import JupyterAPIKitError
from jupyter_api_kit.widgets.threads_panel import one_line

CURSOR = "\u258c"


def parse_metadata(text: str) -> dict:
    """`"topic=space, level=2"` as a metadata dict; a malformed pair is a ValueError naming it.

    Example:
        >>> parse_metadata("topic=space, level=2"), parse_metadata("")
        ({'topic': 'space', 'level': '2'}, {})
    """
    pairs = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"metadata expects key=value pairs separated by commas, got {item!r}")
        pairs[key.strip()] = value.strip()
    return pairs


class ChatPanel(widgets.VBox):
    """Model picker, settings, transcript, composer, logprobs view and status in one panel.

    Args:
        client: a `jupyter_api_kit.client.Client` (default: the magics' connection when the extension is
            loaded, else `Client()`).
    """

    models = List(Unicode(), help="Model ids the server lists (`/v1/models`).")
    model = Unicode("", help="The model answers come from.")
    system = Unicode("", help="System prompt at the start of the conversation (empty: none).")
    temperature = Float(None, allow_none=True, help="Sampling temperature, 0 to 2 (None: the server's default).")
    seed = Int(None, allow_none=True, help="Seed for repeatable sampling (None: none).")
    max_tokens = Int(None, allow_none=True, help="Most tokens per answer (None: no limit).")
    logprobs = Bool(False, help="Ask for logprobs and show the logprobs view of the latest answer.")
    top_logprobs = Int(5, help="Alternatives per token in the logprobs view, 0 to 20.")
    store = Bool(False, help="Store each answer on the server, with `metadata`.")
    metadata = Dict(Unicode(), help="Metadata stored with each answer (when `store`).")
    messages = List(Dict(), help="The conversation: user and assistant turns, oldest first (system prompt apart).")
    live_text = Unicode("", help="The answer as it streams in.")
    busy = Bool(False, help="True while an answer is streaming.")
    status = Unicode("", help="One line about the last action, or the error it met.")

    def __init__(self, client=None, **kwargs):
        from jupyter_api_kit.widgets.connection import shared_connection

        self._connection = shared_connection() if client is None else None
        if client is None and self._connection is None:
            from jupyter_api_kit.client import Client

            client = Client()
        self._client = client
        if self._connection is None:
            from jupyter_api_kit.magics.history import CallLog

            self._history = CallLog()
        self._worker: threading.Thread | None = None
        self._stop = threading.Event()
        self.last_answer = None
        self._build()
        super().__init__(children=[self._settings, self._system_box, self._transcript, self._logprobs_box,
                                   self._composer_row, self._status_label], **kwargs)
        self.add_class("jak-chat-panel")
        self.refresh_models()
        self._render()

    # ---- where it talks ---------------------------------------------------------------------------

    @property
    def client(self):
        """The client answers come from (the magics' current one when the panel shares their connection)."""
        return self._connection.client if self._connection is not None else self._client

    @property
    def history(self):
        """The call log this panel adds to: the notebook's (`%chat history`) when shared, else its own."""
        return self._connection.history if self._connection is not None else self._history

    # ---- widgets ----------------------------------------------------------------------------------

    def _build(self) -> None:
        narrow = widgets.Layout(width="170px")
        self._model_box = widgets.Dropdown(options=[], description="model", layout=widgets.Layout(width="260px"))
        self._temperature_box = widgets.Text(placeholder="default", description="temperature", layout=narrow)
        self._seed_box = widgets.Text(placeholder="none", description="seed", layout=narrow)
        self._max_tokens_box = widgets.Text(placeholder="no limit", description="max tokens", layout=narrow)
        self._logprobs_toggle = widgets.ToggleButton(description="logprobs", icon="bar-chart")
        self._store_toggle = widgets.ToggleButton(description="store", icon="database")
        self._metadata_box = widgets.Text(placeholder="key=value, key=value", description="metadata")
        self._new_button = widgets.Button(description="New conversation", icon="plus")
        self._settings = widgets.VBox([
            widgets.HBox([self._model_box, self._temperature_box, self._seed_box, self._max_tokens_box]),
            widgets.HBox([self._logprobs_toggle, self._store_toggle, self._metadata_box, self._new_button])])
        self._system_box = widgets.Textarea(placeholder="System prompt (optional)", layout=widgets.Layout(
            width="100%", height="48px"))
        self._transcript = widgets.HTML(layout=widgets.Layout(max_height="380px", overflow="auto"))
        self._transcript.add_class("jak-chat-transcript")
        self._logprobs_box = widgets.HTML()
        self._logprobs_box.add_class("jak-chat-logprobs")
        self._composer = widgets.Textarea(placeholder="Write a message; Send streams the answer above",
                                          layout=widgets.Layout(width="100%", height="64px"))
        self._composer.add_class("jak-chat-composer")
        self._send_button = widgets.Button(description="Send", button_style="primary", icon="paper-plane")
        self._send_button.add_class("jak-chat-send")
        self._stop_button = widgets.Button(description="Stop", icon="stop", disabled=True)
        self._composer_row = widgets.VBox([self._composer, widgets.HBox([self._send_button, self._stop_button])])
        self._status_label = widgets.HTML()
        self._send_button.on_click(lambda _b: self.send())
        self._stop_button.on_click(lambda _b: self.stop())
        self._new_button.on_click(lambda _b: self.new_conversation())
        self._model_box.observe(lambda c: c["new"] and setattr(self, "model", c["new"]), "value")
        self._system_box.observe(lambda c: setattr(self, "system", c["new"]), "value")
        self._logprobs_toggle.observe(lambda c: setattr(self, "logprobs", c["new"]), "value")
        self._store_toggle.observe(lambda c: setattr(self, "store", c["new"]), "value")
        for box, name, kind in ((self._temperature_box, "temperature", float), (self._seed_box, "seed", int),
                                (self._max_tokens_box, "max_tokens", int)):
            box.observe(lambda c, name=name, kind=kind: self._typed(name, kind, c["new"]), "value")
        self._metadata_box.observe(lambda c: self._typed_metadata(c["new"]), "value")

    def _typed(self, name: str, kind, text: str) -> None:
        try:
            setattr(self, name, kind(text) if text.strip() else None)
        except (ValueError, TraitError) as err:
            self.status = f"{name}: {err}" if isinstance(err, TraitError) else f"{name} must be a number, got {text!r}"

    def _typed_metadata(self, text: str) -> None:
        try:
            self.metadata = parse_metadata(text)
        except ValueError as err:
            self.status = str(err)

    # ---- trait checks and reactions ---------------------------------------------------------------

    @validate("temperature")
    def _check_temperature(self, proposal):
        value = proposal["value"]
        if value is not None and not 0 <= value <= 2:
            raise TraitError(f"temperature must be between 0 and 2, got {value}")
        return value

    @validate("max_tokens")
    def _check_max_tokens(self, proposal):
        value = proposal["value"]
        if value is not None and value < 1:
            raise TraitError(f"max_tokens must be at least 1, got {value}")
        return value

    @validate("top_logprobs")
    def _check_top_logprobs(self, proposal):
        if not 0 <= proposal["value"] <= 20:
            raise TraitError(f"top_logprobs must be between 0 and 20, got {proposal['value']}")
        return proposal["value"]

    @validate("metadata")
    def _check_metadata(self, proposal):
        from jupyter_api_kit.client.validation import metadata_problem

        problem = metadata_problem(proposal["value"])
        if problem:
            raise TraitError(problem)
        return proposal["value"]

    @observe("models")
    def _show_models(self, change) -> None:
        self._model_box.options = list(change["new"])
        if self.model in change["new"]:
            self._model_box.value = self.model

    @observe("model")
    def _show_model(self, change) -> None:
        if change["new"] and change["new"] not in self._model_box.options:
            self._model_box.options = [*self._model_box.options, change["new"]]
        self._model_box.value = change["new"] or None

    @observe("system")
    def _show_system(self, change) -> None:
        self._system_box.value = change["new"]

    @observe("logprobs", "store")
    def _show_toggles(self, _change) -> None:
        self._logprobs_toggle.value, self._store_toggle.value = self.logprobs, self.store
        if not self.logprobs:
            self._logprobs_box.value = ""

    @observe("status")
    def _show_status(self, change) -> None:
        self._status_label.value = f"<span class='jak-status'>{html.escape(change['new'])}</span>"

    @observe("busy")
    def _show_busy(self, change) -> None:
        self._send_button.disabled = change["new"]
        self._stop_button.disabled = not change["new"]

    @observe("messages", "live_text", "busy")
    def _show_transcript(self, _change) -> None:
        self._render()

    def _render(self) -> None:
        turns = [(m["role"], m["content"]) for m in self.messages]
        if self.busy or self.live_text:
            turns.append(("assistant", self.live_text + CURSOR))
        self._transcript.value = "".join(
            f"<div class='jak-turn jak-{html.escape(role)}' style='margin:4px 0'><b>{html.escape(role)}</b>: "
            f"<span style='white-space:pre-wrap'>{html.escape(text)}</span></div>" for role, text in turns
        ) or "<p><i>no messages yet</i></p>"

    # ---- actions ----------------------------------------------------------------------------------

    def refresh_models(self) -> None:
        """Fill the model picker from the server's `/v1/models`; keep the chosen model, else take the
        magics' default (local-ngram locally) or the first listed."""
        try:
            listed = sorted(m["id"] for m in self.client.models.list().data)
        except JupyterAPIKitError as err:
            self.status = one_line(err)
            return
        self.models = listed
        if not self.model:
            from jupyter_api_kit.magics.common import LOCAL_MODEL, OPENAI_MODEL

            preferred = [m for m in (OPENAI_MODEL, LOCAL_MODEL) if m in listed]
            self.model = preferred[0] if preferred else (listed[0] if listed else "")
        self.status = f"{len(listed)} models"

    def new_conversation(self) -> None:
        """Forget the conversation (the settings stay)."""
        if self.busy:
            self.status = "an answer is still streaming; stop it first"
            return
        self.messages = []
        self.live_text = ""
        self.last_answer = None
        self._logprobs_box.value = ""
        self.status = "new conversation"

    def request(self, text: str) -> dict:
        """The Chat Completions body `send(text)` would post: the settings, the conversation and `text`.

        Example:
            >>> panel = ChatPanel(client=client)
            >>> panel.system = "Be brief."; panel.seed = 4; panel.request("Hi")["messages"][0]
            {'role': 'system', 'content': 'Be brief.'}
        """
        messages = ([{"role": "system", "content": self.system}] if self.system.strip() else []) + [
            {"role": m["role"], "content": m["content"]} for m in self.messages] + [{"role": "user", "content": text}]
        body = {"model": self.model, "messages": messages, "temperature": self.temperature, "seed": self.seed,
                "max_completion_tokens": self.max_tokens}
        if self.logprobs:
            body.update(logprobs=True, top_logprobs=self.top_logprobs)
        if self.store:
            body.update(store=True, metadata=dict(self.metadata) or None)
        return {k: v for k, v in body.items() if v is not None}

    def send(self, text: str | None = None, background: bool = True) -> bool:
        """Send the composer's text (or `text`) as the next user message; the answer streams into the
        transcript. Returns False (with the reason in `status`) when nothing was sent. With
        `background=False` it returns when the answer is complete."""
        text = (self._composer.value if text is None else text).strip()
        problem = ("write a message first" if not text else "an answer is still streaming" if self.busy
                   else "pick a model first" if not self.model else self._budget_problem())
        if problem:
            self.status = problem
            return False
        body = self.request(text)
        try:
            stream = self.client.chat.completions.create(**body, stream=True, stream_options={"include_usage": True})
        except JupyterAPIKitError as err:
            self.status = one_line(err)
            return False
        self._composer.value = ""
        self._stop.clear()
        self.messages = [*self.messages, {"role": "user", "content": text}]
        self.busy, self.status = True, f"asking {self.model}..."
        if background:
            self._worker = threading.Thread(target=self._follow, args=(stream, body), daemon=True)
            self._worker.start()
        else:
            self._follow(stream, body)
        return True

    def _budget_problem(self) -> str:
        from jupyter_api_kit.frames.readable import money

        budget, spent = getattr(self._connection, "budget_usd", None), self.history.spent_usd()
        if budget is not None and spent >= budget:
            return f"budget reached: the notebook has spent {money([spent])[0]} of its {money([budget])[0]}"
        return ""

    def _follow(self, stream, body: dict) -> None:
        from jupyter_api_kit.client.streaming import ChunkAssembler

        assembler, started = ChunkAssembler(), time.perf_counter()
        try:
            with stream:
                for chunk in stream:
                    assembler.add(chunk)
                    piece = "".join((p.get("delta") or {}).get("content") or "" for p in chunk.get("choices") or ()
                                    if p.get("index", 0) == 0)
                    if piece:
                        self.live_text += piece
                    if self._stop.is_set():
                        break
        except JupyterAPIKitError as err:
            self.status = one_line(err)
        self._finish(assembler.completion(request_id=stream.request_id), body, time.perf_counter() - started)

    def _finish(self, answer, body: dict, latency: float) -> None:
        from jupyter_api_kit.magics.history import cost_usd, usage_counts

        text = (answer["choices"][0]["message"]["content"] or "") if answer.get("choices") else self.live_text
        cost = cost_usd(answer.get("model") or body["model"], answer.get("usage"),
                        local=getattr(self.client, "uses_local_server", False))
        prompt, _cached, completion = usage_counts(answer.get("usage"))
        self.history.add({"time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "cell": None,
                          "api": "chat.completions", "model": answer.get("model"), "prompt_tokens": prompt,
                          "completion_tokens": completion, "latency_s": round(latency, 3), "cost_usd": cost,
                          "replayed": False, "source": "chat panel", "request_id": answer.request_id,
                          "id": answer.get("id")})
        self.last_answer = answer
        self.messages = [*self.messages, {"role": "assistant", "content": text, "id": answer.get("id"),
                                          "model": answer.get("model"), "prompt_tokens": prompt,
                                          "completion_tokens": completion, "cost_usd": cost}]
        self.live_text = ""
        if self.logprobs:
            from jupyter_api_kit.frames.logprobs_view import logprobs_view

            self._logprobs_box.value = logprobs_view(answer).html
        stored = f" · stored as {answer.get('id')}" if body.get("store") else ""
        stopped = " · stopped" if self._stop.is_set() else ""
        self.busy = False
        self.status = f"{answer.get('model')} · {prompt} prompt + {completion} completion tokens{stored}{stopped}"

    def stop(self) -> None:
        """Stop the answer that is streaming; what arrived is kept as the answer."""
        if not self.busy:
            self.status = "nothing to stop"
            return
        self._stop.set()

    def wait(self, timeout: float = 60.0) -> bool:
        """Block until the answer started by `send` is complete; True if it is."""
        if self._worker is not None:
            self._worker.join(timeout)
            return not self._worker.is_alive()
        return True

    def to_frame(self):
        """The conversation as a DataFrame, one row per turn: `role`, `content` (shown wide), `model`,
        `prompt_tokens`, `completion_tokens`, `cost_usd` (shown as money) and `id` (answers only); the
        system prompt, if any, is the first row."""
        import pandas as pd

        from jupyter_api_kit.frames.readable import readable

        columns = ["role", "content", "model", "prompt_tokens", "completion_tokens", "cost_usd", "id"]
        rows = ([{"role": "system", "content": self.system}] if self.system.strip() else []) + list(self.messages)
        frame = pd.DataFrame({name: pd.Series([r.get(name) for r in rows], dtype=object) for name in columns})
        for name in ("prompt_tokens", "completion_tokens"):
            frame[name] = pd.Series([r.get(name) for r in rows], dtype="Int64")
        frame["cost_usd"] = pd.Series([r.get("cost_usd") for r in rows], dtype="float64")
        return readable(frame, money=["cost_usd"], text=["content"])
