"""Models: list and retrieve.

Example:
    >>> [m.id for m in client.models.list()]  # doctest: +SKIP
    ['local-ngram', ...]
"""

from __future__ import annotations

from jupyter_api_kit.client.resource import Resource, path_id


class Models(Resource):
    """The models the server offers (`/models`): list and retrieve. Reached as `client.models`.

    Example:
        >>> from jupyter_api_kit.client import Client
        >>> client = Client(base_url="http://127.0.0.1:8765/v1")
        >>> client.models.retrieve("local-ngram").owned_by  # doctest: +SKIP
    """

    def list(self):
        """Every model the server offers."""
        return self._list("models")

    def retrieve(self, model: str):
        """One model by id."""
        return self._get(f"models/{path_id(model, 'model')}")
