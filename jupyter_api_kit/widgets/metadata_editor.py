"""An inline key/value editor for the metadata of a stored object, checked against the API's limits as you type.

The rows are the source of truth while editing (they may hold an empty key or the same key twice for
a moment); `metadata` is the dict Save would send, `problem` the first reason it cannot be sent.

Example:
    >>> editor = MetadataEditor(metadata={"topic": "demo"})
    >>> editor.set_pair(0, "topic", "space")
    >>> editor.dirty, editor.problem
    (True, '')
    >>> editor.add_pair("k" * 65, "v")
    >>> editor.problem.startswith("metadata key 'kkkk")
    True
    >>> editor.save()
    False
    >>> editor.revert(); editor.metadata
    {'topic': 'demo'}
"""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as widgets
from traitlets import Bool, Dict, List, Unicode, observe

from jupyter_api_kit.client.validation import metadata_problem
from jupyter_api_kit.spec import MAX_METADATA_PAIRS


def rows_problem(pairs) -> str | None:
    """The first reason a list of `(key, value)` rows cannot be sent as metadata, or None.

    Rows are checked before they become a dict, so an empty or repeated key is named instead of
    silently dropped.

    Example:
        >>> rows_problem([("a", "1"), ("a", "2")])
        "pair 2: key 'a' is already used in pair 1"
        >>> rows_problem([("", "x")])
        'pair 1: the key is empty; type a key or remove the pair'
        >>> rows_problem([("a", "1")]) is None
        True
    """
    seen: dict[str, int] = {}
    if len(pairs) > MAX_METADATA_PAIRS:
        return f"metadata has {len(pairs)} pairs; at most {MAX_METADATA_PAIRS} are allowed"
    for number, (key, _value) in enumerate(pairs, start=1):
        if key == "":
            return f"pair {number}: the key is empty; type a key or remove the pair"
        if key in seen:
            return f"pair {number}: key '{key[:20]}' is already used in pair {seen[key]}"
        seen[key] = number
    return metadata_problem(dict(pairs))


class _Row:
    """The widgets of one key/value row. Rows are positional: row i always shows pair i."""

    def __init__(self, editor: "MetadataEditor"):
        self.key = widgets.Text(placeholder="key", continuous_update=True,
                                layout=widgets.Layout(width="30%"))
        self.value = widgets.Text(placeholder="value", continuous_update=True,
                                  layout=widgets.Layout(width="55%"))
        self.remove = widgets.Button(icon="trash", tooltip="remove this pair",
                                     layout=widgets.Layout(width="40px"))
        self.key.add_class("jak-meta-key")
        self.value.add_class("jak-meta-value")
        self.remove.add_class("jak-meta-remove")
        self.box = widgets.HBox([self.key, self.value, self.remove])
        self.key.observe(lambda _c: editor._typed(self), "value")
        self.value.observe(lambda _c: editor._typed(self), "value")
        self.remove.on_click(lambda _b: editor.remove_pair(editor._rows.index(self)))

    def show(self, key: str, value: str) -> None:
        self.key.value, self.value.value = key, value

    def close(self) -> None:
        for w in (self.key, self.value, self.remove, self.box):
            w.close()


class MetadataEditor(widgets.VBox):
    """Rows of key/value pairs with add, remove, Save and Revert; limits are checked as you type.

    `on_save(metadata) -> dict | None` sends the metadata and returns what the server stored (which
    becomes `original`), or None when it failed (the edits are kept). Without it, Save only commits
    the edits locally.

    Example:
        >>> stored = {}
        >>> editor = MetadataEditor(metadata={"a": "1"}, on_save=lambda md: stored.update(md) or dict(md))
        >>> editor.add_pair("b", "2"); editor.save()
        True
        >>> stored, editor.original, editor.dirty
        ({'a': '1', 'b': '2'}, {'a': '1', 'b': '2'}, False)
    """

    pairs = List(help="The edited rows as [key, value] lists, in order; may be invalid while typing.")
    metadata = Dict(help="The edited pairs as a dict: what Save sends. Setting it replaces the rows.")
    original = Dict(help="The metadata as last stored (loaded or returned by the server after Save).")
    problem = Unicode("", help="The first reason the edited pairs break the API's limits; empty when valid.")
    dirty = Bool(False, help="True when the edited pairs differ from `original`.")

    def __init__(self, metadata: dict | None = None, on_save: Callable[[dict], dict | None] | None = None,
                 **kwargs):
        self._on_save = on_save
        self._rows: list[_Row] = []
        # Guards the row widgets <-> traits loop: programmatic updates must not echo back as typing.
        self._syncing = False
        self._rows_box = widgets.VBox()
        self._message = widgets.HTML()
        self._message.add_class("jak-meta-problem")
        self._add = widgets.Button(description="add pair", icon="plus")
        self._save = widgets.Button(description="Save", button_style="primary", disabled=True)
        self._revert = widgets.Button(description="Revert", disabled=True)
        self._add.add_class("jak-meta-add")
        self._save.add_class("jak-save")
        self._revert.add_class("jak-revert")
        self._add.on_click(lambda _b: self.add_pair())
        self._save.on_click(lambda _b: self.save())
        self._revert.on_click(lambda _b: self.revert())
        super().__init__(children=[self._rows_box, self._message,
                                   widgets.HBox([self._add, self._save, self._revert])], **kwargs)
        self.add_class("jak-metadata-editor")
        self.load(metadata or {})

    # -- actions (each button calls one of these) -------------------------------------------------
    def load(self, metadata: dict) -> None:
        """Show `metadata` as the stored state: rows replaced, nothing dirty.

        Example:
            >>> e = MetadataEditor(); e.load({"x": "1"}); e.pairs, e.dirty
            ([['x', '1']], False)
        """
        self.original = dict(metadata)
        self.pairs = [[str(k), str(v)] for k, v in metadata.items()]

    def add_pair(self, key: str = "", value: str = "") -> None:
        """Append a row (empty by default, which shows as a problem until a key is typed)."""
        self.pairs = [*self.pairs, [key, value]]

    def remove_pair(self, index: int) -> None:
        """Remove row `index` (0-based); the rows below move up."""
        pairs = list(self.pairs)
        del pairs[index]
        self.pairs = pairs

    def set_pair(self, index: int, key: str, value: str) -> None:
        """Replace row `index` with `key`/`value`, as typing in that row does."""
        pairs = [list(p) for p in self.pairs]
        pairs[index] = [key, value]
        self.pairs = pairs

    def save(self) -> bool:
        """Send the edited pairs through `on_save`; True when they were stored.

        Nothing is sent while `problem` is set.
        """
        if self.problem:
            return False
        edited = dict(self.metadata)
        stored = self._on_save(edited) if self._on_save is not None else edited
        if stored is None:
            return False
        self.load(stored)
        return True

    def revert(self) -> None:
        """Discard the edits: the rows show `original` again."""
        self.load(self.original)

    # -- derived state ----------------------------------------------------------------------------
    @observe("pairs")
    def _pairs_changed(self, change) -> None:
        pairs = [tuple(p) for p in change["new"]]
        self._show_rows(pairs)
        self.problem = rows_problem(pairs) or ""
        self._syncing = True
        try:
            # With an empty or repeated key the dict is only approximate; `problem` blocks Save then.
            self.metadata = dict(pairs)
        finally:
            self._syncing = False
        self._update_state()

    @observe("metadata")
    def _metadata_set(self, change) -> None:
        if not self._syncing and change["new"] != dict(tuple(p) for p in self.pairs):
            self.pairs = [[k, v] for k, v in change["new"].items()]

    @observe("original")
    def _original_changed(self, _change) -> None:
        self._update_state()

    @observe("problem")
    def _problem_changed(self, change) -> None:
        text = change["new"]
        self._message.value = (f'<span style="color: var(--jp-error-color1, #c62828)">{html.escape(text)}</span>'
                               if text else "")

    def _update_state(self) -> None:
        # The row count matters too: a half-typed duplicate key is still an unsaved change.
        self.dirty = len(self.pairs) != len(self.original) or self.metadata != self.original
        self._save.disabled = bool(self.problem) or not self.dirty
        self._revert.disabled = not self.dirty

    def _typed(self, row: _Row) -> None:
        if not self._syncing:
            self.set_pair(self._rows.index(row), row.key.value, row.value.value)

    def _show_rows(self, pairs) -> None:
        """Make the row widgets show `pairs`, reusing rows so the one being typed in keeps its focus."""
        self._syncing = True
        try:
            while len(self._rows) < len(pairs):
                self._rows.append(_Row(self))
            while len(self._rows) > len(pairs):
                self._rows.pop().close()
            for row, (key, value) in zip(self._rows, pairs):
                row.show(key, value)
        finally:
            self._syncing = False
        children = tuple(row.box for row in self._rows)
        if self._rows_box.children != children:
            self._rows_box.children = children
