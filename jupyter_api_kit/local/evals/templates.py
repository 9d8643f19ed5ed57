"""Templates of evals: the `{{item.x}}` / `{{sample.output_text}}` variables that graders and input
messages use, checked when an eval or run is created and filled for each item.

Example:
    >>> render("Capital of {{item.country}}? {{ sample.output_text }}",
    ...        {"item": {"country": "Peru"}, "sample": {"output_text": "Lima"}})
    'Capital of Peru? Lima'
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from jupyter_api_kit.local.core.errors import BadRequest

_TEMPLATE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
VARIABLE_PATH = re.compile(r"^(item|sample)(\.[A-Za-z0-9_\-]+)+$")


class TemplateError(ValueError):
    """A template names a variable the item or sample does not have."""


def template_refs(text: str) -> list[str]:
    """The variable paths a template uses.

    Example:
        >>> template_refs("Q: {{ item.question }} A: {{sample.output_text}}")
        ['item.question', 'sample.output_text']
    """
    return [m.group(1) for m in _TEMPLATE.finditer(text)]


def lookup(path: str, namespaces: Mapping):
    """The value at a dotted path such as `item.answer` or `item.tags.0`; TemplateError if absent.

    Example:
        >>> lookup("item.a.b", {"item": {"a": {"b": 3}}})
        3
    """
    parts = path.split(".")
    value = namespaces
    for depth, part in enumerate(parts):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            raise TemplateError(f"'{{{{{path}}}}}' has no value: '{'.'.join(parts[:depth + 1])}' is missing")
    return value


def as_text(value) -> str:
    """A template value as text: strings as they are, anything else as JSON.

    Example:
        >>> as_text("Paris"), as_text({"a": 1})
        ('Paris', '{"a": 1}')
    """
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def render(template: str, namespaces: Mapping) -> str:
    """Fill every `{{item.x}}` / `{{sample.y}}` of a template.

    Example:
        >>> render("Capital of {{item.country}}?", {"item": {"country": "France"}})
        'Capital of France?'
    """
    return _TEMPLATE.sub(lambda m: as_text(lookup(m.group(1), namespaces)), template)


def _check_refs(text: str, param: str, item_properties: set | None, has_sample: bool) -> None:
    for ref in template_refs(text):
        if not VARIABLE_PATH.match(ref):
            raise BadRequest(f"Invalid template '{{{{{ref}}}}}' in '{param}': variables are 'item.<field>' or "
                             "'sample.<field>', e.g. '{{item.answer}}' or '{{sample.output_text}}'.", param=param)
        namespace, field = ref.split(".")[:2]
        if namespace == "sample" and not has_sample:
            raise BadRequest(f"'{param}' uses '{{{{{ref}}}}}', but this eval has no sample namespace: create it "
                             "with data_source_config.include_sample_schema set to true.", param=param)
        if namespace == "item" and item_properties is not None and field not in item_properties:
            known = ", ".join(sorted(item_properties)) or "none"
            raise BadRequest(f"'{param}' uses '{{{{{ref}}}}}', but the item schema has no property '{field}' "
                             f"(properties: {known}).", param=param)


def check_template_text(text, param: str, item_properties: set | None, has_sample: bool) -> str:
    """A template string whose variables exist in the eval's namespaces, or a 400 naming the problem.

    Example:
        >>> check_template_text("{{item.q}}", "input", {"q"}, has_sample=False)
        '{{item.q}}'
    """
    if not isinstance(text, str):
        raise BadRequest(f"Invalid type for '{param}': expected a string.", param=param)
    _check_refs(text, param, item_properties, has_sample)
    return text


def template_message(role: str, text: str, kind: str | None = None) -> dict:
    """A template message in the one form the API description reads unambiguously: content as an
    `input_text` part (a plain string content matches two of its message schemas at once).

    Example:
        >>> template_message("user", "{{item.q}}")
        {'role': 'user', 'content': {'type': 'input_text', 'text': '{{item.q}}'}}
    """
    message = {"role": role, "content": {"type": "input_text", "text": text}}
    if kind == "message":
        message["type"] = kind
    return message


def content_texts(content, param: str) -> list[str]:
    """The text pieces of a template message's content (a string, a text part, or a list of them).

    Example:
        >>> content_texts([{"type": "input_text", "text": "a"}, "b"], "input[0].content")
        ['a', 'b']
    """
    if isinstance(content, str):
        return [content]
    parts = content if isinstance(content, list) else [content]
    texts = []
    for part in parts:
        if isinstance(part, str):
            texts.append(part)
        elif isinstance(part, dict) and part.get("type") in ("input_text", "output_text", "text"):
            texts.append(str(part.get("text", "")))
        else:
            kind = part.get("type") if isinstance(part, dict) else type(part).__name__
            raise BadRequest(f"Invalid '{param}': content of type '{kind}' cannot be read by the local text "
                             "models; use text ('input_text') content.", param=param)
    return texts
