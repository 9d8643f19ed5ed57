"""JSON values that fit a JSON schema, filled from the conversation: structured outputs and tool arguments.

`fill(schema, extractor)` walks a schema the way Pydantic, Zod and hand-written schemas use it: local
`$ref` (to `$defs`, `definitions` or any JSON pointer of the schema, recursion included), `allOf`
(merged), `anyOf`/`oneOf` (the branch the conversation supports, else the first that is not null),
`enum` and `const`, nullable types (`["string", "null"]`, `anyOf [..., {"type": "null"}]`), objects
(every required property; others when the conversation has a value for them), arrays (of objects
too; as many items as the conversation names, within minItems/maxItems), string formats and lengths,
number ranges. Each value comes from the conversation by the field's name (`extract.Extractor`:
`city` gets a place it names, `age` a number near "age"), else a plain value of the right type.
A `$ref` that points outside the schema is a `ModelInputError`.

Example:
    >>> from jupyter_api_kit.local.models.extract import Extractor
    >>> schema = {"type": "object", "required": ["stops", "best_month"], "properties": {
    ...     "stops": {"type": "array", "items": {"$ref": "#/$defs/City"}},
    ...     "best_month": {"$ref": "#/$defs/Month"}},
    ...     "$defs": {"City": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]},
    ...               "Month": {"enum": ["May", "June", "July"]}}}
    >>> fill(schema, Extractor("Plan a trip to Lyon and Nice in June."))
    {'stops': [{'name': 'Lyon'}, {'name': 'Nice'}], 'best_month': 'June'}
"""

from __future__ import annotations

import hashlib
import re
import uuid

from jupyter_api_kit.local.models.errors import ModelInputError
from jupyter_api_kit.local.models.extract import Extractor, field_kind

MAX_DEPTH = 8          # deeper than this, a recursive schema gets its smallest valid value
MAX_ITEMS = 8
_MAPS = ("properties", "$defs", "definitions", "patternProperties", "dependentSchemas")
_SIMPLE = {"string": "", "integer": 0, "number": 0.0, "boolean": False, "null": None, "array": [], "object": {}}


def resolve_ref(ref: str, root: dict):
    """The schema a local `$ref` points to ("#", "#/$defs/X", "#/definitions/X", any JSON pointer).

    Example:
        >>> resolve_ref("#/$defs/a~1b", {"$defs": {"a/b": {"type": "integer"}}})
        {'type': 'integer'}
    """
    if not isinstance(ref, str) or not ref.startswith("#"):
        raise ModelInputError(f"$ref {ref!r} is not supported: only references inside the schema "
                              "('#/$defs/Name', '#/definitions/Name') are", param="schema")
    node = root
    for part in [p for p in ref[1:].split("/") if p]:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise ModelInputError(f"$ref {ref!r} points to nothing in the schema", param="schema")
    return node


def check_schema(schema) -> None:
    """Raise `ModelInputError` for a `$ref` a schema cannot follow (outside it, or to nothing).

    Example:
        >>> check_schema({"properties": {"a": {"$ref": "#/$defs/A"}}, "$defs": {"A": {"type": "string"}}})
        >>> check_schema({"items": {"$ref": "#/$defs/Missing"}})
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.models.errors.ModelInputError: $ref '#/$defs/Missing' points to nothing in the schema
    """
    root = schema if isinstance(schema, dict) else {}
    todo, seen = [schema], 0
    while todo and seen < 10_000:  # a schema of any size is walked, never forever
        node = todo.pop()
        seen += 1
        if isinstance(node, dict):
            if "$ref" in node:
                resolve_ref(node["$ref"], root)
            for key, value in node.items():
                if key in _MAPS and isinstance(value, dict):  # names -> schemas: a name is no keyword
                    todo.extend(value.values())
                elif key not in ("const", "enum", "default", "examples"):
                    todo.append(value)
        elif isinstance(node, list):
            todo.extend(node)


def resolve(schema, root: dict, seen: tuple = ()) -> dict:
    """A schema node with its `$ref` followed and its `allOf` merged (one level; not recursive)."""
    if schema is True or schema is None:
        return {}
    if not isinstance(schema, dict):
        return {"not": {}} if schema is False else {}
    while "$ref" in schema:
        ref = schema["$ref"]
        if ref in seen:
            break
        seen = seen + (ref,)
        target = resolve_ref(ref, root)
        rest = {k: v for k, v in schema.items() if k != "$ref"}
        schema = {**(target if isinstance(target, dict) else {}), **rest}
    if isinstance(schema.get("allOf"), list):
        merged = {k: v for k, v in schema.items() if k != "allOf"}
        for part in schema["allOf"]:
            part = resolve(part, root, seen)
            for key, value in part.items():
                if key == "properties" and isinstance(value, dict):
                    merged["properties"] = {**merged.get("properties", {}), **value}
                elif key == "required" and isinstance(value, list):
                    merged["required"] = list(dict.fromkeys(merged.get("required", []) + value))
                else:
                    merged.setdefault(key, value)
        schema = merged
    return schema


def _types(schema: dict) -> list[str]:
    kind = schema.get("type")
    if isinstance(kind, list):
        return [k for k in kind if isinstance(k, str)]
    if isinstance(kind, str):
        return [kind]
    if "properties" in schema or "additionalProperties" in schema:
        return ["object"]
    if "items" in schema or "prefixItems" in schema:
        return ["array"]
    return []


def _number(value, default=None):
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else default


def fill(schema, extractor: Extractor, root: dict | None = None, name: str = "", depth: int = 0):
    """A value valid for `schema`, drawn from the conversation where it holds one."""
    root = schema if root is None and isinstance(schema, dict) else (root or {})
    node = resolve(schema, root)
    description = str(node.get("description") or node.get("title") or "")
    if "const" in node:
        return node["const"]
    if isinstance(node.get("enum"), list) and node["enum"]:
        options = node["enum"]
        picked = extractor.choose([o for o in options if o is not None], name) if depth < MAX_DEPTH else None
        return picked if picked is not None else options[0]
    for key in ("anyOf", "oneOf"):
        if isinstance(node.get(key), list) and node[key]:
            return fill(_branch(node[key], root, extractor, name, description), extractor, root, name, depth + 1)
    types = _types(node)
    if not types:
        return extractor.value_for(name, "string", description) or extractor.sentence() if depth < MAX_DEPTH else ""
    if "null" in types and len(types) > 1:
        others = [t for t in types if t != "null"]
        if depth >= MAX_DEPTH or (others[0] in ("string", "integer", "number") and
                                  extractor.value_for(name, others[0], description, fresh=True) is None
                                  and field_kind(name, description) not in ("text", "topic")):
            return None
        types = others
    kind = types[0]
    if kind == "object":
        return _object(node, extractor, root, depth)
    if kind == "array":
        return _array(node, extractor, root, name, description, depth)
    if kind in ("integer", "number"):
        return _numeric(node, kind, extractor, name, description)
    if kind == "boolean":
        return bool(extractor.value_for(name, "boolean", description))
    if kind == "null":
        return None
    return _string(node, extractor, name, description, depth)


def _branch(options: list, root: dict, extractor: Extractor, name: str, description: str):
    """The branch of an anyOf/oneOf to fill: one whose const or enum the conversation names, else
    the first that is not null (null when the conversation has no value for the field)."""
    resolved = [resolve(o, root) for o in options]
    lowered = extractor.all.lower()
    for option, node in zip(options, resolved):
        for prop in (node.get("properties") or {}).values():
            prop = resolve(prop, root)
            if isinstance(prop.get("const"), str) and prop["const"].lower() in lowered:
                return option
    real = [(o, n) for o, n in zip(options, resolved) if _types(n) != ["null"]]
    nullable = len(real) < len(options)
    if not real:
        return options[0]
    if nullable and len(real) == 1:
        kinds = _types(real[0][1]) or ["string"]
        scalar = kinds[0] in ("string", "integer", "number")
        if scalar and not real[0][1].get("enum") and field_kind(name, description) not in ("text", "topic") \
                and extractor.value_for(name, kinds[0], description, fresh=True) is None:
            return {"type": "null"}
    return real[0][0]


def _object(node: dict, extractor: Extractor, root: dict, depth: int) -> dict:
    props = node.get("properties") if isinstance(node.get("properties"), dict) else {}
    required = [r for r in node.get("required") if isinstance(r, str)] if isinstance(node.get("required"), list) else []
    out = {}
    for key, sub in props.items():
        if depth >= MAX_DEPTH and key not in required:
            continue
        sub_node = resolve(sub, root)
        if key not in required:
            kinds = _types(sub_node)
            found = extractor.value_for(key, kinds[0] if kinds else "string",
                                        str(sub_node.get("description") or ""), fresh=True)
            if found is None and "default" not in sub_node and not sub_node.get("enum"):
                continue
            if found is None and "default" in sub_node:
                out[key] = sub_node["default"]
                continue
        out[key] = fill(sub, extractor, root, key, depth + 1)
    for key in required:  # required but not described: any JSON value will do
        out.setdefault(key, extractor.value_for(key, "string") or "")
    return out


def _array(node: dict, extractor: Extractor, root: dict, name: str, description: str, depth: int) -> list:
    low = int(_number(node.get("minItems"), 0))
    high = int(_number(node.get("maxItems"), MAX_ITEMS))
    prefix = node.get("prefixItems") if isinstance(node.get("prefixItems"), list) else []
    items = node.get("items") if isinstance(node.get("items"), (dict, bool)) else {}
    if depth >= MAX_DEPTH:
        count = low
    else:
        item = resolve(items, root)
        key = _key_field(item, root) if _types(item) == ["object"] else name
        if field_kind(name, description) in ("place", "person"):
            key = name  # "stops": the stops are places, whatever their objects call them
        found = extractor.count(key, description) if key else 0
        count = found or (1 if depth < 2 else low)  # a recursive schema stops growing
    count = max(low, min(count, high, MAX_ITEMS), len(prefix) if low else 0)
    out = []
    for i in range(count):
        sub = prefix[i] if i < len(prefix) else items
        out.append(_fill_item(sub, extractor, root, name, depth))
    if node.get("uniqueItems"):
        unique = []
        for value in out:
            if value not in unique:
                unique.append(value)
        out = unique if len(unique) >= low else out
    return out


def _fill_item(sub, extractor: Extractor, root: dict, name: str, depth: int):
    """One list item; successive items take successive values of their kind (several cities)."""
    node = resolve(sub, root)
    kinds = _types(node)
    if kinds and kinds[0] in ("string", "integer", "number") and not node.get("enum") and "const" not in node:
        found = extractor.value_for(name, kinds[0], str(node.get("description") or ""), repeat=True)
        if found is not None:
            return found
    if kinds == ["object"]:
        key = _key_field(node, root)
        if key:
            asked = name if field_kind(name) in ("place", "person") else key
            value = extractor.value_for(asked, "string", repeat=True)
            filled = fill(sub, extractor, root, name, depth + 1)
            if value is not None and isinstance(filled, dict):
                filled[key] = value
            return filled
    return fill(sub, extractor, root, name, depth + 1)


def _key_field(node: dict, root: dict) -> str:
    """The property of an object schema that names it (a place, a person), if any."""
    for key, sub in (node.get("properties") or {}).items():
        if _types(resolve(sub, root)) == ["string"] and field_kind(key) in ("place", "person"):
            return key
    return ""


def _numeric(node: dict, kind: str, extractor: Extractor, name: str, description: str):
    low = _number(node.get("minimum"), _number(node.get("exclusiveMinimum")))
    high = _number(node.get("maximum"), _number(node.get("exclusiveMaximum")))
    value = extractor.value_for(name, kind, description)
    if value is None:
        value = low if low is not None else (min(0, high) if high is not None else 0)
    if low is not None and (value < low or (value == low and "exclusiveMinimum" in node and "minimum" not in node)):
        value = low + (1 if kind == "integer" else 0.5) * ("exclusiveMinimum" in node and "minimum" not in node)
    if high is not None and (value > high or (value == high and "exclusiveMaximum" in node and "maximum" not in node)):
        value = high - (1 if kind == "integer" else 0.5) * ("exclusiveMaximum" in node and "maximum" not in node)
    step = _number(node.get("multipleOf"))
    if step:
        value = round(value / step) * step
    return int(value) if kind == "integer" else float(value)


_FORMATS = {"date": "2025-01-01", "date-time": "2025-01-01T09:00:00Z", "time": "09:00:00",
            "email": "someone@example.com", "uri": "https://example.com", "url": "https://example.com",
            "hostname": "example.com", "ipv4": "192.0.2.1", "ipv6": "2001:db8::1", "duration": "P1D"}


def _string(node: dict, extractor: Extractor, name: str, description: str, depth: int) -> str:
    fmt = node.get("format")
    if fmt == "uuid":
        digest = hashlib.sha256(f"{name}:{extractor.all}".encode()).digest()[:16]
        return str(uuid.UUID(bytes=digest, version=4))
    value = extractor.value_for(name, "string", description) if depth < MAX_DEPTH else None
    if fmt in _FORMATS and (value is None or not _fits_format(value, fmt)):
        value = _FORMATS[fmt]
    if value is None:
        value = extractor.value_for("topic", "string") if depth < MAX_DEPTH else ""
    value = str(value if value is not None else "")
    pattern = node.get("pattern")
    if isinstance(pattern, str):
        try:
            if not re.search(pattern, value):
                candidates = [w for w in re.findall(r"[\w@.:/-]+", extractor.all) if re.search(pattern, w)]
                value = candidates[0] if candidates else value
        except re.error:
            pass
    low, high = _number(node.get("minLength"), 0), _number(node.get("maxLength"))
    if high is not None:
        value = value[:int(high)]
    if len(value) < low:
        value = (value + " " * int(low))[:max(int(low), len(value))] if value else "x" * int(low)
    return value


def _fits_format(value: str, fmt: str) -> bool:
    checks = {"date": r"\d{4}-\d{2}-\d{2}", "date-time": r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:\d{2})",
              "time": r"\d{2}:\d{2}(:\d{2})?", "email": r"[^@\s]+@[^@\s]+\.[^@\s]+", "uri": r"https?://\S+",
              "url": r"https?://\S+"}
    return bool(re.fullmatch(checks[fmt], value)) if fmt in checks else False


def empty_value(schema):
    """The plainest value of a schema's first type (for a caller that needs a placeholder).

    Example:
        >>> empty_value({"type": ["integer", "null"]}), empty_value({"type": "object"})
        (0, {})
    """
    kinds = _types(resolve(schema, schema if isinstance(schema, dict) else {}))
    return _SIMPLE.get(kinds[0] if kinds else "string", "")
