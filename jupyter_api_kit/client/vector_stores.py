"""Vector stores: stores, their files, file batches, search, and a helper that uploads files into a
store and waits until they are processed.

Example:
    >>> store = client.vector_stores.create(name="astronomy")
    >>> batch = client.vector_stores.upload_and_poll(store.id,       # paths, or (name, bytes) pairs
    ...     [("mars.md", b"Mars is the red planet."), ("io.md", b"Io is a volcanic moon of Jupiter.")],
    ...     attributes={"topic": "space"})
    >>> batch.status, batch.file_counts.completed
    ('completed', 2)
    >>> results = client.vector_stores.search(store.id, query="moons of jupiter",
    ...     filters={"type": "eq", "key": "topic", "value": "space"})
    >>> results.data[0].filename
    'io.md'
"""

from __future__ import annotations

from jupyter_api_kit.client.objects import APIObject
from jupyter_api_kit.client.polling import poll
from jupyter_api_kit.client.resource import Resource, path_id
from jupyter_api_kit.errors import InvalidInputError
from jupyter_api_kit.spec import COMPARISONS, COMPOUND_FILTERS

FINAL_FILE_STATUSES = ("completed", "failed", "cancelled")


def check_filter(f, where: str = "filters") -> None:
    """Catch a malformed filter before sending it (the server checks again)."""
    if not isinstance(f, dict):
        raise InvalidInputError(f"{where} must be a dict, got {type(f).__name__}", param=where)
    kind = f.get("type")
    if kind in COMPOUND_FILTERS:
        if not isinstance(f.get("filters"), list) or not f["filters"]:
            raise InvalidInputError(f"{where}: an '{kind}' filter needs a non-empty 'filters' list", param=where)
        for i, g in enumerate(f["filters"]):
            check_filter(g, f"{where}.filters[{i}]")
    elif kind in COMPARISONS:
        if not isinstance(f.get("key"), str) or "value" not in f:
            raise InvalidInputError(f"{where}: a comparison needs 'key' and 'value'", param=where)
    else:
        raise InvalidInputError(f"{where}: type must be one of {', '.join(COMPARISONS)}, and, or; got {kind!r}",
                                param=where)


def _vs(vector_store_id) -> str:
    return f"vector_stores/{path_id(vector_store_id, 'vector_store_id')}"


class VectorStoreFiles(Resource):
    """The files of a vector store (`/vector_stores/{id}/files`): attach one uploaded file, list,
    retrieve, update attributes, read the parsed content, detach, and poll until processed. Reached as
    `client.vector_stores.files`.

    Example:
        >>> store = client.vector_stores.create(name="moons")
        >>> f = client.files.create(file=("europa.md", b"Europa hides an ocean."), purpose="assistants")
        >>> client.vector_stores.files.create(store.id, file_id=f.id, attributes={"topic": "space"}).object
        'vector_store.file'
        >>> client.vector_stores.files.poll(store.id, f.id).status
        'completed'
    """

    def create(self, vector_store_id: str, *, file_id: str, attributes: dict | None = None,
               chunking_strategy: dict | None = None) -> APIObject:
        """Attach an uploaded file; it is processed in the background (status `in_progress`)."""
        return self._post(f"{_vs(vector_store_id)}/files", {"file_id": file_id, "attributes": attributes,
                                                             "chunking_strategy": chunking_strategy})

    def list(self, vector_store_id: str, *, filter: str | None = None, limit=None, order=None, after=None,
             before=None):
        """The store's files; `filter` keeps one status (in_progress, completed, failed, cancelled)."""
        return self._list(f"{_vs(vector_store_id)}/files", {"filter": filter, "limit": limit, "order": order,
                                                            "after": after, "before": before})

    def retrieve(self, vector_store_id: str, file_id: str) -> APIObject:
        """One file of the store: status, size in the store, attributes, last error.

        Example:
            >>> f = client.vector_stores.files.list(vs.id).data[0]
            >>> client.vector_stores.files.retrieve(vs.id, f.id).status
            'completed'
        """
        return self._get(f"{_vs(vector_store_id)}/files/{path_id(file_id, 'file_id')}")

    def update(self, vector_store_id: str, file_id: str, *, attributes: dict | None) -> APIObject:
        """Replace a file's attributes (used by search filters)."""
        return self._transport.json("POST", f"{_vs(vector_store_id)}/files/{path_id(file_id, 'file_id')}",
                                    json_body={"attributes": attributes})

    def delete(self, vector_store_id: str, file_id: str) -> APIObject:
        """Detach a file from the store (the file itself stays uploaded)."""
        return self._delete(f"{_vs(vector_store_id)}/files/{path_id(file_id, 'file_id')}")

    def content(self, vector_store_id: str, file_id: str) -> APIObject:
        """The parsed text of a processed file, as `{"data": [{"type": "text", "text": ...}]}`."""
        return self._get(f"{_vs(vector_store_id)}/files/{path_id(file_id, 'file_id')}/content")

    def poll(self, vector_store_id: str, file_id: str, *, timeout: float = 120.0, interval: float = 0.1):
        """Wait until the file is completed, failed or cancelled; returns it. Raises `WaitTimeoutError`
        after `timeout` seconds."""
        return poll(lambda: self.retrieve(vector_store_id, file_id), lambda f: f.get("status") in FINAL_FILE_STATUSES,
                    timeout, interval, what=f"file {file_id} of {vector_store_id}")


class FileBatches(Resource):
    """File batches of a vector store (`/vector_stores/{id}/file_batches`): attach many files in one
    call, then poll, list or cancel the batch. Reached as `client.vector_stores.file_batches`.

    Example:
        >>> client.vector_stores.file_batches.create("vs_abc")
        Traceback (most recent call last):
        ...
        jupyter_api_kit.errors.InvalidInputError: pass exactly one of file_ids or files
        >>> store = client.vector_stores.create(name="planets")
        >>> f1, f2 = (client.files.create(file=(name, text), purpose="assistants")
        ...           for name, text in [("venus.md", b"Venus is hot."), ("mercury.md", b"Mercury is small.")])
        >>> batch = client.vector_stores.file_batches.create(store.id, file_ids=[f1.id, f2.id])
        >>> client.vector_stores.file_batches.poll(store.id, batch.id).file_counts.completed
        2
    """

    def create(self, vector_store_id: str, *, file_ids: list[str] | None = None, files: list[dict] | None = None,
               attributes: dict | None = None, chunking_strategy: dict | None = None) -> APIObject:
        """Attach many files at once: `file_ids` (sharing `attributes`), or `files` entries of
        `{"file_id", "attributes", "chunking_strategy"}`."""
        if (file_ids is None) == (files is None):
            raise InvalidInputError("pass exactly one of file_ids or files", param="file_ids")
        return self._post(f"{_vs(vector_store_id)}/file_batches",
                          {"file_ids": file_ids, "files": files, "attributes": attributes,
                           "chunking_strategy": chunking_strategy})

    def retrieve(self, vector_store_id: str, batch_id: str) -> APIObject:
        """A batch with its status and `file_counts` (in_progress, completed, failed, cancelled, total).

        Example:
            >>> store = client.vector_stores.create(name="comets")
            >>> batch = client.vector_stores.upload_and_poll(store.id, [("halley.md", b"Halley returns.")],
            ...                                              progress=False)
            >>> client.vector_stores.file_batches.retrieve(store.id, batch.id).file_counts.total
            1
        """
        return self._get(f"{_vs(vector_store_id)}/file_batches/{path_id(batch_id, 'batch_id')}")

    def cancel(self, vector_store_id: str, batch_id: str) -> APIObject:
        """Stop processing the batch's files that have not been processed yet."""
        return self._post(f"{_vs(vector_store_id)}/file_batches/{path_id(batch_id, 'batch_id')}/cancel")

    def list_files(self, vector_store_id: str, batch_id: str, *, filter: str | None = None, limit=None,
                   order=None, after=None, before=None):
        """The files of one batch, as a page; `filter` keeps one status.

        Example:
            >>> store = client.vector_stores.create(name="comets")
            >>> batch = client.vector_stores.upload_and_poll(store.id, [("halley.md", b"Halley returns.")],
            ...                                              progress=False)
            >>> batches = client.vector_stores.file_batches
            >>> len(batches.list_files(store.id, batch.id, filter="failed").to_frame())
            0
            >>> batches.list_files(store.id, batch.id, filter="completed").to_frame()["status"].tolist()
            ['completed']
        """
        return self._list(f"{_vs(vector_store_id)}/file_batches/{path_id(batch_id, 'batch_id')}/files",
                          {"filter": filter, "limit": limit, "order": order, "after": after, "before": before})

    def poll(self, vector_store_id: str, batch_id: str, *, timeout: float = 300.0, interval: float = 0.1,
             progress: bool = False) -> APIObject:
        """Wait until the batch is no longer `in_progress`; `progress` shows a bar of processed files.
        Raises `WaitTimeoutError` after `timeout` seconds."""
        bar = None

        def show(batch) -> None:
            nonlocal bar
            counts = batch.file_counts
            if progress:
                if bar is None:
                    from tqdm.auto import tqdm

                    bar = tqdm(total=counts.total, unit="file", desc="processing")
                bar.update(counts.total - counts.in_progress - bar.n)

        try:
            return poll(lambda: self.retrieve(vector_store_id, batch_id), lambda b: b.get("status") != "in_progress",
                        timeout, interval, show, what=f"file batch {batch_id}")
        finally:
            if bar is not None:
                bar.close()


class VectorStores(Resource):
    """The vector stores API group (`/vector_stores`): create, list, retrieve, update, delete and
    search stores, and upload files into one in a single call; `files` and `file_batches` are
    sub-groups. Reached as `client.vector_stores`.

    Example:
        >>> client.vector_stores.search("vs_abc", query="mars", filters={"type": "near"})
        Traceback (most recent call last):
        ...
        jupyter_api_kit.errors.InvalidInputError: filters: type must be one of eq, ne, gt, ... got 'near'
        >>> store = client.vector_stores.create(name="mars")
        >>> client.vector_stores.upload_and_poll(store.id, [("mars.md", b"Mars is red.")]).file_counts.completed
        1
    """

    def __init__(self, transport, client=None):
        super().__init__(transport, client)
        self.files = VectorStoreFiles(transport, client)
        self.file_batches = FileBatches(transport, client)

    def create(self, *, name: str | None = None, file_ids: list[str] | None = None,
               chunking_strategy: dict | None = None, expires_after: dict | None = None,
               metadata: dict | None = None) -> APIObject:
        """A new store, optionally with files (processed in the background).

        Example:
            >>> f = client.files.create(file=("ceres.md", b"Ceres is a dwarf planet."), purpose="assistants")
            >>> store = client.vector_stores.create(name="notes", file_ids=[f.id],
            ...     expires_after={"anchor": "last_active_at", "days": 7},
            ...     chunking_strategy={"type": "static", "static": {"max_chunk_size_tokens": 200,
            ...                                                     "chunk_overlap_tokens": 50}})
            >>> store.object, store.expires_after.days, store.file_counts.total
            ('vector_store', 7, 1)
        """
        return self._post("vector_stores", {"name": name, "file_ids": file_ids, "chunking_strategy": chunking_strategy,
                                            "expires_after": expires_after, "metadata": metadata})

    def list(self, *, limit=None, order=None, after=None, before=None):
        """Vector stores, newest first by default, as a page that iterates every page.

        Example:
            >>> vs.id in client.vector_stores.list(limit=10).to_frame()["id"].tolist()
            True
        """
        return self._list("vector_stores", {"limit": limit, "order": order, "after": after, "before": before})

    def retrieve(self, vector_store_id: str) -> APIObject:
        """A store by id: status, `file_counts`, `usage_bytes`, expiry.

        Example:
            >>> client.vector_stores.retrieve(vs.id).file_counts.completed
            2
        """
        return self._get(_vs(vector_store_id))

    def update(self, vector_store_id: str, **changes) -> APIObject:
        """Change `name`, `expires_after` (None removes it) and/or `metadata`."""
        unknown = set(changes) - {"name", "expires_after", "metadata"}
        if unknown:
            raise InvalidInputError(f"cannot update {sorted(unknown)[0]!r}; only name, expires_after, metadata",
                                    param=sorted(unknown)[0])
        if changes.get("metadata") is not None:
            from jupyter_api_kit.client.validation import check_metadata

            check_metadata(changes["metadata"])
        return self._transport.json("POST", _vs(vector_store_id), json_body=changes)

    def delete(self, vector_store_id: str) -> APIObject:
        """Delete a store (its files stay uploaded).

        Example:
            >>> store = client.vector_stores.create(name="scratch")
            >>> client.vector_stores.delete(store.id).deleted
            True
        """
        return self._delete(_vs(vector_store_id))

    def search(self, vector_store_id: str, *, query, filters: dict | None = None, max_num_results: int | None = None,
               ranking_options: dict | None = None, rewrite_query: bool | None = None) -> APIObject:
        """The chunks most similar to `query` (a string or a list of strings), best first.

        Example:
            >>> space_since_2020 = {"type": "and", "filters": [
            ...     {"type": "eq", "key": "topic", "value": "space"},
            ...     {"type": "gte", "key": "year", "value": 2020}]}
            >>> results = client.vector_stores.search(vs.id, query="red planet", max_num_results=3,
            ...                                       filters=space_since_2020)
            >>> results.data[0].filename, results.data[0].attributes.year
            ('mars.md', 2021)
        """
        if not query or (isinstance(query, list) and not all(isinstance(q, str) and q for q in query)):
            raise InvalidInputError("query must be a non-empty string or list of strings", param="query")
        if filters is not None:
            check_filter(filters)
        return self._post(f"{_vs(vector_store_id)}/search",
                          {"query": query, "filters": filters, "max_num_results": max_num_results,
                           "ranking_options": ranking_options, "rewrite_query": rewrite_query})

    def upload_and_poll(self, vector_store_id: str, files, *, purpose: str = "assistants",
                        attributes: dict | None = None, chunking_strategy: dict | None = None,
                        progress: bool = True, timeout: float = 300.0) -> APIObject:
        """Upload `files` (paths, bytes with names as tuples, or file objects), attach them as one batch
        and wait until they are processed. Returns the finished batch.

        Example:
            >>> store = client.vector_stores.create(name="guide")
            >>> batch = client.vector_stores.upload_and_poll(store.id,
            ...     [("intro.md", b"Start with the telescope."), ("faq.md", b"Clouds block the view.")])
            >>> batch.file_counts.completed
            2
        """
        files = list(files)
        if not files:
            raise InvalidInputError("files is empty: pass at least one file", param="files")
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(files), unit="file", desc="upload")
        try:
            ids = []
            for f in files:
                ids.append(self._client.files.create(file=f, purpose=purpose).id)
                if bar is not None:
                    bar.update(1)
        finally:
            if bar is not None:
                bar.close()
        batch = self.file_batches.create(vector_store_id, file_ids=ids, attributes=attributes,
                                         chunking_strategy=chunking_strategy)
        return self.file_batches.poll(vector_store_id, batch.id, timeout=timeout, progress=progress)
