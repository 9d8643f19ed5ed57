"""`%usage`: organization usage and costs as a DataFrame, and a chart on request.

Example (in a notebook)::

    %usage                                        # completions, last 7 days, per day
    %usage --kind embeddings --days 30 --group-by model
    %usage --start 2025-03-01 --end 2025-03-08 --bucket 1h --group-by model,project_id --plot
    %usage --costs --group-by project_id,line_item -o spend

The organization endpoints need the admin key (OPENAI_ADMIN_KEY); against the embedded local server
started by this notebook's process no key is needed. Costs on the local server come from its
illustrative price table, and the frame says so in `df.attrs["notes"]`.
"""

from __future__ import annotations

import datetime as dt
import io

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments
from traitlets import Int, TraitError, Unicode, validate
from traitlets.config.configurable import Configurable

from jupyter_api_kit.errors import ConfigurationError
from jupyter_api_kit.magics.common import (Connection, check_output_name, parse_options, range_problem, register_magics,
                                           shown_errors)
from jupyter_api_kit.spec import BUCKET_LIMITS, BUCKET_SECONDS, COST_BUCKET_LIMITS, COST_GROUPS, USAGE_GROUPS
from jupyter_api_kit.spec import USAGE_KINDS as KINDS

#: bucket widths, shortest first
BUCKETS = tuple(BUCKET_SECONDS)

#: kinds whose records say nothing of a model, so `--model` cannot filter them
NO_MODEL_FILTER = tuple(kind for kind in KINDS if "model" not in USAGE_GROUPS[kind])


def split_list(values) -> list[str]:
    """`["model,project_id", "user_id"]` -> `["model", "project_id", "user_id"]`.

    Example:
        >>> split_list(["model, project_id", "user_id"])
        ['model', 'project_id', 'user_id']
    """
    return [part.strip() for value in values or () for part in value.split(",") if part.strip()]


def time_range(days: int | None, start: str | None, end: str | None, now: dt.datetime | None = None):
    """(start, end) Unix seconds from `--days` or `--start/--end`; `--days N` is the last N UTC days,
    today included.

    Example:
        >>> time_range(2, None, None, now=dt.datetime(2025, 3, 10, 15, tzinfo=dt.timezone.utc))
        (1741478400, None)
    """
    from jupyter_api_kit.client.usage import to_unix
    from jupyter_api_kit.errors import InvalidInputError

    if start is None and end is not None:
        raise UsageError("--end needs --start (or use --days N)")
    try:
        if start is not None:
            if days is not None:
                raise UsageError("give either --days or --start/--end, not both")
            begin, finish = to_unix(start, "--start"), (to_unix(end, "--end") if end is not None else None)
            if finish is not None and finish <= begin:
                raise UsageError(f"--end ({end}) must be after --start ({start})")
            return begin, finish
    except InvalidInputError as err:
        raise UsageError(str(err)) from None
    now = now or dt.datetime.now(dt.timezone.utc)
    midnight = dt.datetime(now.year, now.month, now.day, tzinfo=dt.timezone.utc)
    return int((midnight - dt.timedelta(days=days - 1)).timestamp()), None


def show_figure(fig) -> None:
    """Display a matplotlib Figure as a PNG, which every frontend (and a saved notebook) shows."""
    from IPython.display import Image, display

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    display(Image(data=buffer.getvalue(), format="png"))


@magics_class
class UsageMagics(Magics, Configurable):
    """`%usage` and its settings (`%config UsageMagics` lists them)."""

    kind = Unicode("completions", help="Usage kind `%usage` reports (--kind overrides).").tag(config=True)
    days = Int(7, help="How many days back `%usage` looks, today included (--days overrides).").tag(config=True)
    bucket = Unicode("1d", help="Bucket width: 1m, 1h or 1d (--bucket overrides).").tag(config=True)

    @validate("kind")
    def _check_kind(self, proposal):
        if proposal["value"] not in KINDS:
            raise TraitError(f"UsageMagics.kind must be one of {', '.join(KINDS)}, got {proposal['value']!r}")
        return proposal["value"]

    @validate("days")
    def _check_days(self, proposal):
        problem = range_problem("UsageMagics.days", proposal["value"], 1, 3660)
        if problem:
            raise TraitError(problem)
        return proposal["value"]

    @validate("bucket")
    def _check_bucket(self, proposal):
        if proposal["value"] not in BUCKETS:
            raise TraitError(f"UsageMagics.bucket must be one of 1m, 1h, 1d, got {proposal['value']!r}")
        return proposal["value"]

    def __init__(self, shell=None, connection: Connection | None = None, **kwargs):
        self.connection = connection or Connection()
        super().__init__(shell, **kwargs)

    @magic_arguments()
    @argument("--kind", choices=KINDS, help="usage kind (default: UsageMagics.kind)")
    @argument("--days", type=int, help="the last N days, today included (default: UsageMagics.days)")
    @argument("--start", help="first day or time, e.g. 2025-03-01 or 2025-03-01T09:00 (UTC)")
    @argument("--end", help="end, exclusive (default: now)")
    @argument("--bucket", choices=BUCKETS, help="bucket width (default: UsageMagics.bucket)")
    @argument("--group-by", action="append", metavar="FIELDS", help="comma-separated, e.g. model,project_id")
    @argument("--project", action="append", metavar="IDS", help="only these projects (comma-separated)")
    @argument("--model", action="append", metavar="IDS", help="only these models (comma-separated)")
    @argument("--costs", action="store_true", help="costs per day instead of usage")
    @argument("--plot", action="store_true", help="also draw a chart")
    @argument("--metric", help="the column to chart (default: total tokens, or amount for costs)")
    @argument("-o", "--output", metavar="NAME", help="store the DataFrame in this variable")
    @line_magic
    def usage(self, line: str):
        """Organization usage (or costs) as a DataFrame: one row per bucket and group.

        Example::

            %usage --days 14 --group-by model --plot
        """
        args = parse_options(self.usage, line)
        check_output_name(args.output)
        days = args.days if args.days is not None or args.start is not None else self.days
        problem = range_problem("--days", days, 1, 3660)
        if problem:
            raise UsageError(problem)
        start, end = time_range(days, args.start, args.end)
        bucket = args.bucket or ("1d" if args.costs else self.bucket)
        group_by = split_list(args.group_by)
        if args.costs:
            if bucket != "1d":
                raise UsageError("--costs are per day: use --bucket 1d (or leave it out)")
            bad = [g for g in group_by if g not in COST_GROUPS]
            if bad:
                raise UsageError(f"--costs groups by {', '.join(COST_GROUPS)}; not {bad[0]!r}")
            if args.model:
                raise UsageError("--model filters usage, not costs (group costs by line_item instead)")
        elif args.model and (args.kind or self.kind) in NO_MODEL_FILTER:
            raise UsageError(f"--model does not apply to {args.kind or self.kind} usage")
        frame = self.fetch(kind=args.kind or self.kind, start=start, end=end, bucket=bucket, group_by=group_by,
                           projects=split_list(args.project), models=split_list(args.model), costs=args.costs)
        if args.plot:
            from jupyter_api_kit.frames.usage_buckets import usage_plot

            show_figure(usage_plot(frame, metric=args.metric, by=[g for g in group_by if g in frame.columns]))
        if args.output:
            self.shell.user_ns[args.output] = frame
        for note in frame.attrs.get("notes", []):
            print(f"note: {note}")
        return frame

    def fetch(self, *, kind: str, start: int, end: int | None, bucket: str, group_by: list, projects: list,
              models: list, costs: bool):
        """Every page of the query as one frame (a progress bar when it spans several pages)."""
        import math
        import time

        width = BUCKET_SECONDS[bucket]
        limit = COST_BUCKET_LIMITS[1] if costs else BUCKET_LIMITS[bucket][1]
        span = (end or int(time.time())) - start  # buckets start at start_time itself
        progress = math.ceil(span / width / limit) > 1
        with shown_errors():
            try:
                org = self.connection.client.organization
                if costs:
                    page = org.costs(start_time=start, end_time=end, group_by=group_by or None,
                                     project_ids=projects or None, limit=limit, progress=progress)
                else:
                    filters = {"project_ids": projects or None}
                    if models:
                        filters["models"] = models
                    page = org.usage.get(kind, start_time=start, end_time=end, bucket_width=bucket,
                                         group_by=group_by or None, limit=limit, progress=progress, **filters)
            except ConfigurationError as err:
                raise UsageError(str(err)) from None
            return page.to_frame()


def register(ipython, connection: Connection) -> None:
    """Register `%usage` on a shell (one instance: a reload replaces the old one)."""
    register_magics(ipython, UsageMagics, connection)
