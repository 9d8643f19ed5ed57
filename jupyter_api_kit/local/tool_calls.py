"""Arguments for function tool calls: JSON that is valid for the function's parameter schema.

The local model cannot reason about tools; it can fill a schema with values drawn from the
conversation, which is what a demo of the tool-call round trip needs.

Example:
    >>> import random
    >>> schema = {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
    ...           "required": ["city"]}
    >>> args = arguments_for(schema, "weather in Paris", random.Random(0))
    >>> sorted(args), isinstance(args["days"], int)
    (['city', 'days'], True)
"""

from __future__ import annotations

import random
import re

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")


def _words(context: str) -> list[str]:
    # Prefer capitalised words (names, places), then long words: the likeliest argument values.
    words = _WORD.findall(context)
    named = [w for w in words if w[0].isupper() and w.lower() not in {"the", "what", "how", "please", "i"}]
    long_words = [w for w in words if len(w) > 4]
    return named[::-1] + long_words[::-1] or ["example"]


def value_for(schema: dict, context: str, rng: random.Random, depth: int = 0):
    """One value that satisfies `schema` (a JSON Schema subset: type, enum, const, properties,
    items, anyOf/oneOf, minimum/maximum, minItems)."""
    if not isinstance(schema, dict):
        return None
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return rng.choice(schema["enum"])
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            return value_for(schema[key][0], context, rng, depth + 1)
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        props = schema.get("properties") or {}
        if depth > 6:
            return {}
        return {name: value_for(sub, context, rng, depth + 1) for name, sub in props.items()}
    if kind == "array":
        count = max(int(schema.get("minItems", 1)), 1)
        return [value_for(schema.get("items") or {}, context, rng, depth + 1) for _ in range(count)]
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        high = schema.get("maximum", schema.get("exclusiveMaximum", low + 10))
        value = rng.randint(int(low) + ("exclusiveMinimum" in schema), max(int(low), int(high) - ("exclusiveMaximum" in schema)))
        return value if kind == "integer" else float(value)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "null":
        return None
    words = _words(context)
    text = words[0] if rng.random() < 0.8 else rng.choice(words)
    max_len = schema.get("maxLength")
    return text[:max_len] if max_len else text


def arguments_for(parameters: dict | None, context: str, rng: random.Random) -> dict:
    """A JSON object valid for a function's `parameters` schema (an empty schema gives {})."""
    if not parameters:
        return {}
    value = value_for(parameters, context, rng)
    return value if isinstance(value, dict) else {}
