"""The embedded OpenAI-compatible local server: FastAPI routes, a SQLite store and local models.

It imports nothing from the client, the magics or the widgets: the two sides meet over HTTP only.

Example:
    >>> from jupyter_api_kit.local import start_local_server
    >>> server = start_local_server(db=":memory:")     # doctest: +SKIP
    >>> server.base_url                                  # doctest: +SKIP
    'http://127.0.0.1:53211/v1'
    >>> server.stop()                                    # doctest: +SKIP
"""


def start_local_server(*args, **kwargs):
    """Start the local server in a background thread; see `jupyter_api_kit.local.server.start_local_server`."""
    from jupyter_api_kit.local.server import start_local_server as _start

    return _start(*args, **kwargs)


__all__ = ["start_local_server"]
