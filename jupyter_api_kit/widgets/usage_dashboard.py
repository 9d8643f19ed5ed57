"""A usage dashboard: pick the kind (or costs), dates, bucket width and grouping; see a chart and a
table that refresh; export what is shown to CSV.

Every button calls a method (`refresh`, `export_csv`) that code and tests can call too. Pages are
fetched one at a time, and the status line counts them while a long range loads. API errors become
one line in the status label.

Example:
    >>> from jupyter_api_kit.widgets import UsageDashboard
    >>> import pathlib, tempfile
    >>> board = UsageDashboard(client, kind="completions", group_by=["model"])   # the last seven days
    >>> board.refresh(), len(board.frame) >= 7, board.status
    (True, True, 'completions: ... rows from 1 page(s)')
    >>> board.export_csv(pathlib.Path(tempfile.mkdtemp()) / "usage.csv").name
    'usage.csv'
"""

from __future__ import annotations

import datetime as dt
import html
import io
from pathlib import Path

import ipywidgets as widgets
from traitlets import Any, Int, List, TraitError, Unicode, observe, validate

from jupyter_api_kit.errors import JupyterAPIKitError
from jupyter_api_kit.spec import BUCKET_LIMITS, COST_BUCKET_LIMITS, COST_GROUPS, USAGE_GROUPS
from jupyter_api_kit.spec import USAGE_KINDS as KINDS

#: what each kind can be grouped by ("costs" is the costs endpoint)
GROUPS = {**USAGE_GROUPS, "costs": COST_GROUPS}
#: chartable columns known before the first refresh (a refresh adds any others the frame has)
METRICS = ("total_tokens", "input_tokens", "output_tokens", "input_cached_tokens", "input_uncached_tokens",
           "num_model_requests", "amount", "images", "characters", "seconds", "usage_bytes", "num_sessions",
           "num_requests")


def groups_for(kind: str) -> tuple:
    """The `group_by` choices of a kind.

    Example:
        >>> groups_for("costs")
        ('project_id', 'line_item', 'api_key_id')
    """
    return GROUPS[kind]


class UsageDashboard(widgets.VBox):
    """Pickers, a chart, a table and CSV export over the organization usage endpoints."""

    kind = Unicode("completions", help="A usage kind, or 'costs'.")
    start = Any(help="First day shown (a datetime.date, UTC).")
    end = Any(help="Last day shown, included (a datetime.date, UTC).")
    bucket_width = Unicode("1d", help="1m, 1h or 1d (costs are always 1d).")
    group_by = List(Unicode(), help="Fields each bucket is split by; choices depend on the kind.")
    metric = Unicode("", help="Column charted; empty means the kind's headline count.")
    frame = Any(None, allow_none=True, help="The last fetched DataFrame (every page), or None.")
    pages_loaded = Int(0, help="Pages fetched by the last refresh.")
    status = Unicode("", help="One line: what was loaded, or the error.")

    def __init__(self, client=None, **kwargs):
        if client is None:  # the magics' connection when the extension is loaded, else Client()
            from jupyter_api_kit.widgets.connection import default_client

            client = default_client()
        self.client = client
        today = dt.datetime.now(dt.timezone.utc).date()
        kwargs.setdefault("start", today - dt.timedelta(days=6))
        kwargs.setdefault("end", today)
        self._kind = widgets.Dropdown(options=[*KINDS, "costs"], description="kind")
        self._start = widgets.DatePicker(description="from")
        self._end = widgets.DatePicker(description="to")
        self._bucket = widgets.Dropdown(options=["1d", "1h", "1m"], description="bucket")
        self._group = widgets.SelectMultiple(options=groups_for("completions"), description="group by", rows=4)
        self._metric = widgets.Dropdown(options=[("(default)", ""), *((m, m) for m in METRICS)], description="chart")
        self._refresh = widgets.Button(description="Refresh", icon="refresh", button_style="primary")
        self._csv_path = widgets.Text(value="usage.csv", description="CSV file")
        self._export = widgets.Button(description="Export CSV", icon="download")
        self._status = widgets.HTML()
        self._chart = widgets.Output()
        self._table = widgets.HTML()
        self._refresh.on_click(lambda _b: self.refresh())
        self._export.on_click(lambda _b: self.export_csv(self._csv_path.value))
        pickers = widgets.HBox([widgets.VBox([self._kind, self._bucket, self._metric]),
                                widgets.VBox([self._start, self._end]), self._group])
        actions = widgets.HBox([self._refresh, self._csv_path, self._export])
        super().__init__(children=[pickers, actions, self._status, self._chart, self._table], **kwargs)
        self.add_class("jak-usage-dashboard")
        # The traits are the state; each picker mirrors one (set from the trait first).
        for name, control in (("kind", self._kind), ("start", self._start), ("end", self._end),
                              ("bucket_width", self._bucket), ("metric", self._metric)):
            widgets.link((self, name), (control, "value"))
        self._kind_changed({"new": self.kind})
        self._group.observe(lambda change: setattr(self, "group_by", list(change["new"])), "value")

    # -- validation and derived state ------------------------------------------------------------
    @validate("kind")
    def _check_kind(self, proposal):
        if proposal["value"] not in (*KINDS, "costs"):
            raise TraitError(f"kind must be one of {', '.join(KINDS)} or 'costs', got {proposal['value']!r}")
        return proposal["value"]

    @validate("bucket_width")
    def _check_bucket(self, proposal):
        if proposal["value"] not in BUCKET_LIMITS:
            raise TraitError(f"bucket_width must be 1m, 1h or 1d, got {proposal['value']!r}")
        return proposal["value"]

    @observe("kind")
    def _kind_changed(self, change):
        if not hasattr(self, "_group"):
            return
        choices = groups_for(change["new"])
        self._group.options = choices
        self.group_by = [g for g in self.group_by if g in choices]
        self._group.value = tuple(self.group_by)
        if change["new"] == "costs":
            self.bucket_width = "1d"
        self._bucket.disabled = change["new"] == "costs"

    @observe("group_by")
    def _group_changed(self, change):
        if hasattr(self, "_group") and tuple(change["new"]) != tuple(self._group.value):
            self._group.value = tuple(g for g in change["new"] if g in self._group.options)

    @observe("status")
    def _status_changed(self, change):
        self._status.value = f"<span class='jak-usage-status'>{html.escape(change['new'])}</span>"

    # -- actions ---------------------------------------------------------------------------------
    def _range(self) -> tuple[int, int]:
        if self.start is None or self.end is None or self.end < self.start:
            raise JupyterAPIKitError("pick a 'from' day on or before the 'to' day")
        first = dt.datetime(self.start.year, self.start.month, self.start.day, tzinfo=dt.timezone.utc)
        last = dt.datetime(self.end.year, self.end.month, self.end.day, tzinfo=dt.timezone.utc)
        return int(first.timestamp()), int((last + dt.timedelta(days=1)).timestamp())

    def refresh(self) -> bool:
        """Fetch every page for the current pickers, then redraw the chart and the table. False (with
        the reason in `status`) when it failed."""
        from jupyter_api_kit import frames

        try:
            start, end = self._range()
            org = self.client.organization
            group_by = list(self.group_by) or None
            if self.kind == "costs":
                page = org.costs(start_time=start, end_time=end, group_by=group_by, limit=COST_BUCKET_LIMITS[1])
            else:
                page = org.usage.get(self.kind, start_time=start, end_time=end, bucket_width=self.bucket_width,
                                     group_by=group_by, limit=BUCKET_LIMITS[self.bucket_width][1])
            pages = []
            for number, one in enumerate(page.iter_pages(), start=1):
                pages.append(one)
                self.status = f"loading {self.kind}: page {number}…"
            frame = frames.costs(pages) if self.kind == "costs" else frames.usage_buckets(pages, kind=self.kind)
        except JupyterAPIKitError as err:
            self.status = err.one_line() if hasattr(err, "one_line") else f"{type(err).__name__}: {err}"
            return False
        self.pages_loaded = len(pages)
        self.frame = frame
        known = [m for m in (*METRICS, *self._numeric_columns()) if m]
        self._metric.options = [("(default)", "")] + [(c, c) for c in dict.fromkeys(known)]
        self.redraw()
        notes = " ".join(frame.attrs.get("notes", []))
        self.status = f"{self.kind}: {len(frame)} rows from {len(pages)} page(s)" + (f". {notes}" if notes else "")
        return True

    def _numeric_columns(self) -> list[str]:
        import pandas as pd

        if self.frame is None:
            return []
        extra = ["total_tokens"] if {"input_tokens", "output_tokens"} <= set(self.frame.columns) else []
        return extra + [c for c in self.frame.columns if pd.api.types.is_numeric_dtype(self.frame[c])
                        and not pd.api.types.is_bool_dtype(self.frame[c])]

    def figure(self):
        """The chart of the current frame (a matplotlib Figure), or None before the first refresh."""
        from jupyter_api_kit.frames.usage_buckets import usage_plot

        if self.frame is None:
            return None
        return usage_plot(self.frame, metric=self.metric or None, by=list(self.group_by),
                          title=f"{self.kind}: {self.metric or 'default metric'} per {self.bucket_width}")

    def redraw(self) -> None:
        """Draw the chart and the table again from the current frame and metric."""
        from IPython.display import Image

        if self.frame is None:
            return
        fig = self.figure()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
        # Set the output directly (not `with self._chart: display(...)`), which needs no kernel.
        self._chart.outputs = ()
        self._chart.append_display_data(Image(data=buffer.getvalue(), format="png"))
        table = getattr(self.frame, "readable_html", None)  # costs show their amounts as money
        self._table.value = (table(max_rows=200, index=False) if table else
                             self.frame.to_html(max_rows=200, index=False))

    @observe("metric")
    def _metric_changed(self, _change):
        if self.frame is not None:
            self.redraw()

    def export_csv(self, path: str | Path) -> Path | None:
        """Write the current frame to `path` as CSV (times in ISO 8601, UTC); the path written, or None."""
        if self.frame is None:
            self.status = "nothing to export yet: press Refresh first"
            return None
        target = Path(path).expanduser()
        try:
            self.frame.to_csv(target, index=False)
        except OSError as err:
            self.status = f"could not write {target}: {err.strerror}"
            return None
        self.status = f"wrote {len(self.frame)} rows to {target}"
        return target
