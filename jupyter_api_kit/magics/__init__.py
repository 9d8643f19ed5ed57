"""IPython magics: `%%chat` (and `%chat history`), `%completions`, `%threads`, `%assistants` and `%usage`,
loaded with `%load_ext jupyter_api_kit` and removed again, every one, with `%unload_ext jupyter_api_kit`.

All share one connection: by default the embedded local server when no key is set, `OPENAI_BASE_URL`
or the real API otherwise, or `%config ChatMagics.base_url = "..."`. The panels in
`jupyter_api_kit.widgets` use the same connection when the extension is loaded.

Example (in a notebook)::

    %load_ext jupyter_api_kit
    %%chat
    Hello!
"""

from __future__ import annotations

import importlib

__all__ = ["load_ipython_extension", "unload_ipython_extension"]

#: (module, class) of every magics class the extension registers
MAGICS = (("chat", "ChatMagics"), ("completions", "CompletionsMagics"), ("threads", "ThreadsMagics"),
          ("usage", "UsageMagics"))


def load_ipython_extension(ipython) -> None:
    """Register the magics and print one line saying which server they talk to.

    Example:
        >>> from IPython.core.interactiveshell import InteractiveShell
        >>> load_ipython_extension(InteractiveShell.instance())
        jupyter_api_kit: no OPENAI_API_KEY set, so %%chat and %completions use the embedded local server ...
        >>> unload_ipython_extension(InteractiveShell.instance())
    """
    from jupyter_api_kit.magics.common import Connection, register_magics, shown_errors

    connection = Connection()
    for module, name in MAGICS:
        cls = getattr(importlib.import_module(f"jupyter_api_kit.magics.{module}"), name)
        register_magics(ipython, cls, connection)
    with shown_errors():
        print(connection.status_line())


def unload_ipython_extension(ipython) -> None:
    """`%unload_ext jupyter_api_kit`: remove every magic the extension added, and their settings objects.

    Example:
        >>> from IPython.core.interactiveshell import InteractiveShell
        >>> shell = InteractiveShell.instance()
        >>> load_ipython_extension(shell)
        jupyter_api_kit: ...
        >>> unload_ipython_extension(shell)
        >>> "chat" in shell.magics_manager.magics["cell"]
        False
    """
    from jupyter_api_kit.magics.common import unregister_magics

    unregister_magics(ipython, [name for _module, name in MAGICS])
