"""This kernel's calls (`%chat history`) and the cost meter: tokens and dollars spent so far, and the
budget that stops further calls once the notebook reaches it.

Costs come from the toolkit's price table (`jupyter_api_kit.spec.prices`: the local models' prices
and the published prices of common OpenAI models, with their date; `JUPYTER_API_KIT_PRICES` overrides
it). A replayed answer costs nothing: it is shown, not bought.

Example:
    >>> log = CallLog()
    >>> log.add({"time": "2025-01-01T00:00:00+00:00", "cell": 1, "api": "chat.completions", "model": "m",
    ...          "prompt_tokens": 10, "completion_tokens": 5, "latency_s": 0.2, "cost_usd": 0.25, "replayed": False})
    >>> log.add({"time": "2025-01-01T00:00:01+00:00", "cell": 2, "api": "chat.completions", "model": "m",
    ...          "prompt_tokens": 10, "completion_tokens": 5, "latency_s": 0.0, "cost_usd": 0.25, "replayed": True})
    >>> log.spent_usd(), log.spent_tokens(), log.summary()
    (0.25, 15, 'notebook: 15 tokens, $0.25 spent')
    >>> log.frame()[["cell", "total_tokens", "cost_usd", "replayed"]].values.tolist()
    [[1, 15, 0.25, False], [2, 15, 0.25, True]]
"""

from __future__ import annotations

import threading

COLUMNS = ["time", "cell", "api", "model", "prompt_tokens", "completion_tokens", "total_tokens", "latency_s",
           "cost_usd", "replayed", "source", "request_id", "id"]


def usage_counts(usage) -> tuple[int, int, int]:
    """(input, cached input, output) tokens of a Chat Completions or Responses usage object.

    Example:
        >>> usage_counts({"prompt_tokens": 9, "completion_tokens": 4, "prompt_tokens_details": {"cached_tokens": 2}})
        (9, 2, 4)
        >>> usage_counts({"input_tokens": 7, "output_tokens": 3}), usage_counts(None)
        ((7, 0, 3), (0, 0, 0))
    """
    usage = usage or {}
    details = usage.get("prompt_tokens_details") or usage.get("input_tokens_details") or {}
    return (int(usage.get("prompt_tokens", usage.get("input_tokens")) or 0), int(details.get("cached_tokens") or 0),
            int(usage.get("completion_tokens", usage.get("output_tokens")) or 0))


_tables: dict = {}


def price_table():
    """The toolkit's price table with `JUPYTER_API_KIT_PRICES` merged over it, read again when that
    setting (or the file it names) changes."""
    import os

    from jupyter_api_kit.spec.prices import PRICES_ENV, PriceTable

    path = os.environ.get(PRICES_ENV) or ""
    try:
        stamp = os.stat(path).st_mtime if path else None
    except OSError:
        stamp = None
    if (path, stamp) not in _tables:
        _tables.clear()
        _tables[path, stamp] = PriceTable.from_environment()
    return _tables[path, stamp]


def cost_usd(model: str | None, usage, local: bool) -> float | None:
    """What an answer cost in US dollars by the price table, or None when the table has no price for the
    model (on the local server every model has one, as the server's own costs endpoint prices them).

    Example:
        >>> cost_usd("local-ngram", {"prompt_tokens": 1_000_000, "completion_tokens": 0}, local=True) > 0
        True
        >>> cost_usd("someone-elses-model", {"prompt_tokens": 10, "completion_tokens": 10}, local=False) is None
        True
    """
    prompt, cached, completion = usage_counts(usage)
    return price_table().cost(model, prompt, cached, completion, unknown=local)


class CallLog:
    """The calls of this kernel, oldest first, shared by `%%chat` and the chat panel."""

    def __init__(self):
        self.calls: list[dict] = []
        self._lock = threading.Lock()  # the chat panel adds its calls from a background thread

    def add(self, call: dict) -> None:
        """Add one call: keys of `COLUMNS` (missing ones are left empty)."""
        row = {name: call.get(name) for name in COLUMNS}
        row["total_tokens"] = (row["prompt_tokens"] or 0) + (row["completion_tokens"] or 0)
        with self._lock:
            self.calls.append(row)

    def live(self) -> list[dict]:
        with self._lock:
            return [c for c in self.calls if not c["replayed"]]

    def spent_usd(self) -> float:
        """Dollars spent by live calls (replays are free; calls without a price count 0)."""
        return sum(c["cost_usd"] or 0.0 for c in self.live())

    def spent_tokens(self) -> int:
        """Tokens used by live calls."""
        return sum(c["total_tokens"] for c in self.live())

    def summary(self) -> str:
        """The meter as the footer shows it."""
        from jupyter_api_kit.frames.readable import money

        return f"notebook: {self.spent_tokens():,} tokens, {money([self.spent_usd()])[0]} spent"

    def frame(self):
        """The calls as a DataFrame: `time` (UTC), `cell`, `api`, `model`, `prompt_tokens`, `completion_tokens`,
        `total_tokens`, `latency_s`, `cost_usd` (shown as money), `replayed`, `source` (`%%chat` or the
        panel), `request_id`, `id`."""
        import pandas as pd

        from jupyter_api_kit.frames.readable import readable

        with self._lock:
            rows = list(self.calls)
        data = {name: [r[name] for r in rows] for name in COLUMNS}
        frame = pd.DataFrame({
            **{name: pd.Series(values, dtype=object) for name, values in data.items()},
            "time": pd.to_datetime(pd.Series(data["time"], dtype=object), utc=True),
            "cell": pd.Series(data["cell"], dtype="Int64"),
            **{name: pd.Series(data[name], dtype="int64") for name in ("prompt_tokens", "completion_tokens",
                                                                        "total_tokens")},
            "latency_s": pd.Series(data["latency_s"], dtype="float64"),
            "cost_usd": pd.Series(data["cost_usd"], dtype="float64"),
            "replayed": pd.Series(data["replayed"], dtype="bool"),
        })[COLUMNS]
        return readable(frame, money=["cost_usd"])

    def plot(self):
        """Tokens per call (bars) and the notebook's running cost (line), as a matplotlib Figure.

        Example:
            >>> CallLog().plot().axes[0].get_xlabel()
            'call'
        """
        from matplotlib.figure import Figure

        with self._lock:
            rows = list(self.calls)
        fig = Figure(figsize=(7, 3))
        ax = fig.add_subplot()
        calls = list(range(1, len(rows) + 1))
        ax.bar(calls, [r["total_tokens"] for r in rows], color=["#c6dbef" if r["replayed"] else "#3182bd"
                                                                 for r in rows])
        ax.set_xlabel("call")
        ax.set_ylabel("tokens (light: replayed)")
        spent, running = 0.0, []
        for r in rows:
            spent += 0.0 if r["replayed"] else (r["cost_usd"] or 0.0)
            running.append(spent)
        cost_axis = ax.twinx()
        cost_axis.plot(calls, running, color="#e8534a", marker="o")
        cost_axis.set_ylabel("spent so far (USD)")
        fig.tight_layout()
        return fig
