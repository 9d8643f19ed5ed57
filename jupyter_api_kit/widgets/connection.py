"""Which server the panels talk to: the same one as the magics when `%load_ext jupyter_api_kit` is loaded
(so `%config ChatMagics.base_url` and the notebook's meter apply to them too), else a `Client()` of
their own (the embedded local server when no key is set). Every panel also takes `client=`.

Example:
    >>> connection = shared_connection()   # None unless %load_ext jupyter_api_kit ran in this shell
    >>> connection is None or connection.client is default_client()
    True
"""

from __future__ import annotations


def shared_connection():
    """The connection of the magics loaded in the running IPython shell, or None.

    Example:
        >>> shared_connection() is None or hasattr(shared_connection(), "history")
        True
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - ipywidgets needs IPython anyway
        return None
    shell = get_ipython()
    if shell is None:
        return None
    magics = shell.magics_manager.registry.get("ChatMagics")
    return getattr(magics, "connection", None)


def default_client():
    """The client a panel uses when none is given: the magics' one if loaded, else a new `Client()`.

    Example:
        >>> panel_client = default_client()
        >>> panel_client.base_url.endswith("/v1")
        True
        >>> panel_client.close()
    """
    connection = shared_connection()
    if connection is not None:
        return connection.client
    from jupyter_api_kit.client import Client

    return Client()
