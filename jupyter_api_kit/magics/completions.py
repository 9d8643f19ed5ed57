"""`%completions`: stored chat completions as DataFrames, and their metadata edited in place.

Example (in a notebook)::

    %completions                                   # newest stored completions
    %completions --metadata topic=demo --limit 5   # filtered by metadata (and --model)
    %completions show last                         # the latest %%chat answer, with its messages
    %completions tag last reviewed=yes topic=space # merge pairs into its metadata
    %completions untag last reviewed               # remove keys
    %completions delete chatcmpl-...
"""

from __future__ import annotations

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments
from traitlets import Int, TraitError, Unicode, validate
from traitlets.config.configurable import Configurable

from jupyter_api_kit.magics.common import (Connection, checked_metadata, parse_options, parse_pairs, range_problem,
                                           shown_errors)
from jupyter_api_kit.magics.display import CompletionView

ACTIONS = ("list", "show", "tag", "untag", "delete")
USAGE = ("%completions [--model M] [--metadata k=v] [--limit N] [--order asc|desc] | show ID | "
         "tag ID k=v ... | untag ID KEY ... | delete ID   (ID may be 'last')")


def completions_frame(items):
    """Stored completions as a DataFrame: id, created, model, the answer, tokens, one column per
    metadata key (`metadata.<key>`).

    Example:
        >>> completions_frame([{"id": "c1", "created": 1700000000, "model": "m", "metadata": {"topic": "demo"},
        ...     "choices": [{"message": {"content": "Hi"}}], "usage": {"total_tokens": 3}}]).columns.tolist()
        ['id', 'created', 'model', 'answer', 'usage.total_tokens', 'metadata.topic']
    """
    from jupyter_api_kit import frames

    items = list(items)
    full = frames.to_frame(items)
    columns = [c for c in ("id", "created", "model") if c in full.columns]
    frame = full[columns].copy()
    frame["answer"] = [_answer(item) for item in items] if items else []
    for name in ["usage.total_tokens"] + [c for c in full.columns if c.startswith("metadata.")]:
        if name in full.columns:
            frame[name] = full[name]
    return frame


def _answer(item) -> str:
    choices = item.get("choices") or []
    return ((choices[0].get("message") or {}).get("content") or "") if choices else ""


@magics_class
class CompletionsMagics(Magics, Configurable):
    """`%completions` and its settings (`%config CompletionsMagics` lists them)."""

    limit = Int(20, help="How many completions `%completions` lists (one page; --limit overrides).").tag(config=True)
    order = Unicode("desc", help="'desc' lists the newest first, 'asc' the oldest (--order overrides)."
                    ).tag(config=True)

    @validate("limit")
    def _check_limit(self, proposal):
        problem = range_problem("CompletionsMagics.limit", proposal["value"], 1, 100)
        if problem:
            raise TraitError(problem)
        return proposal["value"]

    @validate("order")
    def _check_order(self, proposal):
        if proposal["value"] not in ("asc", "desc"):
            raise TraitError(f"CompletionsMagics.order must be 'asc' or 'desc', got {proposal['value']!r}")
        return proposal["value"]

    def __init__(self, shell=None, connection: Connection | None = None, **kwargs):
        self.connection = connection or Connection()
        super().__init__(shell, **kwargs)

    @magic_arguments()
    @argument("action", nargs="?", default="list", help="list (default), show, tag, untag or delete")
    @argument("args", nargs="*", help="ID, then KEY=VALUE pairs (tag) or KEYs (untag)")
    @argument("--model", help="only completions of this model")
    @argument("--metadata", action="append", metavar="KEY=VALUE", help="only completions with this pair (repeatable)")
    @argument("--limit", type=int, help="how many to list, 1 to 100")
    @argument("--order", choices=("asc", "desc"), help="by creation time")
    @line_magic
    def completions(self, line: str):
        """List stored chat completions, show one, or edit its metadata.

        Example::

            %completions --metadata topic=demo
            %completions tag chatcmpl-abc reviewed=yes
        """
        args = parse_options(self.completions, line)
        if args.action not in ACTIONS:
            raise UsageError(f"unknown action {args.action!r}; use {USAGE}")
        if args.action == "list":
            if args.args:
                raise UsageError(f"unexpected {' '.join(args.args)!r}; use {USAGE}")
            return self.list_page(args)
        if not args.args:
            raise UsageError(f"%completions {args.action} needs a completion ID; use {USAGE}")
        completion_id, rest = self._resolve(args.args[0]), args.args[1:]
        if args.action == "tag":
            return self.tag(completion_id, parse_pairs(rest, option="tag"))
        if args.action == "untag":
            return self.untag(completion_id, rest)
        if rest:
            raise UsageError(f"%completions {args.action} takes one ID; use {USAGE}")
        return self.show(completion_id) if args.action == "show" else self.delete(completion_id)

    def _resolve(self, completion_id: str) -> str:
        if completion_id != "last":
            return completion_id
        if not self.connection.last_completion_id:
            raise UsageError("no %%chat answer yet in this session, so 'last' names nothing")
        return self.connection.last_completion_id

    def list_page(self, args):
        """One page of stored completions as a DataFrame."""
        limit = self.limit if args.limit is None else args.limit
        problem = range_problem("--limit", limit, 1, 100)
        if problem:
            raise UsageError(problem)
        metadata = checked_metadata(parse_pairs(args.metadata)) if args.metadata else None
        with shown_errors():
            page = self.connection.client.chat.completions.list(model=args.model, metadata=metadata, limit=limit,
                                                                order=args.order or self.order)
            return completions_frame(page.data)

    def show(self, completion_id: str) -> CompletionView:
        """The completion and its request messages."""
        import pandas as pd

        with shown_errors():
            chat = self.connection.client.chat.completions
            completion = chat.retrieve(completion_id)
            messages = [{"role": m.get("role"), "content": m.get("content")}
                        for m in chat.messages.list(completion_id, limit=100)]
        return CompletionView(completion, pd.DataFrame(messages, columns=["role", "content"]))

    def tag(self, completion_id: str, pairs: dict):
        """Merge `pairs` into the completion's metadata; the updated row as a DataFrame."""
        if not pairs:
            raise UsageError(f"%completions tag needs KEY=VALUE pairs after the ID; use {USAGE}")
        with shown_errors():
            chat = self.connection.client.chat.completions
            current = dict(chat.retrieve(completion_id).get("metadata") or {})
            updated = chat.update(completion_id, metadata=checked_metadata({**current, **pairs}))
        return completions_frame([updated])

    def untag(self, completion_id: str, keys: list[str]):
        """Remove `keys` from the completion's metadata (absent keys are fine, so a cell can be re-run)."""
        if not keys:
            raise UsageError(f"%completions untag needs the KEYs to remove after the ID; use {USAGE}")
        with shown_errors():
            chat = self.connection.client.chat.completions
            completion = chat.retrieve(completion_id)
            current = dict(completion.get("metadata") or {})
            if any(key in current for key in keys):
                remaining = {k: v for k, v in current.items() if k not in keys}
                completion = chat.update(completion_id, metadata=remaining)
        return completions_frame([completion])

    def delete(self, completion_id: str):
        """Delete a stored completion; returns the API's confirmation."""
        with shown_errors():
            return self.connection.client.chat.completions.delete(completion_id)
