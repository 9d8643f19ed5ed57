"""`%threads` and `%assistants`: conversation threads from a notebook, over either backend.

Where the server has the Assistants API (the local server, older compatible servers) threads are
Assistants threads answered by runs; where it does not (OpenAI since 2026-08-26) they are
Conversations answered by Responses. `%config ThreadsMagics.backend` is `auto` (ask the server
once), `assistants` or `conversations`; the first command prints one line saying which is used. The
commands are the same either way, and a thread's id says its kind (`thread_...`, `conv_...`).

Example (in a notebook)::

    %assistants create --name Tutor --instructions "You explain astronomy simply."
    %threads new --metadata lesson=3          # a new thread, now the current one
    %%threads say
    What is a comet made of?
    %threads run --stream                     # the reply streams in
    %threads show                             # transcript and messages DataFrame
    %threads steps last                       # the last answer's steps and their usage
    %threads                                  # the threads this notebook knows, as a DataFrame
"""

from __future__ import annotations

import html

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments
from traitlets import Bool, Float, Int, TraitError, Unicode, validate
from traitlets.config.configurable import Configurable

from jupyter_api_kit.magics.common import (Connection, check_output_name, checked_metadata, interpolate,
                                           parse_options, parse_pairs, range_problem, register_magics, shown_errors)

THREAD_ACTIONS = ("list", "new", "use", "show", "say", "run", "runs", "steps", "delete")
THREADS_USAGE = ("%threads [list] | new [--metadata k=v] | use ID | show [ID] | %%threads say [ID] | "
                 "run [ID] [--assistant ID] [--stream] | runs [ID] | steps RUN_ID|last | delete ID")
ASSISTANT_ACTIONS = ("list", "create", "show", "delete")
ASSISTANTS_USAGE = "%assistants [list] | create --name N [--model M] [--instructions TEXT] | show ID | delete ID"


class ThreadView:
    """A thread's messages (or a conversation's items): a readable transcript above their DataFrame
    (`.frame`, `.text`)."""

    def __init__(self, thread_id: str, messages: list, backend=None):
        from jupyter_api_kit.client.thread_backends import AssistantsThreads, ConversationThreads, kind_of

        if backend is None:  # only its static converters are used
            backend = ConversationThreads if kind_of(thread_id) == "conversations" else AssistantsThreads
        self.thread_id = thread_id
        self.frame = backend.frame(messages)
        self.turns = backend.turns(messages)
        self.text = "\n\n".join(f"{role}: {text}" for role, text in self.turns)

    def _repr_html_(self) -> str:
        turns = "".join(f"<p><b>{html.escape(role or '')}</b>: {html.escape(text)}</p>" for role, text in self.turns)
        return (f"<div class='jak-thread'><p><code>{html.escape(self.thread_id)}</code></p>{turns or '<p>(empty)</p>'}"
                f"</div>{self.frame._repr_html_()}")

    def __repr__(self) -> str:
        return f"{self.thread_id}\n\n{self.text or '(empty)'}"


def run_line(run) -> str:
    """One line about a run or a response: status, tokens, and what it waits for.

    Example:
        >>> run_line({"id": "run_1", "status": "completed", "usage": {"prompt_tokens": 3, "completion_tokens": 4,
        ...           "total_tokens": 7}})
        'run_1 completed · 3 prompt + 4 completion = 7 tokens'
    """
    from jupyter_api_kit.client.thread_backends import AssistantsThreads, ConversationThreads

    is_response = str(run.get("id", "")).startswith("resp") or run.get("object") == "response"
    return (ConversationThreads if is_response else AssistantsThreads).summary(run)


@magics_class
class ThreadsMagics(Magics, Configurable):
    """`%threads`, `%%threads` and `%assistants` (`%config ThreadsMagics` lists the settings)."""

    backend = Unicode("auto", help="What a new thread is: 'auto' (Assistants threads where the server has them, "
                                   "else Conversations + Responses), 'assistants' or 'conversations'.").tag(config=True)
    assistant = Unicode("", help="Assistant id `%threads run` uses without --assistant (set by "
                                 "`%assistants create`).").tag(config=True)
    model = Unicode("", help="Model that answers a conversation (default: the connection's default model; "
                             "`%assistants create` sets it where there are no assistants).").tag(config=True)
    instructions = Unicode("", help="Instructions a conversation's answers follow (`%assistants create` sets "
                                    "them where there are no assistants).").tag(config=True)
    stream = Bool(True, help="Stream `%threads run` replies as they are written (--stream/--no-stream "
                             "override).").tag(config=True)
    timeout = Float(120.0, help="Seconds `%threads run` waits for a run before giving up.").tag(config=True)
    limit = Int(100, help="How many messages `%threads show` reads (1 to 100).").tag(config=True)
    #: the thread `say`, `run`, `show` and `runs` use without an ID (set by `new` and `use`)
    current = Unicode("", help="The current thread id.")

    @validate("limit")
    def _check_limit(self, proposal):
        problem = range_problem("ThreadsMagics.limit", proposal["value"], 1, 100)
        if problem:
            raise TraitError(problem)
        return proposal["value"]

    @validate("timeout")
    def _check_timeout(self, proposal):
        if proposal["value"] <= 0:
            raise TraitError(f"ThreadsMagics.timeout must be positive, got {proposal['value']}")
        return proposal["value"]

    @validate("backend")
    def _check_backend(self, proposal):
        from jupyter_api_kit.client.thread_backends import BACKENDS

        if proposal["value"] not in BACKENDS:
            raise TraitError(f"ThreadsMagics.backend must be one of {', '.join(BACKENDS)}, got {proposal['value']!r}")
        return proposal["value"]

    def __init__(self, shell=None, connection: Connection | None = None, **kwargs):
        self.connection = connection or Connection()
        super().__init__(shell, **kwargs)
        self.last_run = None  # (run or response, thread id) of the latest `run`
        self._announced = None  # (base URL, setting) the backend line was shown for

    @property
    def client(self):
        """The client of the shared connection (the same one `%%chat` uses).

        Example:
            >>> magics = ThreadsMagics(shell=None)
            >>> magics.client is magics.connection.client
            True
        """
        return self.connection.client

    def resolved_backend(self) -> str:
        """`assistants` or `conversations`: what `%threads new` makes here. The first time for a server
        (or a setting), one line says which and why.

        Example:
            >>> ThreadsMagics(shell=None, backend="conversations").resolved_backend()
            Threads use Conversations + Responses (new threads are conv_...), as the backend setting asks ...
            'conversations'
        """
        from jupyter_api_kit.client.thread_backends import backend_line, resolve_backend

        kind = resolve_backend(self.client, self.backend)
        if self._announced != (self.client.base_url, self.backend):
            self._announced = (self.client.base_url, self.backend)
            print(backend_line(kind, self.backend, self.client.base_url))
        return kind

    def _backend(self, thread_id: str | None = None):
        from jupyter_api_kit.client.thread_backends import kind_of, threads_backend

        kind = self.resolved_backend()  # announced before the first command does anything
        return threads_backend(self.client, kind_of(thread_id) if thread_id else kind)

    # ---- %threads -----------------------------------------------------------------------------

    @magic_arguments()
    @argument("action", nargs="?", default="list", help=", ".join(THREAD_ACTIONS))
    @argument("args", nargs="*", help="a thread id (run id for steps)")
    @argument("--metadata", action="append", metavar="KEY=VALUE", help="metadata of a new thread (repeatable)")
    @argument("--assistant", help="assistant id for run (default: ThreadsMagics.assistant)")
    @argument("--stream", action="store_true", default=None, help="stream the reply")
    @argument("--no-stream", dest="stream", action="store_false", help="wait for the reply, then show it")
    @argument("-o", "--output", help="store the result in this variable")
    @line_cell_magic
    def threads(self, line: str, cell: str | None = None):
        """Threads: list the known ones, create, pick, read, add a message, answer it.

        Example::

            %threads new
            %%threads say
            Why is the sky blue?
            %threads run
        """
        args = parse_options(self.threads, line)
        output = check_output_name(args.output)
        if args.action not in THREAD_ACTIONS:
            raise UsageError(f"unknown action {args.action!r}; use {THREADS_USAGE}")
        text = interpolate(cell, self.shell.user_ns).strip() if cell is not None else ""
        if cell is not None and args.action not in ("say", "run"):
            raise UsageError(f"%%threads {args.action} takes no cell text; only say and run do")
        if len(args.args) > 1:
            raise UsageError(f"%threads {args.action} takes at most one ID; use {THREADS_USAGE}")
        target = args.args[0] if args.args else None
        with shown_errors():
            result = self._dispatch(args, target, text)
        if output:
            self.shell.user_ns[output] = result
        # Tables and transcripts are the output; new/use/run/delete have printed their one line,
        # and their object is kept with -o rather than shown as a wall of JSON.
        return None if args.action in ("new", "use", "run", "delete") else result

    def _dispatch(self, args, target, text):
        action = args.action
        if action == "list":
            return self.known()
        if action == "new":
            return self.new(checked_metadata(parse_pairs(args.metadata)) if args.metadata else None)
        if action == "steps":
            if not target:
                raise UsageError("%threads steps needs a RUN_ID (or 'last')")
            return self.steps(target)
        if action in ("use", "delete") and not target:
            raise UsageError(f"%threads {action} needs a thread ID")
        if action == "use":
            return self.use(target)
        if action == "delete":
            return self.delete(target)
        thread_id = self._thread(target)
        if action == "show":
            return self.show(thread_id)
        if action == "runs":
            return self._backend(thread_id).runs(thread_id)
        if action == "say":
            if not text:
                raise UsageError("%%threads say needs the message as the cell's text")
            return self.say(thread_id, text)
        stream = self.stream if args.stream is None else args.stream
        return self.run(thread_id, args.assistant or self.assistant, text or None, stream)

    def _thread(self, thread_id: str | None) -> str:
        if thread_id:
            return thread_id
        if not self.current:
            raise UsageError("no current thread: create one with `%threads new` or pick one with `%threads use ID`")
        return self.current

    def known(self):
        """The remembered threads of this server, both kinds, as a DataFrame (deleted ones are dropped)."""
        from jupyter_api_kit import frames
        from jupyter_api_kit.client.thread_backends import known_threads

        self.resolved_backend()
        threads = known_threads(self.client)
        frame = frames.to_frame([{k: v for k, v in t.items() if k not in ("object", "tool_resources")}
                                 for t in threads])
        if frame.empty:
            frame = frame.reindex(columns=["id", "kind", "created_at"])
        frame.insert(1, "current", [i == self.current for i in frame["id"]])
        return frame

    def new(self, metadata: dict | None = None):
        """Create a thread (of the resolved backend's kind) and make it current."""
        thread = self._backend().create(metadata)
        self.current = thread["id"]
        print(f"{thread['id']} created; it is now the current thread")
        return thread

    def use(self, thread_id: str):
        """Make an existing thread current (and remember it)."""
        thread = self._backend(thread_id).remember(thread_id)
        self.current = thread["id"]
        print(f"{thread['id']} is now the current thread")
        return thread

    def delete(self, thread_id: str):
        """Delete a thread on the server (and forget it); the current thread is unset if it was this one.

        Example:
            >>> magics = ThreadsMagics(shell=None, backend="conversations")
            >>> thread = magics.new()
            Threads use Conversations + Responses ...
            conv_... created; it is now the current thread
            >>> magics.delete(thread.id).deleted
            conv_... deleted
            True
            >>> magics.current
            ''
        """
        result = self._backend(thread_id).delete(thread_id)
        print(f"{thread_id} deleted")
        if self.current == thread_id:
            self.current = ""
        return result

    def show(self, thread_id: str) -> ThreadView:
        """The thread's messages, oldest first, as a transcript and a DataFrame."""
        backend = self._backend(thread_id)
        return ThreadView(thread_id, list(backend.messages(thread_id, order="asc", limit=self.limit).data), backend)

    def say(self, thread_id: str, text: str):
        """Add a user message; its row as a DataFrame."""
        backend = self._backend(thread_id)
        return backend.frame([backend.say(thread_id, text)])

    def run(self, thread_id: str, assistant_id: str, text: str | None, stream: bool):
        """Answer the thread (with the cell's text as a new user message, if any): a run of the
        assistant on an Assistants thread, a response on a conversation."""
        from IPython.display import Markdown, display

        backend = self._backend(thread_id)
        if backend.kind == "assistants" and not assistant_id:
            raise UsageError("no assistant: pass --assistant ID, create one with `%assistants create`, or set "
                             "%config ThreadsMagics.assistant = 'asst_...'")
        settings = {"assistant_id": assistant_id, "model": self.model or self.connection.default_model(),
                    "instructions": self.instructions}
        if stream:
            from jupyter_api_kit.magics.display import LiveAnswer

            live = LiveAnswer()
            live.start()
            turn = backend.stream(thread_id, text, **settings)
            try:
                with turn:
                    for kind, piece in turn:
                        if kind == "text":
                            live.add(0, piece)
            finally:
                live.finish([turn.text] if turn.text else None)
            run = turn.result
        else:
            run, texts = backend.answer(thread_id, text, timeout=self.timeout, **settings)
            if any(texts):
                display(Markdown("\n\n".join(t for t in texts if t)))
        self.last_run = (run, thread_id)
        print(run_line(run))
        return run

    def steps(self, run_id: str):
        """A run's steps (or a response's output items), oldest first, with their usage, as a DataFrame."""
        if run_id == "last":
            if self.last_run is None:
                raise UsageError("no %threads run yet in this session, so 'last' names nothing")
            run_id, thread_id = self.last_run[0]["id"], self.last_run[1]
        else:
            thread_id = self._thread(None)
        return self._backend(thread_id).steps(run_id, thread_id)

    # ---- %assistants --------------------------------------------------------------------------

    @magic_arguments()
    @argument("action", nargs="?", default="list", help=", ".join(ASSISTANT_ACTIONS))
    @argument("args", nargs="*", help="an assistant id")
    @argument("--name", help="name of a new assistant")
    @argument("--model", help="model of a new assistant (default: local-ngram locally)")
    @argument("--instructions", help="instructions of a new assistant")
    @argument("--metadata", action="append", metavar="KEY=VALUE", help="metadata of a new assistant (repeatable)")
    @argument("-o", "--output", help="store the result in this variable")
    @line_magic
    def assistants(self, line: str):
        """Assistants: list, create, show, delete.

        Example::

            %assistants create --name Tutor --instructions "Explain simply."
            %assistants
        """
        args = parse_options(self.assistants, line)
        output = check_output_name(args.output)
        if args.action not in ASSISTANT_ACTIONS:
            raise UsageError(f"unknown action {args.action!r}; use {ASSISTANTS_USAGE}")
        if args.action in ("show", "delete") and len(args.args) != 1:
            raise UsageError(f"%assistants {args.action} needs one assistant ID")
        if args.action in ("list", "create") and args.args:
            raise UsageError(f"unexpected {' '.join(args.args)!r}; use {ASSISTANTS_USAGE}")
        metadata = checked_metadata(parse_pairs(args.metadata)) if args.metadata else None
        with shown_errors():
            api = self.client.assistants
            if args.action == "list":
                result = assistants_frame(api.list(limit=100).data)
            elif args.action == "create":
                result = self._create_assistant(args, metadata)
            elif args.action == "show":
                result = api.retrieve(args.args[0])
            else:
                result = api.delete(args.args[0])
                print(f"{args.args[0]} deleted")
                if self.assistant == args.args[0]:
                    self.assistant = ""
        if output:
            self.shell.user_ns[output] = result
        return None if args.action in ("create", "delete") else result

    def _create_assistant(self, args, metadata):
        """Create an assistant for `%threads run`; where the server has no Assistants API, its model
        and instructions are kept as the settings conversations are answered with instead."""
        from jupyter_api_kit.errors import AssistantsUnavailableError

        model = args.model or self.connection.default_model()
        try:
            result = self.client.assistants.create(model=model, name=args.name, instructions=args.instructions,
                                                   metadata=metadata)
        except AssistantsUnavailableError:
            self.assistant, self.model, self.instructions = "", model, args.instructions or ""
            print(f"No Assistants API here: `%threads run` answers conversations with {model}"
                  f"{' and these instructions' if args.instructions else ''} (ThreadsMagics.model, .instructions).")
            return {"name": args.name, "model": model, "instructions": args.instructions, "metadata": metadata or {}}
        self.assistant = result["id"]
        print(f"{result['id']} created; `%threads run` now uses it")
        return result


def assistants_frame(items):
    """Assistants as a DataFrame: id, name, model, instructions, tool names, created_at, metadata columns.

    Example:
        >>> assistants_frame([{"id": "asst_1", "name": "T", "model": "m", "instructions": "i", "created_at": 0,
        ...     "tools": [{"type": "function", "function": {"name": "f"}}], "metadata": {}}])["tools"].tolist()
        [['f']]
    """
    from jupyter_api_kit import frames

    items = list(items)
    full = frames.to_frame(items)
    columns = [c for c in ("id", "name", "model", "instructions", "created_at") if c in full.columns]
    frame = full[columns].copy()
    frame["tools"] = [[t.get("function", {}).get("name", t.get("type")) for t in i.get("tools") or []] for i in items]
    for name in [c for c in full.columns if c.startswith("metadata.")]:
        frame[name] = full[name]
    return frame


def register(ipython, connection: Connection) -> None:
    """Register `%threads`/`%assistants` on a shell (one instance: a reload replaces the old one)."""
    register_magics(ipython, ThreadsMagics, connection)
