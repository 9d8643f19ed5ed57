"""`client.organization.usage`: the ten usage kinds, and the `UsagePage` they (and costs) return.

Times are Unix seconds, or anything `to_unix` reads: a `datetime` (naive means UTC), a `date`
(midnight UTC), an ISO string such as "2025-03-01" or a pandas Timestamp.

A usage answer is paged by `next_page`; the returned `UsagePage` holds the first page and fetches
the following ones as you iterate, with a progress bar when asked (`progress=True`).

Example:
    >>> _ = client.chat.completions.create(model="local-ngram", messages=[{"role": "user", "content": "Hi"}])
    >>> usage = client.organization.usage
    >>> page = usage.completions(start_time=today, bucket_width="1h", group_by=["model"], progress=True)
    >>> page
    <UsagePage completions: ... buckets, has_more=False>
    >>> frame = page.to_frame()      # every bucket of every page, one row per bucket and group
    >>> "local-ngram" in frame["model"].tolist()
    True
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator

from jupyter_api_kit.client.objects import APIObject
from jupyter_api_kit.client.admin import AdminResource
from jupyter_api_kit.client.pages import Page
from jupyter_api_kit.client.resource import query_params
from jupyter_api_kit.client.validation import drop_unset
from jupyter_api_kit.errors import InvalidInputError
from jupyter_api_kit.spec import BUCKET_LIMITS, BUCKET_SECONDS
from jupyter_api_kit.spec import USAGE_KINDS as KINDS


def to_unix(value, name: str = "start_time") -> int:
    """Unix seconds from an int, a datetime/date, a pandas Timestamp or an ISO date string.

    Example:
        >>> to_unix("2025-01-02"), to_unix(dt.date(2025, 1, 2)), to_unix(1735776000)
        (1735776000, 1735776000, 1735776000)
    """
    if isinstance(value, bool):
        raise InvalidInputError(f"{name} must be a time, got {value!r}", param=name)
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInputError(f"{name}: {value!r} is not a date or time (use e.g. '2025-03-01' or "
                                    "'2025-03-01T12:00')", param=name) from None
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return int((value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)).timestamp())
    if isinstance(value, dt.date):
        return int(dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc).timestamp())
    raise InvalidInputError(f"{name} must be Unix seconds, a datetime, a date or an ISO string, got "
                            f"{type(value).__name__}", param=name)


class UsagePage(Page):
    """One page of usage (or costs) buckets; iterating walks every following page via `next_page`."""

    def __init__(self, kind: str, body: APIObject, fetch: Callable[[dict], APIObject], params: dict,
                 progress: bool = False, note: str | None = None):
        super().__init__(body, fetch, params)
        self.kind = kind
        self.progress = progress
        self.progress_desc = f"{kind} usage"
        #: what the server says about its figures (the local server names its price table here)
        self.note = note

    @property
    def next_page(self) -> str | None:
        """The cursor of the following page (the API's `next_page` field)."""
        return self.body.get("next_page")

    def _next_params(self) -> dict | None:
        if not self.has_more or not self.next_page:
            return None
        return {**self._params, "page": self.next_page}

    def _follow(self, body: APIObject, params: dict) -> "UsagePage":
        return UsagePage(self.kind, body, self._fetch, params, self.progress, getattr(body, "note", self.note))

    def get_next_page(self) -> "UsagePage | None":
        """The following page, or None on the last one."""
        return self.following()

    def _pages_expected(self) -> int | None:
        start, end = self._params.get("start_time"), self._params.get("end_time")
        if start is None or end is None:
            return None
        width_name = self._params.get("bucket_width") or "1d"
        width = BUCKET_SECONDS.get(width_name, BUCKET_SECONDS["1d"])
        limit = self._params.get("limit") or BUCKET_LIMITS.get(width_name, BUCKET_LIMITS["1d"])[0]
        # buckets start at start_time itself, as the API's do
        return max(1, math.ceil(math.ceil((end - start) / width) / limit))

    def _progress_total(self) -> int | None:
        return self._pages_expected()

    def iter_pages(self, progress: bool | None = None) -> Iterator["UsagePage"]:
        """This page and every following one, fetched one at a time (with a tqdm bar if `progress`)."""
        return super().iter_pages(self.progress if progress is None else progress)

    def buckets(self, progress: bool | None = None) -> list[APIObject]:
        """Every bucket of this page and the following ones, as a flat list (pages fetched as needed).

        Example:
            >>> from jupyter_api_kit.client.objects import APIObject
            >>> pages = {None: {"data": [{"start_time": 0}], "has_more": True, "next_page": "p2"},
            ...          "p2": {"data": [{"start_time": 86400}], "has_more": False, "next_page": None}}
            >>> first = UsagePage("completions", APIObject(pages[None]), lambda p: APIObject(pages[p["page"]]), {})
            >>> [b.start_time for b in first.buckets()]
            [0, 86400]
        """
        return [bucket for page in self.iter_pages(progress) for bucket in page.data]

    def to_frame(self, all_pages: bool = True, progress: bool | None = None):
        """Buckets as a tidy DataFrame (`frames.usage_buckets`, or `frames.costs` for costs)."""
        from jupyter_api_kit.frames import costs, usage_buckets

        pages = list(self.iter_pages(progress)) if all_pages else [self]
        return costs(pages) if self.kind == "costs" else usage_buckets(pages, kind=self.kind)

    def _repr_html_(self) -> str:
        return self.to_frame(all_pages=False)._repr_html_()

    def __repr__(self) -> str:
        return f"<UsagePage {self.kind}: {len(self)} buckets, has_more={self.has_more}>"


class Usage(AdminResource):
    """Organization usage (`/organization/usage/<kind>`): one method per usage kind, each returning
    a `UsagePage` of time buckets (`to_frame()` for a tidy DataFrame); costs are
    `client.organization.costs`. Uses the admin key. Reached as `client.organization.usage`.

    Example:
        >>> client.organization.usage.get("tokens", start_time=today)
        Traceback (most recent call last):
        ...
        jupyter_api_kit.errors.InvalidInputError: unknown usage kind 'tokens'; kinds: completions, embeddings, ...
        >>> client.organization.usage.get("embeddings", start_time=today, bucket_width="1h")
        <UsagePage embeddings: ... buckets, has_more=False>
    """

    def _page(self, kind: str, path: str, progress: bool, params: dict) -> UsagePage:
        params = drop_unset(params)
        if "start_time" not in params:
            raise InvalidInputError("start_time is required (Unix seconds, a datetime or an ISO date)",
                                    param="start_time")
        params["start_time"] = to_unix(params["start_time"], "start_time")
        if "end_time" in params:
            params["end_time"] = to_unix(params["end_time"], "end_time")
        if isinstance(params.get("group_by"), str):
            params["group_by"] = [g.strip() for g in params["group_by"].split(",") if g.strip()]

        self._require_admin_key()

        def fetch(p: dict) -> APIObject:
            response = self._transport.request("GET", path, params=query_params(p), admin=True)
            body = APIObject(response.json(), request_id=response.headers.get("x-request-id"))
            body.note = response.headers.get("x-price-table")
            return body

        first = fetch(params)
        return UsagePage(kind, first, fetch, params, progress, first.note)

    def _kind(self, kind: str, progress: bool, **params) -> UsagePage:
        return self._page(kind, f"organization/usage/{kind}", progress, params)

    def get(self, kind: str, *, start_time, progress: bool = False, **params) -> UsagePage:
        """Any usage kind by name, e.g. `usage.get("embeddings", start_time=..., group_by=["model"])`."""
        if kind not in KINDS:
            raise InvalidInputError(f"unknown usage kind {kind!r}; kinds: {', '.join(KINDS)}", param="kind")
        return self._kind(kind, progress, start_time=start_time, **params)

    def completions(self, *, start_time, end_time=None, bucket_width=None, group_by=None, project_ids=None,
                    user_ids=None, api_key_ids=None, models=None, batch: bool | None = None, limit=None, page=None,
                    progress: bool = False) -> UsagePage:
        """Completions usage: input (cached and uncached), output and audio tokens, requests.

        `group_by` takes any of project_id, user_id, api_key_id, model, batch, service_tier.

        Example:
            >>> page = client.organization.usage.completions(start_time=today, group_by=["model"])
            >>> page, "input_tokens" in page.to_frame().columns
            (<UsagePage completions: 1 buckets, has_more=False>, True)
        """
        return self._kind("completions", progress, start_time=start_time, end_time=end_time,
                          bucket_width=bucket_width, group_by=group_by, project_ids=project_ids, user_ids=user_ids,
                          api_key_ids=api_key_ids, models=models, batch=batch, limit=limit, page=page)

    def embeddings(self, *, start_time, end_time=None, bucket_width=None, group_by=None, project_ids=None,
                   user_ids=None, api_key_ids=None, models=None, limit=None, page=None, progress=False) -> UsagePage:
        """Embeddings usage in time buckets (input tokens, requests);
        `group_by` takes any of project_id, user_id, api_key_id, model.

        Example:
            >>> page = client.organization.usage.embeddings(start_time=today, group_by=["model"])
            >>> page, "input_tokens" in page.to_frame().columns
            (<UsagePage embeddings: 1 buckets, has_more=False>, True)
        """
        return self._kind("embeddings", progress, start_time=start_time, end_time=end_time, bucket_width=bucket_width,
                          group_by=group_by, project_ids=project_ids, user_ids=user_ids, api_key_ids=api_key_ids,
                          models=models, limit=limit, page=page)

    def moderations(self, *, start_time, end_time=None, bucket_width=None, group_by=None, project_ids=None,
                    user_ids=None, api_key_ids=None, models=None, limit=None, page=None, progress=False) -> UsagePage:
        """Moderations usage in time buckets (input tokens, requests);
        `group_by` takes any of project_id, user_id, api_key_id, model.

        Example:
            >>> page = client.organization.usage.moderations(start_time=today, group_by=["model"])
            >>> page, "input_tokens" in page.to_frame().columns
            (<UsagePage moderations: 1 buckets, has_more=False>, True)
        """
        return self._kind("moderations", progress, start_time=start_time, end_time=end_time,
                          bucket_width=bucket_width, group_by=group_by, project_ids=project_ids, user_ids=user_ids,
                          api_key_ids=api_key_ids, models=models, limit=limit, page=page)

    def images(self, *, start_time, end_time=None, bucket_width=None, group_by=None, project_ids=None,
               user_ids=None, api_key_ids=None, models=None, sources=None, sizes=None, limit=None, page=None,
               progress=False) -> UsagePage:
        """Images usage in time buckets (images, requests);
        `group_by` takes any of project_id, user_id, api_key_id, model, size, source.

        Example:
            >>> page = client.organization.usage.images(start_time=today, group_by=["size"])
            >>> page, "images" in page.to_frame().columns
            (<UsagePage images: 1 buckets, has_more=False>, True)
        """
        return self._kind("images", progress, start_time=start_time, end_time=end_time, bucket_width=bucket_width,
                          group_by=group_by, project_ids=project_ids, user_ids=user_ids, api_key_ids=api_key_ids,
                          models=models, sources=sources, sizes=sizes, limit=limit, page=page)

    def audio_speeches(self, *, start_time, end_time=None, bucket_width=None, group_by=None, project_ids=None,
                       user_ids=None, api_key_ids=None, models=None, limit=None, page=None,
                       progress=False) -> UsagePage:
        """Text-to-speech usage in time buckets (characters, requests);
        `group_by` takes any of project_id, user_id, api_key_id, model.

        Example:
            >>> page = client.organization.usage.audio_speeches(start_time=today, group_by=["model"])
            >>> page, "characters" in page.to_frame().columns
            (<UsagePage audio_speeches: 1 buckets, has_more=False>, True)
        """
        return self._kind("audio_speeches", progress, start_time=start_time, end_time=end_time,
                          bucket_width=bucket_width, group_by=group_by, project_ids=project_ids, user_ids=user_ids,
                          api_key_ids=api_key_ids, models=models, limit=limit, page=page)

    def audio_transcriptions(self, *, start_time, end_time=None, bucket_width=None, group_by=None, project_ids=None,
                             user_ids=None, api_key_ids=None, models=None, limit=None, page=None,
                             progress=False) -> UsagePage:
        """Transcription usage in time buckets (seconds, requests);
        `group_by` takes any of project_id, user_id, api_key_id, model.

        Example:
            >>> page = client.organization.usage.audio_transcriptions(start_time=today, group_by=["model"])
            >>> page, "seconds" in page.to_frame().columns
            (<UsagePage audio_transcriptions: 1 buckets, has_more=False>, True)
        """
        return self._kind("audio_transcriptions", progress, start_time=start_time, end_time=end_time,
                          bucket_width=bucket_width, group_by=group_by, project_ids=project_ids, user_ids=user_ids,
                          api_key_ids=api_key_ids, models=models, limit=limit, page=page)

    def vector_stores(self, *, start_time, end_time=None, bucket_width=None, group_by=None, project_ids=None,
                      limit=None, page=None, progress=False) -> UsagePage:
        """Vector store usage in time buckets (bytes stored); `group_by` takes project_id.

        Example:
            >>> page = client.organization.usage.vector_stores(start_time=today, group_by=["project_id"])
            >>> page, "usage_bytes" in page.to_frame().columns
            (<UsagePage vector_stores: 1 buckets, has_more=False>, True)
        """
        return self._kind("vector_stores", progress, start_time=start_time, end_time=end_time,
                          bucket_width=bucket_width, group_by=group_by, project_ids=project_ids, limit=limit, page=page)

    def code_interpreter_sessions(self, *, start_time, end_time=None, bucket_width=None, group_by=None,
                                  project_ids=None, limit=None, page=None, progress=False) -> UsagePage:
        """Code interpreter usage in time buckets (sessions); `group_by` takes project_id.

        Example:
            >>> page = client.organization.usage.code_interpreter_sessions(start_time=today)
            >>> page, "num_sessions" in page.to_frame().columns
            (<UsagePage code_interpreter_sessions: 1 buckets, has_more=False>, True)
        """
        return self._kind("code_interpreter_sessions", progress, start_time=start_time, end_time=end_time,
                          bucket_width=bucket_width, group_by=group_by, project_ids=project_ids, limit=limit, page=page)

    def file_search_calls(self, *, start_time, end_time=None, bucket_width=None, group_by=None, project_ids=None,
                          user_ids=None, api_key_ids=None, vector_store_ids=None, limit=None, page=None,
                          progress=False) -> UsagePage:
        """File search usage in time buckets (tool calls);
        `group_by` takes any of project_id, user_id, api_key_id, vector_store_id.

        Example:
            >>> page = client.organization.usage.file_search_calls(start_time=today, group_by=["project_id"])
            >>> page, "num_requests" in page.to_frame().columns
            (<UsagePage file_search_calls: 1 buckets, has_more=False>, True)
        """
        return self._kind("file_search_calls", progress, start_time=start_time, end_time=end_time,
                          bucket_width=bucket_width, group_by=group_by, project_ids=project_ids, user_ids=user_ids,
                          api_key_ids=api_key_ids, vector_store_ids=vector_store_ids, limit=limit, page=page)

    def web_search_calls(self, *, start_time, end_time=None, bucket_width=None, group_by=None, project_ids=None,
                         user_ids=None, api_key_ids=None, models=None, context_levels=None, limit=None, page=None,
                         progress=False) -> UsagePage:
        """Web search usage in time buckets (tool calls);
        `group_by` takes any of project_id, user_id, api_key_id, model, context_level.

        Example:
            >>> page = client.organization.usage.web_search_calls(start_time=today, group_by=["model"])
            >>> page, "num_requests" in page.to_frame().columns
            (<UsagePage web_search_calls: 1 buckets, has_more=False>, True)
        """
        return self._kind("web_search_calls", progress, start_time=start_time, end_time=end_time,
                          bucket_width=bucket_width, group_by=group_by, project_ids=project_ids, user_ids=user_ids,
                          api_key_ids=api_key_ids, models=models, context_levels=context_levels, limit=limit,
                          page=page)
