"""Assistants: create, retrieve, update, list, delete.

Example:
    >>> tutor = client.assistants.create(model="local-ngram", name="Tutor",
    ...     instructions="You explain astronomy simply.")
    >>> client.assistants.update(tutor.id, metadata={"course": "astro101"}).metadata
    <APIObject> {"course": "astro101"}
    >>> client.assistants.list(limit=10).to_frame()["id"].tolist()[0] == tutor.id   # newest first
    True
"""

from __future__ import annotations

from jupyter_api_kit.client.backends import sunset_aware
from jupyter_api_kit.client.objects import APIObject
from jupyter_api_kit.client.resource import Resource, path_id
from jupyter_api_kit.errors import InvalidInputError


@sunset_aware("client.assistants")
class Assistants(Resource):
    """The Assistants API group (`/assistants`): create, retrieve, update, list and delete the
    assistants that runs on threads use. Reached as `client.assistants`.

    Example:
        >>> tutor = client.assistants.create(model="local-ngram", name="Tutor",
        ...                                  instructions="You explain astronomy simply.")
        >>> client.assistants.retrieve(tutor.id).name
        'Tutor'
    """

    def create(self, *, model: str, **params) -> APIObject:
        """Create an assistant. Every API field passes through as a keyword: `name`, `description`,
        `instructions`, `tools`, `tool_resources`, `metadata`, `temperature`, `top_p`,
        `response_format`, `reasoning_effort`.

        Example:
            >>> client.assistants.create(model="local-ngram", instructions="Answer briefly.",
            ...     tools=[{"type": "function", "function": {"name": "get_weather",
            ...            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]).tools[0].type
            'function'
        """
        if not isinstance(model, str) or not model:
            raise InvalidInputError("model must be a non-empty string, e.g. 'local-ngram'", param="model")
        return self._post("assistants", {"model": model, **params})

    def retrieve(self, assistant_id: str) -> APIObject:
        """An assistant by id."""
        return self._get(f"assistants/{path_id(assistant_id, 'assistant_id')}")

    def update(self, assistant_id: str, **params) -> APIObject:
        """Change some of an assistant's fields (the same keywords as `create`); the others stay.

        Example:
            >>> client.assistants.update(tutor.id, instructions="Answer in one sentence.").instructions
            'Answer in one sentence.'
        """
        return self._post(f"assistants/{path_id(assistant_id, 'assistant_id')}", params)

    def list(self, *, after=None, before=None, limit=None, order=None):
        """Assistants, newest first by default, as a lazily paging page.

        Example:
            >>> tutor.id in client.assistants.list(limit=20).to_frame()["id"].tolist()
            True
        """
        return self._list("assistants", {"after": after, "before": before, "limit": limit, "order": order})

    def delete(self, assistant_id: str) -> APIObject:
        """Delete an assistant (runs made with it keep their copy of its settings)."""
        return self._delete(f"assistants/{path_id(assistant_id, 'assistant_id')}")
