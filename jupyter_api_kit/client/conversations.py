"""Conversations: a stored list of items that responses read and add to, the Assistants threads'
successor. `client.conversations` creates, retrieves, updates (metadata) and deletes them;
`client.conversations.items` adds, lists (either way), retrieves and deletes their items. A response
joins one with `client.responses.create(..., conversation=conv.id)`.

Example:
    >>> lesson = client.conversations.create(metadata={"lesson": "3"},
    ...     items=[{"role": "user", "content": "What is a comet?"}])
    >>> answer = client.responses.create(model="local-ngram", input="And a meteor?",
    ...                                  conversation=lesson.id)
    >>> client.conversations.items.list(lesson.id, order="asc").to_frame()[["type", "role"]].values.tolist()
    [['message', 'user'], ['message', 'user'], ['message', 'assistant']]
"""

from __future__ import annotations

from jupyter_api_kit.client.objects import APIList, APIObject
from jupyter_api_kit.client.resource import Resource, path_id, query_params
from jupyter_api_kit.client.validation import check_metadata, drop_unset
from jupyter_api_kit.errors import InvalidInputError, NotFoundError

#: the API adds at most 20 items per request
MAX_ITEMS = 20


def check_items(items, *, required: bool) -> list | None:
    """`items` as the API takes them: a list of at most 20 item objects (a string is one user
    message); refused before sending otherwise.

    Example:
        >>> check_items("Hello", required=True)
        [{'type': 'message', 'role': 'user', 'content': 'Hello'}]
        >>> check_items([{}] * 21, required=True)
        Traceback (most recent call last):
        ...
        jupyter_api_kit.errors.InvalidInputError: items has 21 items; at most 20 can be added at a time
    """
    if items is None:
        if required:
            raise InvalidInputError("items is required: a list of input items (messages, ...)", param="items")
        return None
    if isinstance(items, str):
        return [{"type": "message", "role": "user", "content": items}]
    if not isinstance(items, (list, tuple)) or not all(isinstance(i, dict) for i in items):
        raise InvalidInputError("items must be a list of item objects such as {'role': 'user', 'content': '...'}",
                                param="items")
    if len(items) > MAX_ITEMS:
        raise InvalidInputError(f"items has {len(items)} items; at most {MAX_ITEMS} can be added at a time",
                                param="items")
    return list(items)


def _conversation(conversation_id) -> str:
    return f"conversations/{path_id(conversation_id, 'conversation_id')}"


class ConversationItems(Resource):
    """The items of a conversation (`/conversations/{id}/items`): add up to 20 at a time, list them
    newest first (or `order="asc"`), retrieve and delete one. Reached as `client.conversations.items`.

    Example:
        >>> client.conversations.items.create("conv_abc", items=[])
        Traceback (most recent call last):
        ...
        jupyter_api_kit.errors.InvalidInputError: items is empty: pass at least one item
        >>> client.conversations.items.list(conv.id, order="asc").to_frame()[["role", "status"]].values.tolist()
        [['user', 'completed']]
    """

    def create(self, conversation_id: str, *, items, include: list[str] | None = None) -> APIObject:
        """Append items (messages, function calls and outputs, item references) to a conversation;
        returns the list of items added.

        Example:
            >>> chat = client.conversations.create()
            >>> added = client.conversations.items.create(chat.id, items=[{"role": "user", "content": "Hi"}])
            >>> added.object, [item.role for item in added.data]
            ('list', ['user'])
        """
        items = check_items(items, required=True)
        if not items:
            raise InvalidInputError("items is empty: pass at least one item", param="items")
        return self._transport.json("POST", f"{_conversation(conversation_id)}/items", json_body={"items": items},
                                    params=query_params(drop_unset({"include": include})))

    def list(self, conversation_id: str, *, after: str | None = None, limit: int | None = None,
             order: str | None = None, include: list[str] | None = None):
        """A conversation's items, newest first unless `order="asc"`; the page iterates every
        following page (`after` the last item), so either order walks the whole conversation.

        Example:
            >>> [item.type for item in client.conversations.items.list(conv.id, order="asc")]
            ['message']
        """
        if order not in (None, "asc", "desc"):
            raise InvalidInputError(f"order must be 'asc' or 'desc', got {order!r}", param="order")
        return self._list(f"{_conversation(conversation_id)}/items",
                          {"after": after, "limit": limit, "order": order, "include": include})

    def retrieve(self, item_id: str, *, conversation_id: str, include: list[str] | None = None) -> APIObject:
        """One item of a conversation.

        Example:
            >>> item = client.conversations.items.list(conv.id).data[0]
            >>> client.conversations.items.retrieve(item.id, conversation_id=conv.id).role
            'user'
        """
        return self._get(f"{_conversation(conversation_id)}/items/{path_id(item_id, 'item_id')}",
                         {"include": include})

    def delete(self, item_id: str, *, conversation_id: str) -> APIObject:
        """Remove one item from a conversation; returns the conversation.

        Example:
            >>> chat = client.conversations.create(items="Hello")
            >>> item = client.conversations.items.list(chat.id).data[0]
            >>> client.conversations.items.delete(item.id, conversation_id=chat.id).id == chat.id
            True
        """
        return self._delete(f"{_conversation(conversation_id)}/items/{path_id(item_id, 'item_id')}")


class Conversations(Resource):
    """The Conversations API (`/conversations`): create (with up to 20 first items and metadata),
    retrieve, update metadata, delete; `items` is the sub-group. Reached as `client.conversations`.

    The API cannot list conversations, so those this client creates are remembered per server, with
    the remembered Assistants threads (`known()`, `remember`, `forget`; `%threads` lists both).

    Example:
        >>> client.conversations.update("conv_abc", metadata={"k" * 65: "v"})
        Traceback (most recent call last):
        ...
        jupyter_api_kit.errors.InvalidInputError: metadata key 'kkkkkkkkkkkkkkkkkkkk...' is 65 characters; ...
        >>> chat = client.conversations.create(metadata={"lesson": "3"})
        >>> chat.id in [c.id for c in client.conversations.known()]
        True
    """

    def __init__(self, transport, client=None):
        from jupyter_api_kit.client.threads import registry_key
        from jupyter_api_kit.client.thread_registry import ThreadRegistry

        super().__init__(transport, client)
        self.items = ConversationItems(transport, client)
        self.registry = ThreadRegistry(registry_key(client, transport))

    def create(self, *, items=None, metadata: dict | None = None) -> APIObject:
        """Create a conversation, optionally with first items (a string is one user message); it is
        remembered for `known()`.

        Example:
            >>> client.conversations.create(items="What is a comet?").object
            'conversation'
        """
        conversation = self._post("conversations", {"items": check_items(items, required=False),
                                                    "metadata": metadata})
        self.registry.remember(conversation)
        return conversation

    def retrieve(self, conversation_id: str) -> APIObject:
        """A conversation (its id, creation time and metadata; items are `items.list`).

        Example:
            >>> client.conversations.retrieve(conv.id).metadata
            <APIObject> {"lesson": "3"}
        """
        return self._get(_conversation(conversation_id))

    def update(self, conversation_id: str, *, metadata: dict | None) -> APIObject:
        """Replace a conversation's metadata (`None` clears it).

        Example:
            >>> chat = client.conversations.create(metadata={"lesson": "3"})
            >>> client.conversations.update(chat.id, metadata={"lesson": "4"}).metadata
            <APIObject> {"lesson": "4"}
        """
        check_metadata(metadata)
        conversation = self._transport.json("POST", _conversation(conversation_id), json_body={"metadata": metadata})
        if conversation["id"] in self.registry.ids():
            self.registry.remember(conversation)
        return conversation

    def delete(self, conversation_id: str) -> APIObject:
        """Delete a conversation and forget it (the API keeps its items, which stay referable by id).

        Example:
            >>> chat = client.conversations.create()
            >>> client.conversations.delete(chat.id).deleted
            True
        """
        try:
            result = self._delete(_conversation(conversation_id))
        except NotFoundError:
            self.registry.forget(conversation_id)
            raise
        self.registry.forget(conversation_id)
        return result

    # ---- the remembered conversations ------------------------------------------------------------

    def remember(self, conversation_id: str) -> APIObject:
        """Add an existing conversation (made elsewhere) to the remembered ones; it must exist.

        Example:
            >>> client.conversations.forget(conv.id)
            True
            >>> client.conversations.remember(conv.id).id == conv.id
            True
        """
        conversation = self.retrieve(conversation_id)
        self.registry.remember(conversation)
        return conversation

    def forget(self, conversation_id: str) -> bool:
        """Stop remembering a conversation (it is not deleted).

        Example:
            >>> chat = client.conversations.create()
            >>> client.conversations.forget(chat.id), chat.id in [c.id for c in client.conversations.known()]
            (True, False)
        """
        return self.registry.forget(conversation_id)

    def known(self, check: bool = True) -> APIList:
        """The remembered conversations of this server, oldest first. With `check`, each is
        retrieved: those deleted on the server are forgotten, and metadata is refreshed.

        Example:
            >>> conv.id in [c.id for c in client.conversations.known()]
            True
        """
        from jupyter_api_kit.client.threads import is_conversation

        out = []
        for entry in self.registry.entries():
            if not is_conversation(entry["id"]):
                continue
            if not check:
                out.append({"object": "conversation", **entry})
                continue
            try:
                conversation = self.retrieve(entry["id"])
            except NotFoundError:
                self.registry.forget(entry["id"])
                continue
            if conversation.get("metadata") != entry.get("metadata"):
                self.registry.remember(conversation)
            out.append(dict(conversation))
        return APIList(out)
