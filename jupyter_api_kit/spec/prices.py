"""The price table: what a token or a unit of usage costs, in US dollars. The local server prices
`GET /organization/costs` with it; the notebook front uses it for its cost meter.

The local models' prices are illustrative figures written for this project, so that costs answer
with real arithmetic over real usage; they are not OpenAI's prices. Change or extend the table with
a JSON file named by `JUPYTER_API_KIT_PRICES` (entries are merged over these), e.g.

    {"local-ngram": {"input": 2.0, "cached input": 0.5, "output": 8.0}}

Token prices are per million tokens; `"*"` prices any model the table does not name. Other kinds
are priced per unit (`UNIT_PRICES`).

Example:
    >>> table = PriceTable()
    >>> table.token_price("local-ngram", "output") > table.token_price("local-ngram", "input")
    True
    >>> [line for line, _q, _u, _v in table.lines("completions", "local-ngram", 1000, 200, 500, 0)]
    ['local-ngram, input', 'local-ngram, cached input', 'local-ngram, output']
"""

from __future__ import annotations

import json
import os
from pathlib import Path

PRICES_ENV = "JUPYTER_API_KIT_PRICES"
NOTE = ("local price table: illustrative USD prices for the local models, not OpenAI's prices "
        f"(set {PRICES_ENV} to a JSON file to change them)")

#: USD per million tokens, per model and token type
TOKEN_PRICES = {
    "local-ngram": {"input": 0.40, "cached input": 0.10, "output": 1.60},
    "local-ngram-small": {"input": 0.10, "cached input": 0.025, "output": 0.40},
    "local-embed": {"input": 0.02},
    "local-moderation": {"input": 0.0},
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
        prices = self.tokens.get(model or "*") or self.tokens["*"]
        return float(prices.get(token_type, self.tokens["*"].get(token_type, 0.0)))

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
