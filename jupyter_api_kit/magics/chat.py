"""`%%chat`: talk to a model from a cell, the answer streaming in as it arrives.

The conversation continues from cell to cell (the magic keeps the messages, the system prompt
included) until `--new`. `{name}` in the cell is filled from the notebook's variables.

Example (in a notebook)::

    %load_ext jupyter_api_kit
    %%chat -s "You answer briefly."
    What is a planet?

    %%chat --logprobs --top-logprobs 5 -o answer
    And a moon?

    %config ChatMagics.temperature = 0.7
    %config ChatMagics.cache = "replay"      # reruns answer from the replay file: same ids and answers
    %config ChatMagics.budget_usd = 0.50     # refuse further calls once the notebook has spent this
    %chat history --plot                     # this kernel's calls: tokens, latency, cost
"""

from __future__ import annotations

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments
from traitlets import Bool, Float, Int, TraitError, Unicode, observe, validate
from traitlets.config.configurable import Configurable

from jupyter_api_kit.client.replay import MODES as CACHE_MODES
from jupyter_api_kit.magics.answer import CHAT, get_answer
from jupyter_api_kit.magics.common import (Connection, check_output_name, check_ranges, checked_metadata,
                                           interpolate, parse_options, parse_pairs, range_problem,
                                           shown_errors)

# (option, low, high): the API's documented ranges, checked for traits and options alike.
RANGES = {"temperature": (0, 2), "top_p": (0, 1), "max_tokens": (1, None), "n": (1, 128),
          "top_logprobs": (0, 20)}


def _range_trait(change_name: str):
    """A traitlets validator enforcing RANGES[name], with a one-line error."""

    def check(self, proposal):
        problem = range_problem(f"ChatMagics.{change_name}", proposal["value"], *RANGES[change_name])
        if problem:
            raise TraitError(problem)
        return proposal["value"]

    return validate(change_name)(check)


@magics_class
class ChatMagics(Magics, Configurable):
    """`%%chat` and its settings (`%config ChatMagics` lists them)."""

    model = Unicode("", help="Model for %%chat. Empty: local-ngram, or gpt-4o-mini on the real API.").tag(config=True)
    system = Unicode("", help="System prompt that starts every new conversation (-s overrides).").tag(config=True)
    temperature = Float(None, allow_none=True, help="Sampling temperature, 0 to 2 (None: the server's default)."
                        ).tag(config=True)
    top_p = Float(None, allow_none=True, help="Nucleus sampling mass, 0 to 1 (None: the server's default)."
                  ).tag(config=True)
    max_tokens = Int(None, allow_none=True, help="Most tokens per answer (max_completion_tokens; None: no limit)."
                     ).tag(config=True)
    stream = Bool(True, help="Stream answers into the output as they arrive.").tag(config=True)
    store = Bool(False, help="Store every completion on the server (--store/--no-store override).").tag(config=True)
    show_usage = Bool(True, help="Show the model and token counts under each answer.").tag(config=True)
    update_interval = Float(0.1, help="Seconds between live updates of a streaming answer.").tag(config=True)
    base_url = Unicode("", help="Server for %%chat and %completions. Empty: OPENAI_BASE_URL, else the real API "
                                "when OPENAI_API_KEY is set, else the embedded local server.").tag(config=True)
    cache = Unicode("off", help="Replay cache: 'replay' answers a request seen before from the replay file (same "
                                "ids and answers on a rerun), 'record' always asks and refreshes it, 'off' neither "
                                "(--cache overrides).").tag(config=True)
    budget_usd = Float(None, allow_none=True, help="Refuse further calls once the notebook has spent this many US "
                                                   "dollars (None: no budget).").tag(config=True)

    _check_temperature = _range_trait("temperature")
    _check_top_p = _range_trait("top_p")
    _check_max_tokens = _range_trait("max_tokens")

    @validate("update_interval")
    def _check_update_interval(self, proposal):
        if proposal["value"] < 0:
            raise TraitError(f"ChatMagics.update_interval must be at least 0, got {proposal['value']}")
        return proposal["value"]

    @validate("cache")
    def _check_cache(self, proposal):
        if proposal["value"] not in CACHE_MODES:
            raise TraitError(f"ChatMagics.cache must be one of {', '.join(CACHE_MODES)}, got {proposal['value']!r}")
        return proposal["value"]

    @validate("budget_usd")
    def _check_budget(self, proposal):
        problem = range_problem("ChatMagics.budget_usd", proposal["value"], 0)
        if problem:
            raise TraitError(problem)
        return proposal["value"]

    @observe("base_url")
    def _base_url_changed(self, change):
        self.connection.base_url = change["new"] or None

    @observe("budget_usd")
    def _budget_changed(self, change):
        self.connection.budget_usd = change["new"]  # the panels that share the connection keep to it too

    def __init__(self, shell=None, connection: Connection | None = None, **kwargs):
        # Set before Configurable.__init__, which may apply config and fire the observers.
        self.connection = connection or Connection()
        super().__init__(shell, **kwargs)
        self.connection.base_url = self.base_url or None
        self.connection.budget_usd = self.budget_usd
        self.messages: list[dict] = []
        self.last_result = None

    def reset(self) -> None:
        """Forget the conversation (what `--new` does)."""
        self.messages = []

    @magic_arguments()
    @argument("-m", "--model", help="model id (default: ChatMagics.model)")
    @argument("-s", "--system", help="system prompt (replaces the conversation's)")
    @argument("-t", "--temperature", type=float, help="sampling temperature, 0 to 2")
    @argument("--top-p", type=float, help="nucleus sampling mass, 0 to 1")
    @argument("-n", type=int, help="number of choices, shown side by side")
    @argument("--max-tokens", type=int, help="most tokens in the answer")
    @argument("--seed", type=int, help="seed for reproducible sampling")
    @argument("--stop", action="append", help="stop sequence (repeatable)")
    @argument("--logprobs", action="store_true", help="return token log probabilities and show the logprobs view")
    @argument("--top-logprobs", type=int, metavar="K", help="alternatives per token, 0 to 20 (implies --logprobs)")
    @argument("--store", dest="store", action="store_const", const=True, default=None,
              help="store the completion on the server")
    @argument("--no-store", dest="store", action="store_const", const=False, help="do not store it")
    @argument("--metadata", action="append", metavar="KEY=VALUE", help="metadata pair (repeatable)")
    @argument("-o", "--output", metavar="NAME", help="store the chat.completion in variable NAME")
    @argument("--new", action="store_true", help="start a fresh conversation")
    @argument("--api", choices=("chat", "responses"), default="chat",
              help="send through Chat Completions (default) or the Responses API")
    @argument("--cache", choices=CACHE_MODES, help="replay, record or off for this cell (default: ChatMagics.cache)")
    @line_cell_magic
    def chat(self, line: str, cell: str | None = None):
        """Send the cell to the model as the next user message and show the answer; `%chat history`
        (a line) shows this kernel's calls.

        Example::

            %%chat -t 0.2 --store --metadata topic=demo -o answer
            Summarise {text} in one sentence.
        """
        if cell is None:
            from jupyter_api_kit.magics.chat_history import chat_line

            return chat_line(self, line)
        args = parse_options(self.chat, line)
        if args.api == "responses":  # the Responses API path lives in magics/responses_chat.py
            from jupyter_api_kit.magics.responses_chat import chat_via_responses

            return chat_via_responses(self, args, cell)
        request = self._request(args, cell)
        with shown_errors():
            request.setdefault("model", self.connection.default_model())
            completion = get_answer(CHAT, self, request, args.cache or self.cache)
        self._after(args, request, completion)

    def _request(self, args, cell: str) -> dict:
        """The request body from the options, traits and cell; every user mistake stops here,
        before anything is sent."""
        check_output_name(args.output)
        check_ranges([("--temperature", args.temperature, *RANGES["temperature"]),
                      ("--top-p", args.top_p, *RANGES["top_p"]), ("-n", args.n, *RANGES["n"]),
                      ("--max-tokens", args.max_tokens, *RANGES["max_tokens"]),
                      ("--top-logprobs", args.top_logprobs, *RANGES["top_logprobs"])])
        metadata = checked_metadata(parse_pairs(args.metadata)) if args.metadata else None
        text = interpolate(cell, self.shell.user_ns).strip()
        if not text:
            raise UsageError("the cell is empty: write your message under %%chat")
        store = self.store if args.store is None else args.store
        logprobs = args.logprobs or args.top_logprobs is not None
        options = {
            "model": args.model or self.model or None,
            "temperature": _first(args.temperature, self.temperature),
            "top_p": _first(args.top_p, self.top_p), "n": args.n,
            "max_completion_tokens": _first(args.max_tokens, self.max_tokens),
            "seed": args.seed, "stop": args.stop, "logprobs": True if logprobs else None,
            "top_logprobs": args.top_logprobs, "store": True if store else None, "metadata": metadata,
        }
        request = {k: v for k, v in options.items() if v is not None}
        request["messages"] = self._conversation(args) + [{"role": "user", "content": text}]
        return request

    def _conversation(self, args) -> list[dict]:
        """The messages so far, with the system prompt this cell asks for."""
        history = [] if args.new else list(self.messages)
        system = self.system if args.system is None else args.system
        has_system = bool(history) and history[0].get("role") == "system"
        if not history:
            return [{"role": "system", "content": system}] if system else []
        if args.system is not None:  # -s in a later turn replaces (or adds) the system prompt
            history = history[1:] if has_system else history
            return ([{"role": "system", "content": system}] if system else []) + history
        return history

    def _after(self, args, request: dict, completion) -> None:
        """Keep the turn in the conversation (choice 0 continues it) and the result where asked."""
        choices = completion.get("choices") or []
        answer = (choices[0].get("message") or {}) if choices else {}
        self.messages = request["messages"] + [{"role": "assistant", "content": answer.get("content") or ""}]
        self.last_result = completion
        if completion.get("id"):
            self.connection.last_completion_id = completion["id"]
        if args.output:
            self.shell.user_ns[args.output] = completion


def _first(*values):
    return next((v for v in values if v is not None), None)
