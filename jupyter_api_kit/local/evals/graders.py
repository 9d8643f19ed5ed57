"""Testing criteria the local server grades for real: checking them at eval creation, filling their
`{{item.x}}` / `{{sample.output_text}}` templates, and scoring one item.

Supported: `string_check` (`eq`, `ne`, `like` = the input contains the reference, `ilike` = the same
ignoring case) and `text_similarity` with every metric the API documents: those of
`text_metrics.METRICS`, and `cosine` of the two texts' `local-embed` embeddings. Graders that need a
model to judge (`label_model`, `score_model`) or run user code (`python`) are refused at creation with
a 400 that says so.

Example:
    >>> criteria = check_criteria([{"type": "string_check", "name": "exact", "operation": "eq",
    ...                              "input": "{{sample.output_text}}", "reference": "{{item.answer}}"}])
    >>> grade(criteria[0], {"item": {"answer": "Paris"}, "sample": {"output_text": "Paris"}})["passed"]
    True
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from jupyter_api_kit.local.core.errors import BadRequest
from jupyter_api_kit.local.core.params import Params
from jupyter_api_kit.local.evals.metrics import METRICS
from jupyter_api_kit.spec import STRING_CHECK_OPERATIONS


def cosine(output: str, reference: str) -> float:
    """Cosine similarity of the texts' `local-embed` embeddings (unit vectors, so a dot product).

    Example:
        >>> cosine("The planets orbit the sun.", "The planets orbit the sun.") > 0.999
        True
    """
    from jupyter_api_kit.local.models.embedding import embed_text

    return float(embed_text(output) @ embed_text(reference))


SIMILARITY = {"cosine": cosine, **METRICS}
TEXT_SIMILARITY_METRICS = tuple(SIMILARITY)
GRADER_TYPES = ("string_check", "text_similarity")
_REFUSED = {
    "label_model": "it asks a model to label each item, and the local language model cannot follow grading "
                   "instructions",
    "score_model": "it asks a model to score each item, and the local language model cannot follow grading "
                   "instructions",
    "python": "it runs user-supplied code, which the local server does not execute",
    "multi": "it combines model and code graders the local server cannot run",
}
MAX_CRITERIA = 32
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
    """A template value as text: strings as they are, anything else as JSON."""
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
    """A template string whose variables exist in the eval's namespaces, or a 400 naming the problem."""
    if not isinstance(text, str):
        raise BadRequest(f"Invalid type for '{param}': expected a string.", param=param)
    _check_refs(text, param, item_properties, has_sample)
    return text


def check_criteria(criteria, item_properties: set | None = None, has_sample: bool = True) -> list[dict]:
    """The testing criteria as stored, each checked; a 400 names the first unusable one.

    `item_properties` (the item schema's property names, when it lists them) lets templates that name
    a missing item field be refused now rather than failing every item of every run.

    Example:
        >>> check_criteria([{"type": "python", "name": "p", "source": "def grade(s, i): return 1"}])
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.BadRequest: Invalid 'testing_criteria[0]': grader type 'python' is not supported by the local server: it runs user-supplied code, which the local server does not execute. Supported types: 'string_check', 'text_similarity'.
    """
    if not isinstance(criteria, list) or not criteria:
        raise BadRequest("Invalid 'testing_criteria': expected a non-empty array of graders.",
                         param="testing_criteria")
    if len(criteria) > MAX_CRITERIA:
        raise BadRequest(f"Invalid 'testing_criteria': {len(criteria)} graders; at most {MAX_CRITERIA} are "
                         "allowed.", param="testing_criteria")
    out, names = [], set()
    for i, criterion in enumerate(criteria):
        where = f"testing_criteria[{i}]"
        if not isinstance(criterion, dict):
            raise BadRequest(f"Invalid type for '{where}': expected an object.", param=where)
        kind = criterion.get("type")
        if isinstance(kind, str) and kind in _REFUSED:  # an array or object here is not hashable
            raise BadRequest(f"Invalid '{where}': grader type '{kind}' is not supported by the local server: "
                             f"{_REFUSED[kind]}. Supported types: 'string_check', 'text_similarity'.",
                             param=f"{where}.type")
        p = Params(criterion, prefix=f"{where}.")
        p.str("type", required=True, choices=GRADER_TYPES)
        name = p.str("name", required=True, max_length=256)
        if name in names:
            raise BadRequest(f"Invalid '{where}.name': '{name}' is used by another grader; names must be unique "
                             "so results can be told apart.", param=f"{where}.name")
        names.add(name)
        stored = {"type": kind, "name": name,
                  "input": check_template_text(p.str("input", required=True), f"{where}.input",
                                               item_properties, has_sample),
                  "reference": check_template_text(p.str("reference", required=True), f"{where}.reference",
                                                   item_properties, has_sample)}
        if kind == "string_check":
            stored["operation"] = p.str("operation", required=True, choices=STRING_CHECK_OPERATIONS)
        else:
            stored.update(_similarity_fields(p, where))
        out.append(stored)
    return out


def _similarity_fields(p: Params, where: str) -> dict:
    metric = p.str("evaluation_metric", required=True, choices=TEXT_SIMILARITY_METRICS)
    if not p.has("pass_threshold"):
        raise BadRequest(f"Missing required parameter: '{where}.pass_threshold' (a score from 0 to 1 at or "
                         "above which the item passes).", param=f"{where}.pass_threshold")
    threshold = p.number("pass_threshold", minimum=0, maximum=1)
    return {"evaluation_metric": metric, "pass_threshold": threshold}


def string_check(operation: str, text: str, reference: str) -> bool:
    """The `string_check` operations.

    Example:
        >>> string_check("like", "The answer is Paris.", "Paris"), string_check("ilike", "PARIS", "paris")
        (True, True)
    """
    if operation == "eq":
        return text == reference
    if operation == "ne":
        return text != reference
    if operation == "like":
        return reference in text
    if operation == "ilike":
        return reference.casefold() in text.casefold()
    raise ValueError(f"unknown string_check operation {operation!r}")


def grade(criterion: dict, namespaces: Mapping) -> dict:
    """One grader's result for one item, as an output item's `results` entry.

    Raises TemplateError when the item or sample lacks a variable the grader uses.
    """
    text = render(criterion["input"], namespaces)
    reference = render(criterion["reference"], namespaces)
    if criterion["type"] == "string_check":
        passed = string_check(criterion["operation"], text, reference)
        score = 1.0 if passed else 0.0
    else:
        score = float(SIMILARITY[criterion["evaluation_metric"]](text, reference))
        passed = score >= criterion["pass_threshold"]
    return {"name": criterion["name"], "type": criterion["type"], "score": round(score, 6), "passed": passed,
            "sample": {"input": text, "reference": reference}}


def summary_label(criterion: dict) -> str:
    """How a criterion is named in a run's `per_testing_criteria_results`."""
    return criterion["name"]
