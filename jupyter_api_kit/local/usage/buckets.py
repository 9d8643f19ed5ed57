"""Usage as the API reports it: `usage_records` aggregated into time buckets.

Buckets are a minute, an hour or a day wide (`1m`, `1h`, `1d`) and, as the API's, the first starts at
`start_time` itself, not at the minute, hour or midnight before it: a day from 12:00 runs to 12:00 the next
day. Records count from `start_time` (inclusive) to `end_time` (exclusive, by default the end of the
bucket holding now). Every bucket of a page is present, with `results: []` when
nothing happened in it. A page holds at most `limit` buckets (defaults and maxima per width as the
API documents: 1d 7/31, 1h 24/168, 1m 60/1440); `next_page` continues where it stopped.

What each kind reports, from the columns `usage_log.record` fills:

| kind                          | fields                                                             |
|-------------------------------|--------------------------------------------------------------------|
| completions                   | token columns (cached and uncached input apart), num_model_requests|
| embeddings, moderations       | input_tokens, num_model_requests                                   |
| images                        | images = quantity, num_model_requests                              |
| audio_speeches                | characters = quantity, num_model_requests                          |
| audio_transcriptions          | seconds = quantity, num_model_requests                             |
| vector_stores                 | usage_bytes = quantity                                             |
| code_interpreter_sessions     | num_sessions = num_model_requests                                  |
| file_search_calls             | num_requests = num_model_requests                                  |
| web_search_calls              | num_requests = num_model_requests (and num_model_requests)         |

Dimensions the records do not carry (image size and source, vector store id, web search context
level) group as null and their filters match nothing; `service_tier` is always `default`.

Example:
    >>> from jupyter_api_kit.local.core.usage_log import record
    >>> record(store, "completions", model="local-ngram", input_tokens=5, output_tokens=7, ts=86400 + 30)
    >>> page = usage_page(store, "completions", {"start_time": "86400", "end_time": "172800",
    ...                                           "bucket_width": "1h", "group_by[]": "model"}, now=200000)
    >>> len(page["data"]), page["data"][0]["results"][0]["output_tokens"], page["data"][1]["results"]
    (24, 7, [])
    >>> later = usage_page(store, "completions", {"start_time": "86410", "end_time": "86530", "bucket_width": "1m"})
    >>> [(b["start_time"], b["end_time"], len(b["results"])) for b in later["data"]]
    [(86410, 86470, 1), (86470, 86530, 0)]
"""

from __future__ import annotations

import base64
import json
import math
import time
from dataclasses import dataclass, field

from jupyter_api_kit.local.core.errors import BadRequest
from jupyter_api_kit.local.core.params import Params, multi_param
from jupyter_api_kit.spec import BUCKET_LIMITS as LIMITS
from jupyter_api_kit.spec import BUCKET_SECONDS as WIDTHS
from jupyter_api_kit.spec import USAGE_GROUPS

#: the last second of the year 9999: later times do not fit SQLite's 64-bit integers in bucket arithmetic
MAX_TIME = 253402300799

#: the SQL a `group_by` value reads; dimensions the records do not carry group as null
_GROUP_SQL = {"project_id": "project_id", "user_id": "user_id", "api_key_id": "api_key_id", "model": "model",
              "batch": "batch", "service_tier": "'default'"}
_ID_FILTERS = {"project_ids": "project_id", "user_ids": "user_id", "api_key_ids": "api_key_id", "models": "model"}
_REQUESTS = {"num_model_requests": "sum(num_model_requests)"}


@dataclass(frozen=True)
class Kind:
    """How one usage endpoint reads `usage_records`."""

    result: str                                  # the result object's `object`
    fields: dict                                 # result field -> SQL aggregate
    groups: dict                                 # group_by value -> SQL expression
    filters: dict = field(default_factory=dict)  # id filter parameter -> column (None: never recorded)
    choices: dict = field(default_factory=dict)  # enumerated filter parameter -> allowed values
    widths: tuple = tuple(WIDTHS)
    limits: dict = field(default_factory=lambda: LIMITS)


def _groups(kind: str) -> dict:
    return {g: _GROUP_SQL.get(g, "NULL") for g in USAGE_GROUPS[kind]}


def _quantity(name: str) -> dict:
    return {name: "CAST(sum(quantity) AS INTEGER)"}


KINDS = {
    "completions": Kind(
        "organization.usage.completions.result",
        {"input_tokens": "sum(input_tokens)", "output_tokens": "sum(output_tokens)",
         "input_cached_tokens": "sum(input_cached_tokens)",
         "input_uncached_tokens": "sum(input_tokens - input_cached_tokens)",
         "input_text_tokens": "sum(input_tokens - input_audio_tokens)",
         "output_text_tokens": "sum(output_tokens - output_audio_tokens)",
         "input_audio_tokens": "sum(input_audio_tokens)", "output_audio_tokens": "sum(output_audio_tokens)",
         **_REQUESTS},
        _groups("completions"), _ID_FILTERS),
    "embeddings": Kind("organization.usage.embeddings.result", {"input_tokens": "sum(input_tokens)", **_REQUESTS},
                       _groups("embeddings"), _ID_FILTERS),
    "moderations": Kind("organization.usage.moderations.result", {"input_tokens": "sum(input_tokens)", **_REQUESTS},
                        _groups("moderations"), _ID_FILTERS),
    "images": Kind("organization.usage.images.result", {**_quantity("images"), **_REQUESTS},
                   _groups("images"), _ID_FILTERS,
                   {"sources": ("image.generation", "image.edit", "image.variation"),
                    "sizes": ("256x256", "512x512", "1024x1024", "1792x1792", "1024x1792")}),
    "audio_speeches": Kind("organization.usage.audio_speeches.result", {**_quantity("characters"), **_REQUESTS},
                           _groups("audio_speeches"), _ID_FILTERS),
    "audio_transcriptions": Kind("organization.usage.audio_transcriptions.result",
                                 {**_quantity("seconds"), **_REQUESTS}, _groups("audio_transcriptions"), _ID_FILTERS),
    "vector_stores": Kind("organization.usage.vector_stores.result", _quantity("usage_bytes"),
                          _groups("vector_stores"), {"project_ids": "project_id"}),
    "code_interpreter_sessions": Kind("organization.usage.code_interpreter_sessions.result",
                                      {"num_sessions": "sum(num_model_requests)"}, _groups("code_interpreter_sessions"),
                                      {"project_ids": "project_id"}),
    "file_search_calls": Kind("organization.usage.file_searches.result", {"num_requests": "sum(num_model_requests)"},
                              _groups("file_search_calls"),
                              {"project_ids": "project_id", "user_ids": "user_id", "api_key_ids": "api_key_id",
                               "vector_store_ids": None}),
    "web_search_calls": Kind("organization.usage.web_searches.result",
                             {"num_model_requests": "sum(num_model_requests)",
                              "num_requests": "sum(num_model_requests)"},
                             _groups("web_search_calls"), {**_ID_FILTERS, "context_levels": None},
                             {"context_levels": ("low", "medium", "high")}),
}


@dataclass
class Window:
    """A parsed usage query: the page of buckets to answer and the records to read."""

    kind: str
    start: int
    end: int
    width_name: str
    width: int
    page_start: int
    count: int          # buckets on this page
    group_by: list
    where: str
    args: list

    @property
    def page_end(self) -> int:
        """The end of this page's last bucket.

        Example:
            >>> w = parse_window("completions", KINDS["completions"], {"start_time": "90000", "end_time": "200000",
            ...                                                        "limit": "1"}, now=300000)
            >>> w.page_start, w.count, w.page_end
            (90000, 1, 176400)
        """
        return self.page_start + self.count * self.width

    @property
    def next_page(self) -> str | None:
        """The `next_page` cursor when buckets remain after this page, else None: an opaque token that
        carries the kind, width, start and where the next page begins.

        Example:
            >>> query = {"start_time": "90000", "end_time": "200000", "limit": "1"}
            >>> w = parse_window("completions", KINDS["completions"], query, now=300000)
            >>> w.next_page.startswith("page_")
            True
            >>> last = parse_window("completions", KINDS["completions"], {**query, "page": w.next_page}, now=300000)
            >>> last.page_start, last.next_page
            (176400, None)
        """
        if self.page_end >= self.end:
            return None
        token = {"k": self.kind, "w": self.width_name, "s": self.start, "t": self.page_end}
        return "page_" + base64.urlsafe_b64encode(json.dumps(token, separators=(",", ":")).encode()).decode()

    def record_range(self) -> tuple[int, int]:
        """The `[from, to)` span of record timestamps this page counts: its buckets, clipped to the
        query's start_time and end_time.

        Example:
            >>> w = parse_window("completions", KINDS["completions"], {"start_time": "90000", "end_time": "200000",
            ...                                                        "limit": "1"}, now=300000)
            >>> w.record_range()
            (90000, 176400)
        """
        return max(self.start, self.page_start), min(self.end, self.page_end)


def parse_window(kind_name: str, spec: Kind, query, now: int | None = None) -> Window:
    """Read and check the query parameters of a usage (or costs) request; 400s name the parameter."""
    p = Params(query)
    now = int(time.time()) if now is None else now
    start = p.int("start_time", required=True, minimum=0, maximum=MAX_TIME)
    width_name = p.str("bucket_width", default="1d", choices=spec.widths)
    width = WIDTHS[width_name]
    end = p.int("end_time", maximum=MAX_TIME)
    if end is not None and end <= start:
        raise BadRequest(f"Invalid 'end_time': {end} must be after start_time ({start}).", param="end_time")
    if end is None:  # up to the end of the bucket holding now
        end = start + width * (max(0, now - start) // width + 1)
    default, maximum = spec.limits[width_name]
    limit = p.int("limit", default=default, minimum=1)
    if limit > maximum:
        allowed = ", ".join(f"{w}: {spec.limits[w][1]}" for w in spec.widths)
        raise BadRequest(f"Invalid 'limit': {limit} is above the maximum of {maximum} buckets for bucket_width "
                         f"'{width_name}' (maxima: {allowed}).", param="limit")
    group_by = multi_param(query, "group_by", empty_ok=False)
    for value in group_by:
        if value not in spec.groups:
            allowed = ", ".join(f"'{g}'" for g in spec.groups)
            raise BadRequest(f"Invalid value for 'group_by': '{value[:40]}'. Supported values for {kind_name} are: "
                             f"{allowed}.", param="group_by")
    group_by = list(dict.fromkeys(group_by))
    page_start = _page_start(p.str("page"), kind_name, width_name, start, end)
    count = min(limit, math.ceil((end - page_start) / width))
    where, args = _filters(kind_name, spec, query, p)
    return Window(kind_name, start, end, width_name, width, page_start, count, group_by, where, args)


def _page_start(token: str | None, kind: str, width_name: str, start: int, end: int) -> int:
    if token is None:
        return start
    try:
        if not token.startswith("page_"):
            raise ValueError
        data = json.loads(base64.urlsafe_b64decode(token[5:].encode()))
        t = int(data["t"])
        same = data["k"] == kind and data["w"] == width_name and data["s"] == start
    except (ValueError, KeyError, TypeError):
        raise BadRequest("Invalid 'page': pass the 'next_page' value of the previous response unchanged.",
                         param="page") from None
    if not same or (t - start) % WIDTHS[width_name] or not start <= t < end:
        raise BadRequest("Invalid 'page': this cursor belongs to another query; keep start_time, end_time and "
                         "bucket_width as they were.", param="page")
    return t


def _filters(kind_name: str, spec: Kind, query, p: Params) -> tuple[str, list]:
    clauses, args = (["1"], []) if kind_name == "costs" else (["kind = ?"], [kind_name])
    for name, column in spec.filters.items():
        values = multi_param(query, name, empty_ok=False)
        if not values:
            continue
        allowed = spec.choices.get(name)
        for value in values:
            if allowed and value not in allowed:
                raise BadRequest(f"Invalid value for '{name}': '{value[:40]}'. Supported values are: "
                                 f"{', '.join(allowed)}.", param=name)
        if column is None:
            clauses.append("0")  # the local server does not record this dimension: nothing matches
        else:
            clauses.append(f"{column} IN ({', '.join('?' * len(values))})")
            args.extend(values)
    for name, allowed in spec.choices.items():
        if name not in spec.filters:
            values = multi_param(query, name, empty_ok=False)
            bad = [v for v in values if v not in allowed]
            if bad:
                raise BadRequest(f"Invalid value for '{name}': '{bad[0][:40]}'. Supported values are: "
                                 f"{', '.join(allowed)}.", param=name)
            if values:
                clauses.append("0")
    if kind_name == "completions" and p.has("batch"):
        clauses.append("batch = ?")
        args.append(1 if p.bool("batch") else 0)
    return " AND ".join(clauses), args


def bucket_rows(store, window: Window, columns: dict, group_sql: list[str]):
    """Rows `(b, g0, g1, ..., aggregates...)` of the window's page in order: `b` is the bucket's index
    on the page, `gN` the value of the N-th expression of `group_sql`."""
    lo, hi = window.record_range()
    groups = [f"{sql} AS g{i}" for i, sql in enumerate(group_sql)]
    select = ", ".join(["(ts - ?) / ? AS b", *groups, *(f"{sql} AS {name}" for name, sql in columns.items())])
    group = ", ".join(["b", *(f"g{i}" for i in range(len(group_sql)))])
    sql = (f"SELECT {select} FROM usage_records WHERE {window.where} AND ts >= ? AND ts < ? "
           f"GROUP BY {group} ORDER BY {group}")
    return store.all(sql, (window.page_start, window.width, *window.args, lo, hi))


def empty_buckets(window: Window) -> list[dict]:
    """Every bucket of the window's page, each with no results yet (a bucket with no usage is still shown).

    Example:
        >>> w = parse_window("completions", KINDS["completions"], {"start_time": "0", "end_time": "7200",
        ...                                                        "bucket_width": "1h"}, now=10000)
        >>> [(b["start_time"], b["end_time"], b["results"]) for b in empty_buckets(w)]
        [(0, 3600, []), (3600, 7200, [])]
    """
    return [{"object": "bucket", "start_time": window.page_start + i * window.width,
             "end_time": window.page_start + (i + 1) * window.width, "results": []} for i in range(window.count)]


def usage_page(store, kind_name: str, query, now: int | None = None) -> dict:
    """The `page` object a usage endpoint answers for `query`."""
    spec = KINDS[kind_name]
    window = parse_window(kind_name, spec, query, now)
    buckets = empty_buckets(window)
    for row in bucket_rows(store, window, spec.fields, [spec.groups[g] for g in window.group_by]):
        result = {"object": spec.result}
        result.update({name: row[name] or 0 for name in spec.fields})
        result.update({g: None for g in spec.groups})
        for i, g in enumerate(window.group_by):
            value = row[f"g{i}"]
            result[g] = bool(value) if g == "batch" and value is not None else value
        buckets[row["b"]]["results"].append(result)
    return {"object": "page", "data": buckets, "has_more": window.next_page is not None,
            "next_page": window.next_page}
