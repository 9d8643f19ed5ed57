"""`%chat history`: this kernel's calls (from `%%chat` and the chat panel) as a DataFrame, with `--plot`
for tokens per call and the money spent so far.

Example (in a notebook)::

    %chat history
    %chat history --plot -o calls
"""

from __future__ import annotations

from IPython.core.error import UsageError
from IPython.core.magic_arguments import argument, magic_arguments

from jupyter_api_kit.magics.common import check_output_name, parse_options

USAGE = "%chat history [--plot] [-o NAME]   (write a message under %%chat, as a cell)"


@magic_arguments()
@argument("action", nargs="?", help="history")
@argument("--plot", action="store_true", help="also draw tokens per call and the running cost")
@argument("-o", "--output", metavar="NAME", help="store the DataFrame in this variable")
def _history_options(line):
    """The options of `%chat` as a line magic."""


def chat_line(magics, line: str):
    """Run `%chat ...` (the line form) for `magics`: only `history` is a line action.

    Example::

        %chat history --plot
    """
    args = parse_options(_history_options, line)
    if args.action != "history":
        raise UsageError(f"%chat {line.strip()!r}: the line form only shows the history; use {USAGE}")
    check_output_name(args.output)
    history = magics.connection.history
    frame = history.frame()
    if args.plot:
        from jupyter_api_kit.magics.usage import show_figure

        show_figure(history.plot())
    print(history.summary())
    if args.output:
        magics.shell.user_ns[args.output] = frame
    return frame
