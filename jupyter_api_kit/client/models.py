"""Models: list and retrieve.

Example:
    >>> [m.id for m in client.models.list()]  # doctest: +SKIP
    ['local-ngram', ...]
"""

from __future__ import annotations

from jupyter_api_kit.client.resource import Resource, path_id


class Models(Resource):
    def list(self):
        """Every model the server offers."""
        return self._list("models")

    def retrieve(self, model: str):
        """One model by id."""
        return self._get(f"models/{path_id(model, 'model')}")
