"""The logprobs view: an answer as its tokens, each shaded by how likely the model found it, with the
alternatives it weighed on hover and an entropy strip that shows at a glance where it hesitated.

Plain HTML with inline styles and `title` tooltips (no script, no stylesheet, no front-end extension),
so it renders the same in JupyterLab, Notebook 7, VS Code, Colab, nbconvert's HTML and a saved
notebook, trusted or not. It reads chat completions (`n > 1` choices side by side), Responses-API
responses and legacy completions; an answer without logprobs gets a one-line note instead.

Example:
    >>> tok = lambda t, lp: {"token": t, "logprob": lp, "bytes": None}
    >>> answer = {"choices": [{"index": 0, "logprobs": {"content": [
    ...     {**tok("Blue", -0.05), "top_logprobs": [tok("Blue", -0.05), tok("Grey", -3.2)]},
    ...     {**tok(" sky", -1.6), "top_logprobs": [tok(" sea", -0.4), tok(" sky", -1.6)]}]}}]}
    >>> view = logprobs_view(answer)
    >>> view.tokens, "' sea' 67.0%" in view.html, "title=" in view.html
    (2, True, True)
    >>> print(view)
    logprobs view: 2 tokens, perplexity 2.28; least sure: ' sky' (20.2%)
    >>> print(logprobs_view({"choices": [{"index": 0, "logprobs": None}]}))  # doctest: +ELLIPSIS
    no logprobs in this answer: ask for them with --logprobs (logprobs=True; Responses: include=[...]; ...)
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from jupyter_api_kit.frames.logprobs import _collect, _concat, _Ranked

__all__ = ["LogprobsView", "logprobs_view"]

NO_LOGPROBS = ("no logprobs in this answer: ask for them with --logprobs (logprobs=True; Responses: "
               'include=["message.output_text.logprobs"]; legacy completions: logprobs=N)')
#: (lowest probability, background) from likely to unlikely; tokens at 90% or more are left plain
SHADES = ((0.9, None), (0.7, "#fff3c4"), (0.5, "#ffe08a"), (0.3, "#ffc46b"), (0.1, "#ff9f5a"),
          (0.03, "#f7794f"), (0.0, "#e8534a"))
#: (highest entropy in nats, colour) of the strip, from sure to undecided
ENTROPY_SHADES = ((0.1, "#eef3f8"), (0.3, "#c6dbef"), (0.6, "#9ecae1"), (1.0, "#6baed6"), (1.5, "#3182bd"),
                  (math.inf, "#08519c"))
MAX_SEGMENTS = 240  # the strip's cells: one per token up to this, then the highest entropy of each run
BOX = ("font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px;background:#fff;"
       "color:#1f2328;border:1px solid #d0d7de;border-radius:6px;padding:8px 10px")
MUTED = "font-size:85%;color:#57606a;font-family:system-ui,sans-serif"


def _pct(p: float) -> str:
    return "<0.1%" if p < 0.001 else f"{p * 100:.1f}%"


def _shown(token: str) -> str:
    """A token as the tooltip shows it: quoted (so spaces show), line breaks and tabs made visible."""
    return "'" + token.replace("\n", "\u23ce").replace("\t", "\u21e5") + "'"


def _attr(text: str) -> str:
    return html.escape(text, quote=False).replace('"', "&quot;").replace("\n", "&#10;")


def _shade(p: float) -> str | None:
    if not p >= 0:  # NaN: a legacy echoed prompt token has no logprob
        return None
    return next(colour for low, colour in SHADES if p >= low)


def _entropy_colour(h: float) -> str:
    return next(colour for high, colour in ENTROPY_SHADES if h < high)


@dataclass
class _Choice:
    index: int
    tokens: list
    logprob: np.ndarray
    entropy: np.ndarray
    alternatives: list  # per token: [(token, tooltip line), ...] most likely first

    @property
    def perplexity(self) -> float:
        finite = self.logprob[np.isfinite(self.logprob)]
        return float(np.exp(-finite.mean())) if len(finite) else math.nan

    def least_sure(self) -> int | None:
        probs = np.exp(self.logprob)
        if not np.isfinite(probs).any():
            return None
        return int(np.nanargmin(probs))


def _choices(resp: Any) -> list[_Choice]:
    flat = _collect(resp, refusal=False, alt_bytes=False)
    ranked = _Ranked(flat)
    choice = _concat(flat.choice)
    logprob = np.asarray(flat.logprob, dtype=np.float64)
    counts = ranked.counts.tolist()
    starts = (np.cumsum(ranked.counts) - ranked.counts).tolist()
    alt_tokens = ranked.alt_token.tolist()
    # Every tooltip line is formatted once, in one pass over all alternatives.
    lines = [f"{_shown(t)} {_pct(p)}" for t, p in zip(alt_tokens, np.exp(ranked.alt_logprob).tolist())]
    pairs = list(zip(alt_tokens, lines))
    out = []
    for index in dict.fromkeys(choice.tolist()):
        rows = np.flatnonzero(choice == index).tolist()
        out.append(_Choice(index, [flat.token[r] for r in rows], logprob[rows], ranked.entropy[rows],
                           [pairs[starts[r]:starts[r] + counts[r]] for r in rows]))
    return sorted(out, key=lambda c: c.index)


def _title(token: str, logprob: float, alternatives: list) -> str:
    chosen = f"{_shown(token)} {_pct(math.exp(logprob))}" if logprob == logprob else _shown(token)
    if not alternatives:
        return chosen
    lines = [line + " \u2190" if alt == token else line for alt, line in alternatives]
    if not any(alt == token for alt, _ in alternatives):
        lines.insert(0, f"{chosen} \u2190 (not among the {len(alternatives)} alternatives)")
    return "\n".join(lines)


def _token_spans(c: _Choice) -> str:
    parts = []
    for token, lp, alternatives in zip(c.tokens, c.logprob.tolist(), c.alternatives):
        colour = _shade(math.exp(lp)) if lp == lp else None
        style = f' style="background:{colour}"' if colour else ""
        parts.append(f'<span title="{_attr(_title(token, lp, alternatives))}"{style}>'
                     f"{html.escape(token, quote=False)}</span>")
    return "".join(parts)


def _strip(c: _Choice) -> str:
    n = len(c.tokens)
    if n == 0 or not np.isfinite(c.entropy).any():
        return (f'<div style="{MUTED}">no alternatives were reported, so there is no entropy strip '
                "(ask with --top-logprobs K)</div>")
    step = max(1, math.ceil(n / MAX_SEGMENTS))
    cells = []
    for start in range(0, n, step):
        chunk = c.entropy[start:start + step]
        h = float(np.nanmax(chunk)) if np.isfinite(chunk).any() else math.nan
        if step == 1:
            label = f"#{start} {_shown(c.tokens[start])}: entropy {h:.2f} nats"
        else:
            label = f"tokens {start}\u2013{min(n, start + step) - 1}: highest entropy {h:.2f} nats"
        colour = _entropy_colour(h) if h == h else "#ffffff"
        cells.append(f'<span title="{_attr(label)}" style="flex:1;background:{colour}"></span>')
    return ('<div title="entropy of each step over the reported alternatives: darker = more undecided" '
            f'style="display:flex;height:10px;margin:4px 0 6px;border:1px solid #d0d7de">{"".join(cells)}</div>')


def _summary(c: _Choice) -> str:
    text = f"{len(c.tokens)} tokens, perplexity {c.perplexity:.2f}"
    worst = c.least_sure()
    if worst is not None:
        text += f"; least sure: {_shown(c.tokens[worst])} ({_pct(math.exp(c.logprob[worst]))})"
    return text


def _legend() -> str:
    swatches = "".join(f'<span style="background:{colour or "#fff"};border:1px solid #d0d7de;padding:0 4px">'
                       f"{'&ge;' if low else '&lt;'}{int((low or 0.03) * 100)}%</span> "
                       for low, colour in SHADES)
    return (f'<div style="{MUTED};margin-top:6px">token probability: {swatches}&middot; hover a token for the '
            "alternatives the model weighed &middot; the table: <code>frames.logprobs(answer)</code></div>")


class LogprobsView:
    """The HTML view of one answer's logprobs (`_repr_html_`), with a one-line text form (`repr`).

    Attributes: `tokens` (how many tokens it shows), `html` (the markup), `choices` (how many).
    """

    def __init__(self, resp: Any, title: str = "logprobs view"):
        self.title = title
        self._choices = _choices(resp)
        self.tokens = sum(len(c.tokens) for c in self._choices)
        self.choices = len(self._choices)
        self._html: str | None = None

    @property
    def html(self) -> str:
        """The view's HTML: inline styles only, built once."""
        if self._html is None:
            self._html = self._render()
        return self._html

    def _render(self) -> str:
        if not self.tokens:
            return f'<div style="{MUTED}">{html.escape(NO_LOGPROBS)}</div>'
        columns = []
        for c in self._choices:
            head = f"choice {c.index} &middot; " if self.choices > 1 else ""
            columns.append(f'<div style="min-width:0"><div style="{MUTED}">{head}{html.escape(_summary(c))}</div>'
                           f'{_strip(c)}<div style="white-space:pre-wrap;word-break:break-word;line-height:1.7">'
                           f"{_token_spans(c)}</div></div>")
        body = columns[0] if len(columns) == 1 else (
            f'<div style="display:grid;grid-template-columns:repeat({len(columns)},minmax(0,1fr));gap:12px">'
            f'{"".join(columns)}</div>')
        return (f'<div class="jak-logprobs" style="{BOX}"><div style="{MUTED};font-weight:600">'
                f"{html.escape(self.title)}</div>{body}{_legend()}</div>")

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        if not self.tokens:
            return NO_LOGPROBS
        if self.choices == 1:
            return f"{self.title}: {_summary(self._choices[0])}"
        return f"{self.title}:\n" + "\n".join(f"choice {c.index}: {_summary(c)}" for c in self._choices)


def logprobs_view(resp: Any, title: str = "logprobs view") -> LogprobsView:
    """The logprobs view of a chat completion, a Responses-API response, a legacy completion or the
    chunks of a stream; displays as HTML in a notebook.

    Example:
        >>> legacy = {"object": "text_completion", "choices": [{"index": 0, "text": " at night", "logprobs": {
        ...     "tokens": [" at", " night"], "token_logprobs": [-0.9, -0.01], "text_offset": [7, 10],
        ...     "top_logprobs": [{" is": -0.5, " at": -0.9}, {" night": -0.01, " noon": -4.6}]}}]}
        >>> view = logprobs_view(legacy)
        >>> view.tokens, "&#10;' at' 40.7% \u2190" in view.html
        (2, True)
    """
    return LogprobsView(resp, title=title)
