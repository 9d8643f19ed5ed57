"""DataFrames that read well where they are shown: money as money, long text in a wide column.

A `ReadableFrame` is an ordinary pandas DataFrame (same columns, dtypes and arithmetic: `amount` stays
a float column you can sum) that only changes how it is shown: columns named in `money` print as
`$0.000024` rather than `2.400000e-05`, and columns named in `text` get a wide, wrapping cell in HTML
(inline styles) instead of being squeezed to one word per line beside long ids.

Example:
    >>> df = readable(pd.DataFrame({"line_item": ["local-ngram, input"], "amount": [2.4e-05]}), money=["amount"])
    >>> print(df)
                line_item     amount
    0  local-ngram, input  $0.000024
    >>> float(df["amount"].sum())
    2.4e-05
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable

import pandas as pd

__all__ = ["ReadableFrame", "money", "readable"]

TEXT_CELL = "min-width:24em;max-width:60em;white-space:pre-wrap;text-align:left"


def money(values: Iterable, currency: str = "usd") -> list[str]:
    """Amounts as money, all with the decimals the smallest non-zero one needs (2 to 8).

    Example:
        >>> money([1234.5, 0.25]), money([2.4e-05, 0.0012, 0.0])
        (['$1,234.50', '$0.25'], ['$0.000024', '$0.001200', '$0.000000'])
        >>> money([0.5, None], currency="eur")
        ['0.50 EUR', '']
    """
    values = list(values)
    present = [abs(float(v)) for v in values if _present(v) and float(v) != 0]
    decimals = 2
    if present and min(present) < 0.01:
        decimals = min(8, max(2, 1 - math.floor(math.log10(min(present)))))
    out = []
    for v in values:
        if not _present(v):
            out.append("")
        elif currency.lower() == "usd":
            out.append(f"{'-' if float(v) < 0 else ''}${abs(float(v)):,.{decimals}f}")
        else:
            out.append(f"{float(v):,.{decimals}f} {currency.upper()}")
    return out


def _present(value) -> bool:
    try:
        return value is not None and not pd.isna(value)
    except (TypeError, ValueError):  # lists and other containers
        return True


def _cell(value) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    if not _present(value):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


class ReadableFrame(pd.DataFrame):
    """A DataFrame that remembers which of its columns are money and which are long text (for display)."""

    _metadata = ["money_columns", "text_columns"]

    @property
    def _constructor(self):
        return ReadableFrame

    def _money(self) -> dict:
        currency = "usd"
        if "currency" in self.columns:
            found = [c for c in self["currency"].dropna().unique() if isinstance(c, str)]
            currency = found[0] if len(found) == 1 else "usd"
        return {c: currency for c in (getattr(self, "money_columns", None) or ()) if c in self.columns}

    def _text(self) -> list:
        return [c for c in (getattr(self, "text_columns", None) or ()) if c in self.columns]

    def readable_html(self, max_rows: int | None = None, index: bool = True) -> str:
        """The frame as an HTML table: money formatted, text cells wide and wrapping (inline styles),
        at most `max_rows` rows (default: pandas' `display.max_rows`).

        Example:
            >>> df = readable(pd.DataFrame({"role": ["user"], "text": ["a <b> c"]}), text=["text"])
            >>> "white-space:pre-wrap" in df.readable_html() and "a &lt;b&gt; c" in df.readable_html()
            True
        """
        shown = pd.DataFrame(self, copy=True)
        money_cols, text_cols = self._money(), self._text()
        for column in shown.columns:
            if column in money_cols:
                cells = [html.escape(v) for v in money(shown[column], money_cols[column])]
            elif column in text_cols:
                cells = [f'<div style="{TEXT_CELL}">{html.escape(_cell(v))}</div>' for v in shown[column]]
            else:
                cells = [html.escape(_cell(v)) for v in shown[column]]
            shown[column] = pd.Series(cells, index=shown.index, dtype=object)
        shown.columns = [html.escape(str(c)) for c in shown.columns]
        shown.index = [html.escape(_cell(i)) for i in shown.index]
        limit = pd.get_option("display.max_rows") if max_rows is None else max_rows
        with pd.option_context("display.max_colwidth", None):  # the cells hold markup: never cut it
            return shown.to_html(escape=False, max_rows=limit, index=index, notebook=True, border=0,
                                 show_dimensions=len(shown) > (limit or len(shown)))

    def _repr_html_(self) -> str:
        return self.readable_html()

    def to_string(self, *args, **kwargs):
        """The frame as text (what `print` and `repr` show), with the money columns as money.

        Example:
            >>> print(readable(pd.DataFrame({"cost_usd": [0.5, 0.25]}), money=["cost_usd"]).to_string(index=False))
            cost_usd
               $0.50
               $0.25
        """
        shown = pd.DataFrame(self, copy=True)
        for column, currency in self._money().items():
            shown[column] = pd.Series(money(shown[column], currency), index=shown.index, dtype=object)
        return shown.to_string(*args, **kwargs)


def readable(frame: pd.DataFrame, money: Iterable = (), text: Iterable = ()) -> ReadableFrame:
    """`frame` as a `ReadableFrame` showing the `money` columns as money and the `text` columns wide.

    Example:
        >>> readable(pd.DataFrame({"cost_usd": [0.5]}), money=["cost_usd"]).money_columns
        ['cost_usd']
    """
    out = ReadableFrame(frame)
    out.attrs = dict(frame.attrs)
    out.money_columns = list(money)
    out.text_columns = list(text)
    return out
