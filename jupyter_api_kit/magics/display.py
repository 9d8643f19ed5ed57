"""Display objects of the magics: the live answer that streams into a cell's output, the side by
side grid of several choices, the footer under an answer and the view of one stored completion.

Each object renders in a notebook (Markdown or HTML) and as plain text in a terminal.

Example:
    >>> grid = ChoicesGrid(["Red.", "Blue."])
    >>> print(repr(grid))
    [choice 0]
    Red.
    <BLANKLINE>
    [choice 1]
    Blue.
    >>> "grid-template-columns: repeat(2" in grid._repr_html_()
    True
"""

from __future__ import annotations

import html
import time

CURSOR = "▌"


class Throttle:
    """Lets an action through at most once per `interval` seconds; the first call always passes, so
    the first words of an answer show at once.

    Example:
        >>> clock = iter([0.0, 0.01, 0.2]).__next__
        >>> t = Throttle(0.1, clock=clock)
        >>> [t.ready(), t.ready(), t.ready()]
        [True, False, True]
    """

    def __init__(self, interval: float, clock=time.monotonic):
        self.interval = interval
        self._clock = clock
        self._last = None

    def ready(self) -> bool:
        """True if the action may run now (and the interval starts again), False if it ran too recently.

        Example:
            >>> t = Throttle(1.0, clock=iter([5.0, 5.5, 6.0]).__next__)
            >>> t.ready(), t.ready(), t.ready()
            (True, False, True)
        """
        now = self._clock()
        if self._last is not None and now - self._last < self.interval:
            return False
        self._last = now
        return True


class AnswerMarkdown:
    """An answer rendered as Markdown (plain text in a terminal); `typing=True` adds a cursor while
    it is still arriving."""

    def __init__(self, text: str, typing: bool = False):
        self.text = text
        self.typing = typing

    def _repr_markdown_(self) -> str:
        return self.text + (CURSOR if self.typing else "")

    def __repr__(self) -> str:
        return self.text + (CURSOR if self.typing else "")


class ChoicesGrid:
    """Several choices of one request side by side (`-n > 1`)."""

    def __init__(self, texts: list[str], typing: bool = False):
        self.texts = texts
        self.typing = typing

    def _repr_html_(self) -> str:
        cells = []
        for index, text in enumerate(self.texts):
            body = html.escape(text) + (CURSOR if self.typing else "")
            cells.append(f'<div style="border:1px solid #ddd;border-radius:4px;padding:6px 8px">'
                         f'<div style="color:#888;font-size:85%">choice {index}</div>'
                         f'<div style="white-space:pre-wrap">{body}</div></div>')
        columns = max(1, len(self.texts))
        return (f'<div style="display:grid;grid-template-columns: repeat({columns}, minmax(0, 1fr));'
                f'gap:8px">{"".join(cells)}</div>')

    def __repr__(self) -> str:
        return "\n\n".join(f"[choice {i}]\n{text}" for i, text in enumerate(self.texts))


class LiveAnswer:
    """The output of one `%%chat` cell while the answer streams: one display handle, updated as
    text arrives (throttled, because every update is a message to the frontend), then replaced by
    the final rendering.

    Example:
        >>> live = LiveAnswer(n=1, interval=0.1)
        >>> live.start(); live.add(0, "Hel"); live.add(0, "lo"); live.finish()   # outside a notebook: printed
        ▌
        ...
        >>> live.texts
        ['Hello']
    """

    def __init__(self, n: int = 1, interval: float = 0.1):
        self.texts = [""] * max(1, n)
        self.throttle = Throttle(interval)
        self.handle = None

    def _view(self, typing: bool):
        if len(self.texts) == 1:
            return AnswerMarkdown(self.texts[0], typing=typing)
        return ChoicesGrid(list(self.texts), typing=typing)

    def start(self) -> None:
        """Show the (still empty) answer with a typing cursor; `add` updates this display.

        Example:
            >>> live = LiveAnswer()
            >>> live.start()        # in a notebook: an output area that the answer fills
            ▌
        """
        from IPython.display import display

        self.handle = display(self._view(typing=True), display_id=True)

    def add(self, index: int, text: str) -> None:
        """Append streamed text to choice `index` (choices beyond `n` are added) and refresh the display,
        at most once per interval.

        Example:
            >>> live = LiveAnswer(n=2)
            >>> live.add(0, "Hel"); live.add(0, "lo"); live.add(2, "!")
            >>> live.texts
            ['Hello', '', '!']
        """
        if index >= len(self.texts):  # a server sending more choices than asked: show them too
            self.texts.extend([""] * (index + 1 - len(self.texts)))
        self.texts[index] += text
        if self.handle is not None and self.throttle.ready():
            self.handle.update(self._view(typing=True))

    def finish(self, texts: list[str] | None = None, view=None, metadata: dict | None = None) -> None:
        """Show the final answer: `view` if given, else Markdown for one choice, the grid for several;
        `metadata` goes with it into the output (provenance)."""
        if texts is not None:
            self.texts = list(texts)
        if self.handle is not None:
            self.handle.update(view if view is not None else final_view(self.texts), metadata=metadata or {})


def final_view(texts: list[str]):
    """Markdown for one answer, a grid for several."""
    return AnswerMarkdown(texts[0]) if len(texts) == 1 else ChoicesGrid(texts)


class AnswerFooter:
    """The small line under an answer: model, tokens, its cost, whether it was replayed, the completion
    id when it was stored, and the notebook's meter."""

    def __init__(self, completion, stored: bool, cost_usd: float | None = None, replayed: bool = False,
                 meter: str = "", priced: bool = True):
        self.completion = completion
        self.stored = stored
        self.cost_usd = cost_usd
        self.replayed = replayed
        self.meter = meter
        self.priced = priced

    def text(self) -> str:
        """The footer as plain text: model, token counts when the answer has usage (Chat Completions or
        Responses), its cost, "replayed", the id when the completion was stored, and the meter.

        Example:
            >>> AnswerFooter({"id": "chatcmpl-1", "model": "local-ngram",
            ...               "usage": {"prompt_tokens": 9, "completion_tokens": 12}}, stored=True).text()
            'local-ngram · 9 prompt + 12 completion tokens · stored as chatcmpl-1'
            >>> AnswerFooter({"model": "m", "usage": {"input_tokens": 4, "output_tokens": 2}}, stored=False,
            ...              cost_usd=0.000021, replayed=True, meter="notebook: 0 tokens, $0.00 spent").text()
            'm · 4 prompt + 2 completion tokens · $0.000021 · replayed · notebook: 0 tokens, $0.00 spent'
        """
        from jupyter_api_kit.frames.readable import money
        from jupyter_api_kit.magics.history import usage_counts

        usage = self.completion.get("usage") or {}
        parts = [str(self.completion.get("model") or "")]
        if usage:
            prompt, _cached, completion = usage_counts(usage)
            parts.append(f"{prompt} prompt + {completion} completion tokens")
        if self.cost_usd is not None:
            parts.append(money([self.cost_usd])[0])
        elif not self.priced:
            parts.append("no price for this model")
        if self.replayed:
            parts.append("replayed")
        if self.stored and self.completion.get("id"):
            parts.append(f"stored as {self.completion['id']}")
        parts.append(self.meter)
        return " · ".join(p for p in parts if p)

    def _repr_html_(self) -> str:
        return f'<div style="color:#888;font-size:85%">{html.escape(self.text())}</div>'

    def __repr__(self) -> str:
        return self.text()


class CompletionView:
    """One stored completion with its messages (`%completions show ID`).

    Attributes: `completion` (the API object) and `messages` (a DataFrame: role, content).
    """

    def __init__(self, completion, messages):
        self.completion = completion
        self.messages = messages

    def _answers(self) -> list[str]:
        return [(c.get("message") or {}).get("content") or "" for c in self.completion.get("choices") or []]

    def _summary(self) -> list[tuple[str, str]]:
        c = self.completion
        metadata = ", ".join(f"{k}={v}" for k, v in (c.get("metadata") or {}).items()) or "(none)"
        usage = c.get("usage") or {}
        return [("id", c.get("id", "")), ("model", c.get("model", "")), ("metadata", metadata),
                ("tokens", f"{usage.get('prompt_tokens', '?')} prompt + "
                           f"{usage.get('completion_tokens', '?')} completion")]

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
                       f"<td style='text-align:left'>{html.escape(str(v))}</td></tr>"
                       for k, v in self._summary())
        answers = self._answers()
        answer_html = (ChoicesGrid(answers)._repr_html_() if len(answers) > 1 else
                       f"<div style='white-space:pre-wrap'>{html.escape(answers[0] if answers else '')}</div>")
        table = self.messages.to_html(index=False) if len(self.messages) else "<p>(no messages)</p>"
        return (f"<table>{rows}</table><h4>Messages</h4>{table}"
                f"<h4>Answer</h4>{answer_html}")

    def __repr__(self) -> str:
        head = "\n".join(f"{k}: {v}" for k, v in self._summary())
        lines = [f"{row.role}: {row.content}" for row in self.messages.itertuples()]
        answers = "\n\n".join(self._answers())
        return f"{head}\n\nmessages:\n" + "\n".join(lines) + f"\n\nanswer:\n{answers}"
