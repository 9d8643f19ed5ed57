"""IPython magics: `%%chat` and `%completions`, loaded with `%load_ext jupyter_api_kit`.

Both magics share one connection: by default the embedded local server when no key is set,
`OPENAI_BASE_URL` or the real API otherwise, or `%config ChatMagics.base_url = "..."`.

Example (in a notebook)::

    %load_ext jupyter_api_kit
    %%chat
    Hello!
"""

from __future__ import annotations

__all__ = ["load_ipython_extension", "unload_ipython_extension"]

_CLASS_NAMES = ("ChatMagics", "CompletionsMagics")


def _forget(ipython) -> None:
    # Magics add themselves to shell.configurables; after %reload_ext the stale instances would
    # otherwise shadow the new ones in `%config ChatMagics`.
    ipython.configurables[:] = [c for c in ipython.configurables if type(c).__name__ not in _CLASS_NAMES]


def _drop_refused_settings(ipython, classes) -> None:
    # `%config` merges a value into the shell's config before the trait refuses it, so a value
    # that was refused once would make every later load fail; drop it with a one-line note.
    from traitlets import TraitError
    from traitlets.config import Config

    for cls in classes:
        section = ipython.config[cls.__name__] if cls.__name__ in ipython.config else {}
        for key, value in list(section.items()):
            try:
                cls(config=Config({cls.__name__: {key: value}}))
            except TraitError as err:
                print(f"jupyter_api_kit: ignoring the setting {cls.__name__}.{key}: {err}")
                del section[key]


def load_ipython_extension(ipython) -> None:
    """Register the magics and print one line saying which server they talk to.

    Example:
        >>> from IPython.core.interactiveshell import InteractiveShell
        >>> load_ipython_extension(InteractiveShell.instance())    # doctest: +SKIP
        jupyter_api_kit: no OPENAI_API_KEY set, so %%chat and %completions use the embedded local server ...
    """
    from jupyter_api_kit.magics.chat import ChatMagics
    from jupyter_api_kit.magics.common import Connection, shown_errors
    from jupyter_api_kit.magics.completions import CompletionsMagics
    from jupyter_api_kit.magics.threads import register as register_threads_magics
    from jupyter_api_kit.magics.usage import register as register_usage_magics

    _forget(ipython)
    _drop_refused_settings(ipython, (ChatMagics, CompletionsMagics))
    connection = Connection()
    ipython.register_magics(ChatMagics(ipython, connection=connection),
                            CompletionsMagics(ipython, connection=connection))
    register_threads_magics(ipython, connection)
    register_usage_magics(ipython, connection)
    with shown_errors():
        print(connection.status_line())


def unload_ipython_extension(ipython) -> None:
    """`%unload_ext jupyter_api_kit`: drop the magics' settings objects (the magics stay until replaced)."""
    _forget(ipython)
