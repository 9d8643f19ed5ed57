"""List results: one page in hand, every following page fetched lazily on iteration.

Example:
    >>> for text in ("Hi", "Hello", "Hey"):
    ...     _ = client.chat.completions.create(model="local-ngram", store=True, metadata={"demo": "pages"},
    ...                                        messages=[{"role": "user", "content": text}])
    >>> page = client.chat.completions.list(limit=2, metadata={"demo": "pages"}, order="asc")
    >>> len(page.data), page.has_more                       # this page only
    (2, True)
    >>> [c.id for c in page] == [c.id for c in page.data] + [page.following().data[0].id]  # every page
    True
    >>> page.to_frame()["model"].tolist()                   # this page as a DataFrame
    ['local-ngram', 'local-ngram']
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from jupyter_api_kit.client.objects import APIList, APIObject


class Page:
    """A page of a list that knows how to fetch the page after it.

    `fetch(params)` returns a page's JSON; it is bound by the resource that made this page.
    Subclasses say how the next page is asked for (`_next_params`) and how to build it (`_follow`).
    """

    progress_desc = "pages"

    def __init__(self, body: APIObject, fetch: Callable[[dict], APIObject], params: dict):
        self.body = body
        self._fetch = fetch
        self._params = dict(params)

    @property
    def data(self) -> APIList:
        """This page's items."""
        return APIList(self.body.get("data") or [])

    @property
    def has_more(self) -> bool:
        """Whether the server has items after this page (iterating the page fetches them).

        Example:
            >>> CursorPage(APIObject({"data": [], "has_more": False}), fetch=None, params={}).has_more
            False
        """
        return bool(self.body.get("has_more"))

    @property
    def request_id(self) -> str | None:
        """The `x-request-id` of the response that carried this page (for support requests).

        Example:
            >>> CursorPage(APIObject({"data": []}, request_id="req_123"), fetch=None, params={}).request_id
            'req_123'
        """
        return self.body.request_id

    def __len__(self) -> int:
        return len(self.body.get("data") or [])

    def _next_params(self) -> dict | None:
        raise NotImplementedError

    def _follow(self, body: APIObject, params: dict) -> "Page":
        return type(self)(body, self._fetch, params)

    def following(self) -> "Page | None":
        """The following page, or None on the last one."""
        params = self._next_params()
        return None if params is None else self._follow(self._fetch(params), params)

    def _progress_total(self) -> int | None:
        return None

    def iter_pages(self, progress: bool = False) -> Iterator["Page"]:
        """This page and every following one, fetched one at a time; `progress` shows a tqdm bar."""
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=self._progress_total(), unit="page", desc=self.progress_desc)
        page = self
        try:
            while page is not None:
                if bar is not None:
                    bar.update(1)
                yield page
                page = page.following()
        finally:
            if bar is not None:
                bar.close()

    def __iter__(self) -> Iterator[APIObject]:
        """Every item of every page."""
        for page in self.iter_pages():
            yield from page.data

    def to_list(self) -> list[APIObject]:
        """Every item of every page."""
        return list(self)


class CursorPage(Page):
    """A page of a cursor-paged list (`after`, `has_more`, `last_id`)."""

    @property
    def first_id(self) -> str | None:
        """The id of the first item, as the server reports it (None if it does not).

        Example:
            >>> CursorPage(APIObject({"data": [{"id": "a"}], "first_id": "a"}), fetch=None, params={}).first_id
            'a'
        """
        return self.body.get("first_id")

    @property
    def last_id(self) -> str | None:
        """The id of the last item: the cursor (`after`) for the following page. Taken from the
        items when the server leaves `last_id` out.

        Example:
            >>> more = {"after=b": APIObject({"data": [{"id": "c"}], "has_more": False})}
            >>> page = CursorPage(APIObject({"data": [{"id": "a"}, {"id": "b"}], "has_more": True}),
            ...                   fetch=lambda params: more[f"after={params['after']}"], params={"limit": 2})
            >>> page.last_id, [item.id for item in page]
            ('b', ['a', 'b', 'c'])
        """
        last = self.body.get("last_id")
        if last is None and self.body.get("data"):
            last = self.body["data"][-1].get("id")
        return last

    def _next_params(self) -> dict | None:
        if not self.has_more or not self.last_id:
            return None
        return {**self._params, "after": self.last_id}

    def next_page(self) -> "CursorPage | None":
        """The following page, or None on the last one."""
        return self.following()

    def to_frame(self, all_pages: bool = False):
        """This page (or, with `all_pages=True`, every page) as a DataFrame; metadata keys become
        `metadata.<key>` columns."""
        from jupyter_api_kit.frames import to_frame

        return to_frame(self.to_list() if all_pages else list(self.body.get("data") or []))

    def _repr_html_(self) -> str:
        return self.to_frame()._repr_html_()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {len(self)} items, has_more={self.has_more}>"
