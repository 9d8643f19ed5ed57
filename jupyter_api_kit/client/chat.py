"""Chat completions: create (plain or streamed), and the stored-completion operations.

Example:
    >>> c = client.chat.completions.create(model="local-ngram", store=True, metadata={"topic": "demo"},
    ...     messages=[{"role": "user", "content": "Tell me about planets"}], logprobs=True, top_logprobs=3)
    >>> client.chat.completions.update(c.id, metadata={"topic": "space"}).metadata
    <APIObject> {"topic": "space"}
    >>> c.id in client.chat.completions.list(metadata={"topic": "space"}).to_frame()["id"].tolist()
    True
"""

from __future__ import annotations

from jupyter_api_kit.client.objects import APIObject
from jupyter_api_kit.client.resource import Resource, path_id
from jupyter_api_kit.client.streaming import Stream
from jupyter_api_kit.client.validation import check_metadata
from jupyter_api_kit.errors import InvalidInputError


class Messages(Resource):
    """The messages stored with a chat completion (`/chat/completions/{id}/messages`), for
    completions created with `store=True`. Reached as `client.chat.completions.messages`.

    Example:
        >>> c = client.chat.completions.create(model="local-ngram", store=True,
        ...     messages=[{"role": "user", "content": "Hi"}])
        >>> [m.content for m in client.chat.completions.messages.list(c.id)]
        ['Hi']
    """

    def list(self, completion_id: str, *, after=None, limit=None, order=None):
        """The messages stored with a completion, as a page.

        Example:
            >>> c = client.chat.completions.create(model="local-ngram", store=True,
            ...     messages=[{"role": "user", "content": "Hi"}])
            >>> client.chat.completions.messages.list(c.id).to_frame()[["role", "content"]].values.tolist()
            [['user', 'Hi']]
        """
        return self._list(f"chat/completions/{path_id(completion_id, 'completion_id')}/messages",
                          {"after": after, "limit": limit, "order": order})


class Completions(Resource):
    """Chat completions (`/chat/completions`): create one (plain or streamed), and retrieve, update,
    list and delete the completions stored with `store=True`. Reached as `client.chat.completions`.

    Example:
        >>> c = client.chat.completions.create(model="local-ngram",
        ...     messages=[{"role": "user", "content": "Name a planet"}])
        >>> c.choices[0].message.role
        'assistant'
    """

    def __init__(self, transport, client=None):
        super().__init__(transport, client)
        self.messages = Messages(transport, client)

    def create(self, *, messages, model: str, stream: bool = False, **params) -> APIObject | Stream:
        """Create a chat completion. Every API parameter passes through as a keyword
        (`n`, `logprobs`, `top_logprobs`, `seed`, `stop`, `store`, `metadata`, `temperature`, `top_p`,
        `max_completion_tokens`, `response_format`, `tools`, `stream_options`, ...).
        With `stream=True` the result is a `Stream` of `chat.completion.chunk` objects.

        Example:
            >>> client.chat.completions.create(model="local-ngram",
            ...     messages=[{"role": "user", "content": "Hi"}], n=2).choices[1].message.role
            'assistant'
        """
        if not isinstance(messages, list) or not messages:
            raise InvalidInputError("messages must be a non-empty list of {'role', 'content'} dicts",
                                    param="messages")
        body = {"model": model, "messages": messages, **params}
        if stream:
            return self._stream("chat/completions", {**body, "stream": True})
        return self._post("chat/completions", body)

    def retrieve(self, completion_id: str) -> APIObject:
        """A stored completion by id."""
        return self._get(f"chat/completions/{path_id(completion_id, 'completion_id')}")

    def update(self, completion_id: str, *, metadata: dict) -> APIObject:
        """Replace a stored completion's metadata (checked against the API's limits before sending).

        Example:
            >>> c = client.chat.completions.create(model="local-ngram", store=True,
            ...     messages=[{"role": "user", "content": "Hi"}])
            >>> client.chat.completions.update(c.id, metadata={"reviewed": "yes"}).metadata
            <APIObject> {"reviewed": "yes"}
        """
        check_metadata(metadata)
        if metadata is None:
            raise InvalidInputError("metadata is required: pass a dict of strings (or {} to clear it)",
                                    param="metadata")
        return self._post(f"chat/completions/{path_id(completion_id, 'completion_id')}",
                          {"metadata": metadata}, check=False)  # checked above

    def list(self, *, model=None, metadata=None, after=None, limit=None, order=None):
        """Stored completions, filtered by model and metadata pairs, as a lazily paging page.

        Example:
            >>> c = client.chat.completions.create(model="local-ngram", store=True, metadata={"topic": "moons"},
            ...     messages=[{"role": "user", "content": "Hi"}])
            >>> client.chat.completions.list(metadata={"topic": "moons"}, limit=10).to_frame()["id"].tolist() == [c.id]
            True
        """
        if metadata is not None:
            check_metadata(metadata)
        return self._list("chat/completions", {"model": model, "metadata": metadata, "after": after,
                                               "limit": limit, "order": order})

    def delete(self, completion_id: str) -> APIObject:
        """Delete a stored completion."""
        return self._delete(f"chat/completions/{path_id(completion_id, 'completion_id')}")


class Chat(Resource):
    """The chat API group; it holds `completions` (with its stored `messages`). Reached as
    `client.chat`.

    Example:
        >>> type(client.chat.completions).__name__
        'Completions'
    """

    def __init__(self, transport, client=None):
        super().__init__(transport, client)
        self.completions = Completions(transport, client)
