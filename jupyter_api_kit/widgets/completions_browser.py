"""A panel to page through stored chat completions, read one, and edit its metadata in place.

One page is fetched at a time (`order=desc`, newest first); the cursors of the pages already seen are
kept on a stack so Prev goes back without reloading anything else. Every API error becomes one line
in the status label.

Example:
    >>> from jupyter_api_kit.widgets import CompletionsBrowser
    >>> for text in ("Hi", "Hello"):
    ...     _ = client.chat.completions.create(model="local-ngram", store=True, metadata={"topic": "tour"},
    ...                                        messages=[{"role": "user", "content": text}])
    >>> browser = CompletionsBrowser(client=client, page_size=5)
    >>> browser.apply_filters(metadata="topic=tour")
    True
    >>> browser.status
    'Page 1: 2 stored completion(s) matching topic=tour.'
    >>> browser.select(browser.page_ids[0])
    True
    >>> browser.editor.set_pair(0, "topic", "space"); browser.editor.save()
    True
    >>> client.chat.completions.retrieve(browser.selected_id).metadata
    <APIObject> {"topic": "space"}
    >>> browser            # a notebook shows the filters, the list, the reader and the editor
    CompletionsBrowser(children=(HBox(...
"""

from __future__ import annotations

import html
import re
from datetime import datetime

import ipywidgets as widgets
from traitlets import Bool, Dict, Int, List, Unicode, observe

from jupyter_api_kit.errors import APIError, InvalidInputError, JupyterAPIKitError
from jupyter_api_kit.widgets.metadata_editor import MetadataEditor

SNIPPET_CHARS = 48
_ERROR_LINE = re.compile(r"^\w+(Error|Exception): ")  # the shape of `one_line` output


def one_line(err: Exception) -> str:
    """An error as the single line the status label shows.

    Example:
        >>> one_line(InvalidInputError("bad filter"))
        'InvalidInputError: bad filter'
    """
    if isinstance(err, APIError):
        return err.one_line()
    return f"{type(err).__name__}: {err}".replace("\n", " ")


def parse_metadata_filter(text: str) -> dict:
    """`"k=v, k2=v2"` as a dict; an empty text is no filter.

    Example:
        >>> parse_metadata_filter("topic=demo, lang = en")
        {'topic': 'demo', 'lang': 'en'}
        >>> parse_metadata_filter("  ")
        {}
    """
    pairs = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise InvalidInputError(f"metadata filter {part.strip()!r} is not key=value "
                                    "(separate several pairs with commas)", param="metadata")
        pairs[key.strip()] = value.strip()
    return pairs


def _snippet(text, limit: int = SNIPPET_CHARS) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _format_metadata(metadata) -> str:
    return ", ".join(f"{k}={v}" for k, v in (metadata or {}).items())


class CompletionsBrowser(widgets.VBox):
    """Stored chat completions, one page at a time, with filters, a reader and a metadata editor.

    Args:
        client: a `jupyter_api_kit.client.Client`; by default the magics' client when the extension is
            loaded, else `Client()` (the embedded local server when no key is set).
        page_size: completions per page (the API's `limit`).
        model: only completions made by this model.
        metadata: only completions carrying these pairs (a dict, or `"k=v, k2=v2"`).

    Example:
        >>> for text in ("Hi", "Hello"):
        ...     _ = client.chat.completions.create(model="local-ngram", store=True, metadata={"topic": "paging"},
        ...                                        messages=[{"role": "user", "content": text}])
        >>> browser = CompletionsBrowser(client=client, page_size=1, metadata={"topic": "paging"})
        >>> browser.next_page(), browser.page_number, browser.has_more
        (True, 2, False)
        >>> browser.next_page(), browser.status
        (False, 'This is the last page.')
    """

    page_ids = List(Unicode(), help="Ids of the completions on the current page, newest first.")
    selected_id = Unicode(None, allow_none=True, help="Id of the completion shown in the reader and editor.")
    status = Unicode("", help="One line about the last action: what was loaded or saved, or the API error.")
    page_number = Int(1, help="1-based number of the current page.")
    has_more = Bool(False, help="True when the server has a page after this one.")
    page_size = Int(10, help="Completions fetched per page (the API's `limit`).")
    model_filter = Unicode("", help="Only list completions made by this model; empty for any model.")
    metadata_filter = Dict(help="Only list completions carrying all of these metadata pairs.")

    def __init__(self, client=None, page_size: int = 10, model: str | None = None, metadata=None, **kwargs):
        if client is None:  # the magics' connection when the extension is loaded, else Client()
            from jupyter_api_kit.widgets.connection import default_client

            client = default_client()
        self.client = client
        # `after` cursor of every page from the first to the current one: Prev pops, Next pushes.
        self._cursors: list[str | None] = [None]
        self._items: list = []
        self._snippets: dict[str, str] = {}  # first user message per id; messages never change once stored
        self._quiet = False  # set while the code (not the user) changes a widget, so observers stay still
        self._build()
        super().__init__(children=[self._filters, self._list, self._nav, self._status_label, self._detail],
                         **kwargs)
        self.add_class("jak-completions-browser")
        self.page_size = page_size
        self.apply_filters(model=model, metadata=metadata)

    # -- widgets ----------------------------------------------------------------------------------
    def _build(self) -> None:
        self._model_text = widgets.Text(placeholder="any model", description="model",
                                        continuous_update=False)
        self._meta_text = widgets.Text(placeholder="key=value, ...", description="metadata",
                                       continuous_update=False)
        self._refresh_button = widgets.Button(description="Refresh", icon="refresh")
        self._list = widgets.Select(options=[], rows=10, layout=widgets.Layout(width="100%"))
        self._prev_button = widgets.Button(description="Prev", icon="arrow-left", disabled=True)
        self._next_button = widgets.Button(description="Next", icon="arrow-right", disabled=True)
        self._page_label = widgets.Label()
        self._status_label = widgets.HTML()
        self._messages = widgets.HTML()
        self._stored = widgets.HTML()
        self.editor = MetadataEditor(on_save=self._save_metadata)
        self._detail = widgets.VBox([self._messages, self._stored, self.editor],
                                    layout=widgets.Layout(display="none"))
        self._filters = widgets.HBox([self._model_text, self._meta_text, self._refresh_button])
        self._nav = widgets.HBox([self._prev_button, self._page_label, self._next_button])
        for widget, css in ((self._model_text, "jak-model-filter"), (self._meta_text, "jak-metadata-filter"),
                            (self._refresh_button, "jak-refresh"), (self._list, "jak-completions-list"),
                            (self._prev_button, "jak-prev"), (self._next_button, "jak-next"),
                            (self._page_label, "jak-page-label"), (self._status_label, "jak-status"),
                            (self._messages, "jak-messages"), (self._stored, "jak-stored")):
            widget.add_class(css)
        self._model_text.observe(self._filter_typed, "value")
        self._meta_text.observe(self._filter_typed, "value")
        self._refresh_button.on_click(lambda _b: self.refresh())
        self._prev_button.on_click(lambda _b: self.prev_page())
        self._next_button.on_click(lambda _b: self.next_page())
        self._list.observe(self._list_picked, "value")

    # -- actions (each button or filter calls one of these) ---------------------------------------
    def refresh(self) -> bool:
        """Reload the current page from the server; True when it loaded."""
        return self._load(self._cursors)

    def next_page(self) -> bool:
        """Load the page after this one; False (and a status line) on the last page or an error."""
        if not self.has_more or not self.page_ids:
            self.status = "This is the last page."
            return False
        return self._load([*self._cursors, self.page_ids[-1]])

    def prev_page(self) -> bool:
        """Load the page before this one; False (and a status line) on the first page or an error."""
        if len(self._cursors) < 2:
            self.status = "This is the first page."
            return False
        return self._load(self._cursors[:-1])

    def apply_filters(self, model: str | None = None, metadata=None) -> bool:
        """Replace the filters (None or empty means no filter) and go back to the first page.

        `metadata` is a dict or a `"k=v, k2=v2"` text.

        Example:
            >>> browser = CompletionsBrowser(client=client)
            >>> browser.apply_filters(model="local-ngram", metadata="topic=demo")
            True
            >>> browser.apply_filters(metadata="topic")
            False
            >>> browser.status
            "InvalidInputError: metadata filter 'topic' is not key=value (separate several pairs with commas)"
        """
        try:
            pairs = parse_metadata_filter(metadata) if isinstance(metadata, str) else dict(metadata or {})
        except InvalidInputError as err:
            self.status = one_line(err)
            return False
        self.model_filter = (model or "").strip()
        self.metadata_filter = pairs
        self._quietly(self._set_filter_texts)
        return self._load([None])

    def select(self, completion_id: str) -> bool:
        """Show a completion's messages and answer, and load its metadata into the editor.

        Example:
            >>> c = client.chat.completions.create(model="local-ngram", store=True,
            ...                                    messages=[{"role": "user", "content": "Hi"}])
            >>> browser = CompletionsBrowser(client=client)
            >>> browser.select(c.id), browser.editor.metadata
            (True, {})
            >>> browser.select("chatcmpl-abc123"), browser.status
            (False, "NotFoundError: No chat completion found with id 'chatcmpl-abc123'. (404 ...)")
        """
        completions = self.client.chat.completions
        try:
            completion = completions.retrieve(completion_id)
            messages = completions.messages.list(completion_id, limit=100)
        except JupyterAPIKitError as err:
            self.status = one_line(err)
            return False
        self.selected_id = completion_id
        self._quietly(self._mark_in_list)
        self._messages.value = self._render_messages(completion, list(messages.data), messages.has_more)
        self._show_stored(completion)
        self.editor.load(dict(completion.get("metadata") or {}))
        self._detail.layout.display = None
        self.status = f"Showing {completion_id}."
        return True

    # -- server calls -----------------------------------------------------------------------------
    def _load(self, cursors: list) -> bool:
        """Fetch the page after `cursors[-1]`; the stack only changes when the page arrived."""
        self.status = "Loading…"
        try:
            page = self.client.chat.completions.list(
                limit=self.page_size, after=cursors[-1], order="desc",
                model=self.model_filter or None, metadata=self.metadata_filter or None)
            snippets = {item["id"]: self._first_user_message(item["id"]) for item in page.data}
        except JupyterAPIKitError as err:
            self.status = one_line(err)
            return False
        self._cursors = list(cursors)
        self._items = list(page.data)
        self.has_more = page.has_more
        self.page_number = len(self._cursors)
        self.page_ids = [item["id"] for item in self._items]
        self._quietly(self._show_list, snippets)
        filters = ", ".join(x for x in (self.model_filter and f"model={self.model_filter}",
                                        _format_metadata(self.metadata_filter)) if x)
        self.status = (f"Page {self.page_number}: {len(self._items)} stored completion(s)"
                       + (f" matching {filters}." if filters else "."))
        return True

    def _first_user_message(self, completion_id: str) -> str:
        if completion_id not in self._snippets:
            try:
                messages = self.client.chat.completions.messages.list(completion_id, limit=10)
            except APIError:
                return ""  # a missing snippet should not hide the whole page
            first = next((m for m in messages.data if m.get("role") == "user"), None)
            self._snippets[completion_id] = _snippet(first.get("content") if first else "")
        return self._snippets[completion_id]

    def _save_metadata(self, metadata: dict) -> dict | None:
        """The editor's Save: send the update, show what the server stored, and return it."""
        if not self.selected_id:
            self.status = "Select a completion first."
            return None
        try:
            stored = self.client.chat.completions.update(self.selected_id, metadata=metadata)
        except JupyterAPIKitError as err:
            self.status = one_line(err)
            return None
        self._items = [stored if item["id"] == stored["id"] else item for item in self._items]
        self._quietly(self._show_list, {})
        self._show_stored(stored)
        request = f" (request {stored.request_id})" if stored.request_id else ""
        self.status = f"Saved metadata of {stored['id']}{request}."
        return dict(stored.get("metadata") or {})

    # -- display ----------------------------------------------------------------------------------
    def _label(self, item, snippet: str) -> str:
        created = datetime.fromtimestamp(item.get("created") or 0).strftime("%Y-%m-%d %H:%M")
        meta = _format_metadata(item.get("metadata"))
        return "  ".join(x for x in (item["id"], created, item.get("model") or "", f"“{snippet}”" if snippet else "",
                                     f"[{meta}]" if meta else "") if x)

    def _show_list(self, snippets: dict) -> None:
        self._snippets.update(snippets)
        # Options must be reset without a selection, or ipywidgets would select (and load) the first one.
        self._list.index = None
        self._list.options = [(self._label(item, self._snippets.get(item["id"], "")), item["id"])
                              for item in self._items]
        # Two rows at least: a one-row <select> renders as a drop-down instead of a list.
        self._list.rows = max(2, min(self.page_size, len(self._items)))
        self._mark_in_list()
        first_page, last_page = len(self._cursors) < 2, not self.has_more
        self._prev_button.disabled, self._next_button.disabled = first_page, last_page
        self._page_label.value = f"page {self.page_number}" + ("" if last_page else " · more")

    def _mark_in_list(self) -> None:
        self._list.value = self.selected_id if self.selected_id in self.page_ids else None

    def _render_messages(self, completion, messages: list, truncated: bool) -> str:
        rows = [f"<b>{html.escape(str(m.get('role')))}</b>: {html.escape(str(m.get('content') or ''))}"
                for m in messages]
        if truncated:
            rows.append("<i>(more messages not shown)</i>")
        for choice in completion.get("choices") or []:
            message = choice.get("message") or {}
            rows.append(f"<b>answer {choice.get('index', 0)}</b> ({html.escape(str(completion.get('model')))}): "
                        f"{html.escape(str(message.get('content') or ''))}")
        body = "<br>".join(rows)
        return (f'<div style="white-space: pre-wrap; max-height: 20em; overflow-y: auto">'
                f"<b>{html.escape(completion['id'])}</b><br>{body}</div>")

    def _show_stored(self, completion) -> None:
        meta = _format_metadata(completion.get("metadata")) or "(none)"
        self._stored.value = f"Stored metadata: <code>{html.escape(meta)}</code>"

    def _set_filter_texts(self) -> None:
        self._model_text.value = self.model_filter
        self._meta_text.value = _format_metadata(self.metadata_filter)

    def _quietly(self, update, *args) -> None:
        self._quiet = True
        try:
            update(*args)
        finally:
            self._quiet = False

    # -- observers --------------------------------------------------------------------------------
    def _filter_typed(self, _change) -> None:
        if not self._quiet:
            self.apply_filters(model=self._model_text.value, metadata=self._meta_text.value)

    def _list_picked(self, change) -> None:
        if not self._quiet and change["new"] and change["new"] != self.selected_id:
            self.select(change["new"])

    @observe("status")
    def _status_changed(self, change) -> None:
        text = change["new"]
        color = "var(--jp-error-color1, #c62828)" if _ERROR_LINE.match(text) else "inherit"
        self._status_label.value = f'<span style="color: {color}">{html.escape(text)}</span>'
