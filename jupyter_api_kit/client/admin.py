"""The base of the organization resources: every call carries the admin key, never the API key.

The key comes from `Client(admin_key=...)` or `OPENAI_ADMIN_KEY`; a client of the embedded local
server gets that server's key when it is made (`jupyter_api_kit.embedded`). Without one, a
`ConfigurationError` says so before anything is sent.

Example:
    >>> from jupyter_api_kit.client import Client
    >>> Client(base_url="http://127.0.0.1:9/v1").organization.projects.list()  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    jupyter_api_kit.errors.ConfigurationError: The organization endpoints need an admin key, and none is set: ...
"""

from __future__ import annotations

from collections.abc import Mapping

from jupyter_api_kit.client.objects import APIObject
from jupyter_api_kit.client.resource import Resource, query_params
from jupyter_api_kit.client.validation import drop_unset
from jupyter_api_kit.errors import ConfigurationError

MISSING_ADMIN_KEY = ("The organization endpoints need an admin key, and none is set: pass Client(admin_key=...) "
                     "or set the OPENAI_ADMIN_KEY environment variable. Nothing was sent.")


class AdminResource(Resource):
    """A resource whose every call carries the admin key, checked before sending."""

    admin = True

    def _require_admin_key(self) -> None:
        if not self._transport.can_call_admin:
            raise ConfigurationError(MISSING_ADMIN_KEY)

    def _get(self, path: str, params: Mapping | None = None) -> APIObject:
        self._require_admin_key()
        return self._transport.json("GET", path, params=query_params(drop_unset(params or {})), admin=True)

    def _post(self, path: str, body: Mapping | None = None, *, check=True, **kwargs) -> APIObject:
        self._require_admin_key()
        return super()._post(path, body, check=check, **kwargs)

    def _delete(self, path: str) -> APIObject:
        self._require_admin_key()
        return self._transport.json("DELETE", path, admin=True)

    def _sub(self, cls):
        return cls(self._transport, self._client)
