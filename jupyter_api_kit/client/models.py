"""Models: list and retrieve.

Example:
    >>> "local-ngram" in [m.id for m in client.models.list()]
    True
"""

from __future__ import annotations

from jupyter_api_kit.client.resource import Resource, path_id


class Models(Resource):
    """The models the server offers (`/models`): list and retrieve. Reached as `client.models`.

    Example:
        >>> model = client.models.retrieve("local-ngram")
        >>> model.object, model.id
        ('model', 'local-ngram')
    """

    def list(self):
        """Every model the server offers."""
        return self._list("models")

    def retrieve(self, model: str):
        """One model by id."""
        return self._get(f"models/{path_id(model, 'model')}")
