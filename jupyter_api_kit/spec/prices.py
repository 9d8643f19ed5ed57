"""The price table: what a token or a unit of usage costs, in US dollars. The local server prices
`GET /organization/costs` with it; the notebook front uses it for its cost meter.

The local models' prices are illustrative figures written for this project, so that costs answer
with real arithmetic over real usage; they are not OpenAI's prices. The table also holds the
published standard-tier text prices of common OpenAI models (`OPENAI_TOKEN_PRICES`, as listed on
OpenAI's pricing pages in `OPENAI_PRICES_DATE`; prices change, so check them before relying on a
figure). A dated snapshot or variant is priced as the model it belongs to (`gpt-4o-mini-2024-07-18`
as `gpt-4o-mini`). Change or extend the table with a JSON file named by `JUPYTER_API_KIT_PRICES`
(entries are merged over these), e.g.

    {"local-ngram": {"input": 2.0, "cached input": 0.5, "output": 8.0}}

Token prices are per million tokens; `"*"` prices any model the table does not name. Other kinds
are priced per unit (`UNIT_PRICES`).

Example:
    >>> table = PriceTable()
    >>> table.token_price("local-ngram", "output") > table.token_price("local-ngram", "input")
    True
    >>> [line for line, _q, _u, _v in table.lines("completions", "local-ngram", 1000, 200, 500, 0)]
    ['local-ngram, input', 'local-ngram, cached input', 'local-ngram, output']
    >>> round(table.cost("gpt-4o-mini-2024-07-18", 1_000_000, 0, 1_000_000), 2)
    0.75
"""

from __future__ import annotations

import json
import os
from pathlib import Path

PRICES_ENV = "JUPYTER_API_KIT_PRICES"
NOTE = ("local price table: illustrative USD prices for the local models, not OpenAI's prices "
        f"(set {PRICES_ENV} to a JSON file to change them)")

#: when the OpenAI prices below were taken from OpenAI's published pricing (standard tier, text tokens)
OPENAI_PRICES_DATE = "2026-03"
#: USD per million tokens of common OpenAI models, as published (see OPENAI_PRICES_DATE)
OPENAI_TOKEN_PRICES = {
    "gpt-5.4": {"input": 2.50, "cached input": 0.25, "output": 15.00},
    "gpt-5.4-mini": {"input": 0.75, "cached input": 0.075, "output": 4.50},
    "gpt-5.4-nano": {"input": 0.20, "cached input": 0.02, "output": 1.25},
    "gpt-5": {"input": 1.25, "cached input": 0.125, "output": 10.00},
    "gpt-5-mini": {"input": 0.25, "cached input": 0.025, "output": 2.00},
    "gpt-5-nano": {"input": 0.05, "cached input": 0.005, "output": 0.40},
    "gpt-4.1": {"input": 2.00, "cached input": 0.50, "output": 8.00},
    "gpt-4.1-mini": {"input": 0.40, "cached input": 0.10, "output": 1.60},
    "gpt-4.1-nano": {"input": 0.10, "cached input": 0.025, "output": 0.40},
    "gpt-4o": {"input": 2.50, "cached input": 1.25, "output": 10.00},
    "gpt-4o-mini": {"input": 0.15, "cached input": 0.075, "output": 0.60},
    "o3": {"input": 2.00, "cached input": 0.50, "output": 8.00},
    "o4-mini": {"input": 1.10, "cached input": 0.275, "output": 4.40},
    "o3-mini": {"input": 1.10, "cached input": 0.55, "output": 4.40},
    "o1": {"input": 15.00, "cached input": 7.50, "output": 60.00},
    "gpt-3.5-turbo": {"input": 0.50, "cached input": 0.50, "output": 1.50},
    "text-embedding-3-small": {"input": 0.02},
    "text-embedding-3-large": {"input": 0.13},
    "text-embedding-ada-002": {"input": 0.10},
    "omni-moderation-latest": {"input": 0.0},
}

#: USD per million tokens, per model and token type
TOKEN_PRICES = {
    "local-ngram": {"input": 0.40, "cached input": 0.10, "output": 1.60},
    "local-ngram-small": {"input": 0.10, "cached input": 0.025, "output": 0.40},
    "local-embed": {"input": 0.02},
    "local-moderation": {"input": 0.0},
    **OPENAI_TOKEN_PRICES,
    "*": {"input": 0.50, "cached input": 0.125, "output": 2.00},
}
#: kinds that are not priced per token: (line item label, quantity source, unit, USD per unit)
UNIT_PRICES = {
    "images": ("images", "quantity", "images", 0.02),
    "audio_speeches": ("speech", "quantity", "characters", 0.000015),
    "audio_transcriptions": ("transcription", "quantity", "duration_seconds", 0.0001),
    "vector_stores": ("vector store storage", "quantity", "gibibyte_hours", 0.10 / 24),
    "code_interpreter_sessions": ("code interpreter", "requests", "sessions", 0.03),
    "file_search_calls": ("file search", "requests", "calls", 0.0025),
    "web_search_calls": ("web search", "requests", "calls", 0.01),
}
TOKEN_KINDS = ("completions", "embeddings", "moderations")

class PriceTable:
    """Token prices per model plus unit prices per kind; `overrides` are merged over the defaults."""

    def __init__(self, overrides: dict | None = None):
        self.tokens = {model: dict(prices) for model, prices in TOKEN_PRICES.items()}
        for model, prices in (overrides or {}).items():
            if not isinstance(prices, dict) or not all(isinstance(v, (int, float)) for v in prices.values()):
                raise ValueError(f"price table entry {model!r} must map token types to USD per million tokens")
            self.tokens.setdefault(model, {}).update(prices)

    @classmethod
    def from_environment(cls) -> "PriceTable":
        """The default table, with the JSON file named by `JUPYTER_API_KIT_PRICES` (if set) merged over it.

        Example:
            >>> import json, os, tempfile
            >>> path = os.path.join(tempfile.mkdtemp(), "prices.json")
            >>> with open(path, "w") as f:
            ...     json.dump({"local-ngram": {"output": 8.0}}, f)
            >>> from unittest import mock
            >>> with mock.patch.dict(os.environ, {PRICES_ENV: path}):
            ...     PriceTable.from_environment().token_price("local-ngram", "output")
            8.0
        """
        path = os.environ.get(PRICES_ENV)
        if not path:
            return cls()
        return cls(json.loads(Path(path).expanduser().read_text(encoding="utf-8")))

    def token_price(self, model: str | None, token_type: str) -> float:
        """USD per million tokens of `token_type` for `model`; models the table does not name, and
        token types a model's entry lacks, take the `"*"` price.

        Example:
            >>> table = PriceTable({"my-model": {"input": 1.0}})
            >>> table.token_price("my-model", "input"), table.token_price("my-model", "output")
            (1.0, 2.0)
        """
        prices = self.tokens.get(self.entry_for(model) or "*") or self.tokens["*"]
        return float(prices.get(token_type, self.tokens["*"].get(token_type, 0.0)))

    def entry_for(self, model: str | None) -> str | None:
        """The table's entry that prices `model`: its own, or that of the model it is a dated snapshot or
        variant of (the longest name it starts with, followed by `-`); None when there is neither.

        Example:
            >>> table = PriceTable()
            >>> table.entry_for("gpt-4o-mini-2024-07-18"), table.entry_for("gpt-4o"), table.entry_for("mystery")
            ('gpt-4o-mini', 'gpt-4o', None)
        """
        if not model:
            return None
        if model in self.tokens:
            return model
        stems = [name for name in self.tokens if name != "*" and model.startswith(name + "-")]
        return max(stems, key=len) if stems else None

    def cost(self, model: str | None, input_tokens: int, cached_tokens: int, output_tokens: int,
             unknown: bool = True) -> float | None:
        """USD for one answer: `input_tokens` (of which `cached_tokens` were cached) and `output_tokens`.
        A model the table does not name is priced with `"*"`, or gives None with `unknown=False`.

        Example:
            >>> table = PriceTable({"tiny": {"input": 1.0, "output": 2.0}})
            >>> table.cost("tiny", 1_000_000, 500_000, 1_000_000)   # cached input without a price of its own: input
            3.0
            >>> table.cost("mystery", 10, 0, 10, unknown=False) is None
            True
        """
        name = self.entry_for(model)
        if name is None and not unknown:
            return None
        own = self.tokens.get(name or "*", {})
        input_price = self.token_price(name, "input")
        cached_price = self.token_price(name, "cached input") if name is None or "cached input" in own else input_price
        return ((input_tokens - cached_tokens) * input_price + cached_tokens * cached_price
                + output_tokens * self.token_price(name, "output")) / 1e6

    def lines(self, kind: str, model: str | None, input_tokens: int, cached: int, output_tokens: int,
              quantity: float, requests: int = 0):
        """The priced line items of one aggregate: `(line_item, quantity, unit, usd)`."""
        name = model or kind
        if kind in TOKEN_KINDS:
            parts = [("input", input_tokens - cached), ("cached input", cached), ("output", output_tokens)]
            for token_type, count in parts:
                if count:
                    yield f"{name}, {token_type}", count, "tokens", count * self.token_price(model, token_type) / 1e6
        elif kind in UNIT_PRICES:
            label, source, unit, price = UNIT_PRICES[kind]
            amount = quantity if source == "quantity" else requests
            if kind == "vector_stores":
                amount = quantity / 2**30 * 24  # bytes held through a day, as GiB-hours
            if amount:
                yield f"{name}, {label}", amount, unit, amount * price
