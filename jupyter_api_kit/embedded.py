"""The local server a client uses when nothing else is configured.

This is the one place above both the client and the local server: a `Client()` with no key and no
base URL asks here for a URL. If `JUPYTER_API_KIT_LOCAL_URL` names a running local server (as
`make lab` sets it), that one is shared; otherwise one server is started in this process, on a free
loopback port, over the database in the user data directory, and reused by every later client.

Example:
    >>> url = shared_local_url()      # doctest: +SKIP
    >>> url.endswith("/v1")           # doctest: +SKIP
    True
"""

from __future__ import annotations

import os
import threading

from jupyter_api_kit.config import LOCAL_URL_ENV

_lock = threading.Lock()
_server = None


def _reachable(url: str) -> bool:
    import requests

    try:
        return requests.get(url.rstrip("/") + "/models", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def shared_local_url() -> str:
    """The base URL of the local server for this process, starting it on first use."""
    global _server
    with _lock:
        if _server is not None:
            return _server.base_url
        external = os.environ.get(LOCAL_URL_ENV)
        if external and _reachable(external):
            return external.rstrip("/")
        from jupyter_api_kit.local.server import start_local_server

        _server = start_local_server()
        return _server.base_url


def started_server():
    """The in-process server if this process started one, else None (for status lines)."""
    return _server
