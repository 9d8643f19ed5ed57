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


def _number(value, default):
    """A schema keyword that should be a number; a caller's malformed one counts as absent."""
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else default


def value_for(schema: dict, context: str, rng: random.Random, depth: int = 0):
    """One value that satisfies `schema` (a JSON Schema subset: type, enum, const, properties,
    items, anyOf/oneOf, minimum/maximum, minItems). The schema is the caller's: a keyword of the
    wrong type is ignored rather than trusted (`properties: 7`, `enum: "a"`, `minItems: "x"`).

    Example:
        >>> value_for({"type": "object", "properties": 7}, "x", random.Random(0))
        {}
    """
    if not isinstance(schema, dict):
        return None
    if "const" in schema:
        return schema["const"]
    if schema.get("enum") and isinstance(schema["enum"], list):
        return rng.choice(schema["enum"])
    for key in ("anyOf", "oneOf"):
        if schema.get(key) and isinstance(schema[key], list):
            return value_for(schema[key][0], context, rng, depth + 1)
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        props = schema.get("properties")
        if depth > 6 or not isinstance(props, dict):
            return {}
        return {name: value_for(sub, context, rng, depth + 1) for name, sub in props.items()}
    if kind == "array":
        # at least minItems, but a schema cannot make the server build a huge list or recurse for ever
        if depth > 6:
            return []
        count = min(max(int(_number(schema.get("minItems"), 1)), 1), 64)
        return [value_for(schema.get("items") or {}, context, rng, depth + 1) for _ in range(count)]
    if kind in ("integer", "number"):
        low = int(_number(schema.get("minimum", schema.get("exclusiveMinimum")), 0))
        high = int(_number(schema.get("maximum", schema.get("exclusiveMaximum")), low + 10))
        first = low + ("exclusiveMinimum" in schema)
        value = rng.randint(first, max(first, high - ("exclusiveMaximum" in schema)))
        return value if kind == "integer" else float(value)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "null":
        return None
    words = _words(context)
    text = words[0] if rng.random() < 0.8 else rng.choice(words)
    max_len = _number(schema.get("maxLength"), None)
    return text[:int(max_len)] if max_len else text


def arguments_for(parameters: dict | None, context: str, rng: random.Random) -> dict:
    """A JSON object valid for a function's `parameters` schema (an empty schema gives {})."""
    if not parameters:
        return {}
    value = value_for(parameters, context, rng)
    return value if isinstance(value, dict) else {}
