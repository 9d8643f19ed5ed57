"""Testing criteria the local server grades for real: checking them at eval creation and scoring
one item (templates: `templates`).

Supported: `string_check` (`eq`, `ne`, `like` = the input contains the reference, `ilike` = the same
ignoring case), `text_similarity` with every metric the API documents (those of
`text_metrics.METRICS`, and `cosine` of the two texts' `local-embed` embeddings), and the graders that
ask a model, `label_model` and `score_model` (`model_graders`: the local language model's
probabilities decide). Graders that run user code (`python`) or combine them (`multi`) are refused at
creation with a 400 that says so.

Example:
    >>> criteria = check_criteria([{"type": "string_check", "name": "exact", "operation": "eq",
    ...                              "input": "{{sample.output_text}}", "reference": "{{item.answer}}"}])
    >>> grade(criteria[0], {"item": {"answer": "Paris"}, "sample": {"output_text": "Paris"}})["passed"]
    True
"""

from __future__ import annotations

from collections.abc import Mapping

from jupyter_api_kit.local.core.errors import BadRequest
from jupyter_api_kit.local.core.params import Params
from jupyter_api_kit.local.evals import model_graders
from jupyter_api_kit.local.evals.metrics import METRICS
from jupyter_api_kit.local.inference.engine import resolve_language_model
from jupyter_api_kit.local.evals.templates import (  # noqa: F401 (lookup, render: the graders' templates)
    VARIABLE_PATH,
    TemplateError,
    check_template_text,
    lookup,
    render,
)
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
#: graders that ask a model, and how each is checked
MODEL_GRADERS = {"label_model": model_graders.check_label_model, "score_model": model_graders.check_score_model}
GRADER_TYPES = ("string_check", "text_similarity", *MODEL_GRADERS)
_REFUSED = {
    "python": "it runs user-supplied code, which the local server does not execute",
    "multi": "it combines model and code graders the local server cannot run",
}
MAX_CRITERIA = 32


def check_criteria(criteria, item_properties: set | None = None, has_sample: bool = True) -> list[dict]:
    """The testing criteria as stored, each checked; a 400 names the first unusable one.

    `item_properties` (the item schema's property names, when it lists them) lets templates that name
    a missing item field be refused now rather than failing every item of every run.

    Example:
        >>> check_criteria([{"type": "python", "name": "p", "source": "def grade(s, i): return 1"}])
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.BadRequest: Invalid 'testing_criteria[0]': grader type 'python' is not supported by the local server: it runs user-supplied code, which the local server does not execute. Supported types: 'string_check', 'text_similarity', 'label_model', 'score_model'.
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
                             f"{_REFUSED[kind]}. Supported types: {', '.join(map(repr, GRADER_TYPES))}.",
                             param=f"{where}.type")
        p = Params(criterion, prefix=f"{where}.")
        p.str("type", required=True, choices=GRADER_TYPES)
        name = p.str("name", required=True, max_length=256)
        if name in names:
            raise BadRequest(f"Invalid '{where}.name': '{name}' is used by another grader; names must be unique "
                             "so results can be told apart.", param=f"{where}.name")
        names.add(name)
        if kind in MODEL_GRADERS:
            out.append(MODEL_GRADERS[kind](criterion, where, item_properties, has_sample))
            continue
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


def grader_model(app, criterion: dict):
    """The language model a `label_model` / `score_model` grader asks, its `model` resolved as chat
    resolves one (a fine-tuned id, a local id, else the default local model); None for other graders."""
    if criterion["type"] not in MODEL_GRADERS:
        return None
    return resolve_language_model(app, criterion["model"])


def grade(criterion: dict, namespaces: Mapping, model=None) -> dict:
    """One grader's result for one item, as an output item's `results` entry; `model` is the language
    model a `label_model` or `score_model` grader asks (see `grader_model`).

    Raises TemplateError when the item or sample lacks a variable the grader uses.
    """
    if criterion["type"] == "label_model":
        return model_graders.grade_label_model(criterion, namespaces, model)
    if criterion["type"] == "score_model":
        return model_graders.grade_score_model(criterion, namespaces, model)
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
