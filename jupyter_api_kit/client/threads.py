"""Threads and their messages; `client.threads.runs` (in `runs.py`) runs assistants on them.

The API cannot list threads, so this client remembers the threads it creates or is given, per
server, in the user data directory: `client.threads.known()` lists them (threads deleted on the
server are dropped as it checks).

Example:
    >>> lesson = client.threads.create(messages=[{"role": "user", "content": "What is a comet?"}],
    ...                                metadata={"lesson": "3"})
    >>> client.threads.messages.create(lesson.id, role="user", content="And a meteor?").role
    'user'
    >>> len(client.threads.messages.list(lesson.id, order="asc").to_frame())
    2
    >>> lesson.id in [t.id for t in client.threads.known()]
    True
"""

from __future__ import annotations

from jupyter_api_kit.client.backends import sunset_aware
from jupyter_api_kit.client.objects import APIList, APIObject
from jupyter_api_kit.client.resource import Resource, path_id
from jupyter_api_kit.client.run_stream import RunStream
from jupyter_api_kit.client.runs import Runs
from jupyter_api_kit.client.validation import check_metadata
from jupyter_api_kit.client.thread_registry import ThreadRegistry
from jupyter_api_kit.errors import AssistantsUnavailableError, InvalidInputError, NotFoundError
from jupyter_api_kit.spec import MESSAGE_ROLES


@sunset_aware("client.threads.messages")
class Messages(Resource):
    """The messages of a thread (`/threads/{id}/messages`): add, retrieve, update metadata, list and
    delete. Reached as `client.threads.messages`.

    Example:
        >>> mars = client.threads.create()
        >>> _ = client.threads.messages.create(mars.id, role="user", content="Why is Mars red?")
        >>> client.threads.messages.list(mars.id, order="asc").to_frame()["role"].tolist()
        ['user']
    """

    def _path(self, thread_id: str, message_id: str | None = None) -> str:
        path = f"threads/{path_id(thread_id, 'thread_id')}/messages"
        return f"{path}/{path_id(message_id, 'message_id')}" if message_id is not None else path

    def create(self, thread_id: str, *, role: str, content, attachments=None, metadata=None) -> APIObject:
        """Add a message (`role` "user" or "assistant"; `content` a string or a list of parts).

        Example:
            >>> msg = client.threads.messages.create(thread.id, role="user", content="Why is Mars red?")
            >>> msg.object, msg.content[0].text.value
            ('thread.message', 'Why is Mars red?')
        """
        if role not in MESSAGE_ROLES:
            raise InvalidInputError(f"role must be 'user' or 'assistant', got {role!r}", param="role")
        return self._post(self._path(thread_id), {"role": role, "content": content, "attachments": attachments,
                                                  "metadata": metadata})

    def retrieve(self, message_id: str, *, thread_id: str) -> APIObject:
        """One message of a thread.

        Example:
            >>> msg = client.threads.messages.list(thread.id, order="asc").data[0]
            >>> client.threads.messages.retrieve(msg.id, thread_id=thread.id).role
            'user'
        """
        return self._get(self._path(thread_id, message_id))

    def update(self, message_id: str, *, thread_id: str, metadata: dict) -> APIObject:
        """Replace a message's metadata."""
        check_metadata(metadata)
        return self._post(self._path(thread_id, message_id), {"metadata": metadata})

    def list(self, thread_id: str, *, run_id=None, after=None, before=None, limit=None, order=None):
        """A thread's messages, newest first by default; `run_id` keeps those a run wrote.

        Example:
            >>> from jupyter_api_kit import frames
            >>> frames.thread_messages(client.threads.messages.list(thread.id, order="asc"))["role"].iloc[0]
            'user'
        """
        return self._list(self._path(thread_id), {"run_id": run_id, "after": after, "before": before,
                                                  "limit": limit, "order": order})

    def delete(self, message_id: str, *, thread_id: str) -> APIObject:
        """Delete one message of a thread.

        Example:
            >>> msg = client.threads.messages.create(thread.id, role="user", content="Never mind.")
            >>> client.threads.messages.delete(msg.id, thread_id=thread.id).deleted
            True
        """
        return self._delete(self._path(thread_id, message_id))


def is_conversation(thread_id: str) -> bool:
    """Whether an id names a conversation (`conv_...`) rather than an Assistants thread: the
    remembered threads hold both kinds, and each kind is read through its own API.

    Example:
        >>> is_conversation("conv_abc"), is_conversation("thread_abc")
        (True, False)
    """
    return isinstance(thread_id, str) and thread_id.startswith("conv_")


def registry_key(client, transport) -> str:
    """Which server remembered threads belong to: `local` for the embedded server (its port
    changes between processes, its database does not), else the base URL."""
    if client is not None and getattr(client, "uses_local_server", False):
        return "local"
    return transport.base_url


@sunset_aware("client.threads")
class Threads(Resource):
    """Assistant threads (`/threads`): create, retrieve, update, delete, create-and-run; `messages`
    and `runs` are sub-groups. Since the API cannot list threads, the threads this client creates
    are remembered per server (`known()`, `remember`, `forget`). Reached as `client.threads`.

    Example:
        >>> comet = client.threads.create(messages=[{"role": "user", "content": "What is a comet?"}])
        >>> comet.id in [t.id for t in client.threads.known()]
        True
    """

    def __init__(self, transport, client=None):
        super().__init__(transport, client)
        self.messages = Messages(transport, client)
        self.runs = Runs(transport, client)
        self.registry = ThreadRegistry(registry_key(client, transport))

    def create(self, *, messages=None, metadata=None, tool_resources=None) -> APIObject:
        """Create a thread (optionally with first messages); it is remembered for `known()`."""
        thread = self._post("threads", {"messages": messages, "metadata": metadata, "tool_resources": tool_resources})
        self.registry.remember(thread)
        return thread

    def retrieve(self, thread_id: str) -> APIObject:
        """A thread by id (its metadata and tool resources; messages are `messages.list`).

        Example:
            >>> lesson = client.threads.create(metadata={"lesson": "3"})
            >>> client.threads.retrieve(lesson.id).metadata
            <APIObject> {"lesson": "3"}
        """
        return self._get(f"threads/{path_id(thread_id, 'thread_id')}")

    def update(self, thread_id: str, *, metadata=None, tool_resources=None) -> APIObject:
        """Replace a thread's metadata and/or tool resources."""
        thread = self._post(f"threads/{path_id(thread_id, 'thread_id')}",
                            {"metadata": metadata, "tool_resources": tool_resources})
        if thread["id"] in self.registry.ids():
            self.registry.remember(thread)
        return thread

    def delete(self, thread_id: str) -> APIObject:
        """Delete a thread (and its messages and runs) and forget it."""
        try:
            result = self._delete(f"threads/{path_id(thread_id, 'thread_id')}")
        except NotFoundError:
            self.registry.forget(thread_id)
            raise
        self.registry.forget(thread_id)
        return result

    def create_and_run(self, *, assistant_id: str, thread=None, stream: bool = False, **params):
        """Create a thread and run an assistant on it in one request (`thread` is a create-thread
        body: `messages`, `metadata`, ...). The new thread is remembered.

        Example:
            >>> run = client.threads.create_and_run(assistant_id=tutor.id,
            ...     thread={"messages": [{"role": "user", "content": "Name a moon of Jupiter"}]})
            >>> run.object, run.thread_id in [t.id for t in client.threads.known()]
            ('thread.run', True)
        """
        if not isinstance(assistant_id, str) or not assistant_id:
            raise InvalidInputError("assistant_id must be a non-empty string", param="assistant_id")
        body = {"assistant_id": assistant_id, "thread": thread, **params}
        result = self.runs._post_maybe_stream("threads/runs", body, stream, on_thread=self.registry.remember)
        if not stream:
            self.registry.remember({"id": result["thread_id"], "created_at": result["created_at"],
                                    "metadata": (thread or {}).get("metadata") or {}})
        return result

    def create_and_run_poll(self, *, assistant_id: str, thread=None, timeout: float = 120.0, progress="auto",
                            **params) -> APIObject:
        """`create_and_run` then wait for the run to end (or to need tool outputs)."""
        run = self.create_and_run(assistant_id=assistant_id, thread=thread, **params)
        return self.runs.poll(run["id"], thread_id=run["thread_id"], timeout=timeout, progress=progress)

    def create_and_run_stream(self, *, assistant_id: str, thread=None, **params) -> RunStream:
        """`create_and_run(..., stream=True)`: `thread.created`, then the run's events."""
        return self.create_and_run(assistant_id=assistant_id, thread=thread, stream=True, **params)

    # ---- the remembered threads ----------------------------------------------------------------

    def remember(self, thread_id: str) -> APIObject:
        """Add an existing thread (made elsewhere) to the remembered ones; it must exist."""
        thread = self.retrieve(thread_id)
        self.registry.remember(thread)
        return thread

    def forget(self, thread_id: str) -> bool:
        """Stop remembering a thread (it is not deleted)."""
        return self.registry.forget(thread_id)

    def known(self, check: bool = True) -> APIList:
        """The remembered Assistants threads of this server, oldest first (remembered conversations
        are `client.conversations.known()`). With `check`, each is retrieved: threads deleted on the
        server are forgotten, and metadata is refreshed.

        Example:
            >>> client.threads.known()[0].object
            'thread'
        """
        out = []
        for entry in self.registry.entries():
            if is_conversation(entry["id"]):
                continue
            if not check:
                out.append({"object": "thread", "tool_resources": {}, **entry})
                continue
            try:
                thread = self.retrieve(entry["id"])
            except AssistantsUnavailableError:
                raise  # the server cannot say: the thread is not forgotten
            except NotFoundError:
                self.registry.forget(entry["id"])
                continue
            if thread.get("metadata") != entry.get("metadata"):
                self.registry.remember(thread)
            out.append(dict(thread))
        return APIList(out)

    def known_frame(self, check: bool = True):
        """`known()` as a DataFrame (metadata keys as `metadata.<key>` columns)."""
        from jupyter_api_kit.frames import to_frame

        return to_frame(list(self.known(check=check)))
