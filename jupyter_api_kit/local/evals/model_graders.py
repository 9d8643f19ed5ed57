"""Graders that ask a model: `label_model` (pick one of `labels`; pass when it is one of
`passing_labels`) and `score_model` (a number within `range`; pass at or above `pass_threshold`).

The grader's input messages are filled with the item (and sample), rendered as the transcript the
local language model reads, and every candidate answer (each label; each score on a grid over the
range) is scored by its real log-probability as the model's reply, end of answer included. A label
model answers the most probable label; a score model answers the mean of the candidate scores under
that distribution (sharpened by `temperature`, cut by `top_p`). The result carries the distribution,
so a reader sees how sure the model was. A statistical model follows no grading instructions: the
probabilities come from its wording statistics, not from understanding the rubric.

Example:
    >>> from jupyter_api_kit.local.models.language import get_language_model
    >>> criterion = check_label_model(
    ...     {"type": "label_model", "name": "tone", "model": "local-ngram", "labels": ["kind", "rude"],
    ...      "passing_labels": ["kind"], "input": [{"role": "user", "content": "Tone of: {{item.text}}"}]},
    ...     "testing_criteria[0]", None, has_sample=False)
    >>> result = grade_label_model(criterion, {"item": {"text": "Thank you!"}}, get_language_model())
    >>> result["label"] in ("kind", "rude"), result["passed"] == (result["label"] == "kind")
    (True, True)
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping

from jupyter_api_kit.local.core.errors import BadRequest
from jupyter_api_kit.local.core.params import Params
from jupyter_api_kit.local.evals.templates import check_template_text, content_texts, render, template_message
from jupyter_api_kit.local.models.context import render_messages
from jupyter_api_kit.spec import INPUT_ROLES

MAX_LABELS = 64
MAX_MESSAGES = 64
#: how many evenly spaced scores a score model chooses among when the range is not a few integers
SCORE_STEPS = 10
MAX_INTEGER_SCORES = 21


def _check_input(p: Params, where: str, item_properties: set | None, has_sample: bool) -> list[dict]:
    """The grader's input messages, stored as `input_text` templates whose variables exist."""
    messages = p.list("input", required=True, max_items=MAX_MESSAGES)
    if not messages:
        raise BadRequest(f"Invalid '{where}.input': expected at least one message.", param=f"{where}.input")
    out = []
    for i, message in enumerate(messages):
        at = f"{where}.input[{i}]"
        if not isinstance(message, dict):
            raise BadRequest(f"Invalid type for '{at}': expected a message object.", param=at)
        role = Params(message, prefix=f"{at}.").str("role", required=True, choices=INPUT_ROLES)
        texts = content_texts(message.get("content"), f"{at}.content")
        for text in texts:
            check_template_text(text, f"{at}.content", item_properties, has_sample)
        out.append(template_message(role, "\n".join(texts), message.get("type")))
    return out


def _strings(p: Params, key: str, where: str) -> list[str]:
    values = p.list(key, required=True, max_items=MAX_LABELS)
    if not values or not all(isinstance(v, str) and v.strip() for v in values):
        raise BadRequest(f"Invalid '{where}.{key}': expected a non-empty array of non-empty strings.",
                         param=f"{where}.{key}")
    if len(set(values)) != len(values):
        raise BadRequest(f"Invalid '{where}.{key}': each label may appear once.", param=f"{where}.{key}")
    return values


def check_label_model(criterion: dict, where: str, item_properties: set | None, has_sample: bool) -> dict:
    """A `label_model` grader as stored, or a 400 naming the first bad field."""
    p = Params(criterion, prefix=f"{where}.")
    labels = _strings(p, "labels", where)
    passing = _strings(p, "passing_labels", where)
    stray = [label for label in passing if label not in labels]
    if stray:
        raise BadRequest(f"Invalid '{where}.passing_labels': '{stray[0]}' is not one of the labels {labels}.",
                         param=f"{where}.passing_labels")
    return {"type": "label_model", "name": criterion["name"], "model": p.str("model", required=True),
            "input": _check_input(p, where, item_properties, has_sample), "labels": labels,
            "passing_labels": passing}


def check_score_model(criterion: dict, where: str, item_properties: set | None, has_sample: bool) -> dict:
    """A `score_model` grader as stored (with its `range`, [0, 1] unless given), or a 400."""
    p = Params(criterion, prefix=f"{where}.")
    stored = {"type": "score_model", "name": criterion["name"], "model": p.str("model", required=True),
              "input": _check_input(p, where, item_properties, has_sample), "range": [0, 1]}
    if criterion.get("range") is not None:
        bounds = criterion["range"]
        if not (isinstance(bounds, list) and len(bounds) == 2 and all(_is_number(b) for b in bounds)
                and bounds[0] < bounds[1]):
            raise BadRequest(f"Invalid '{where}.range': expected two numbers [low, high] with low < high.",
                             param=f"{where}.range")
        stored["range"] = bounds
    low, high = stored["range"]
    if criterion.get("pass_threshold") is not None:
        stored["pass_threshold"] = p.number("pass_threshold", minimum=low, maximum=high)
    if criterion.get("sampling_params") is not None:
        stored["sampling_params"] = _check_sampling(p.dict("sampling_params"), f"{where}.sampling_params")
    return stored


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_sampling(params: dict, where: str) -> dict:
    p = Params(params, prefix=f"{where}.")
    p.number("temperature", minimum=0, maximum=2)
    p.number("top_p", minimum=0, maximum=1)
    p.int("seed")
    p.int("max_completions_tokens", minimum=1)
    p.str("reasoning_effort")  # accepted for compatibility; the local models do not reason
    return params


def grader_messages(criterion: dict, namespaces: Mapping) -> list[dict]:
    """The grader's input messages with the item and sample filled in (TemplateError if one is missing).

    Example:
        >>> grader_messages({"input": [{"role": "user", "content": {"type": "input_text",
        ...                  "text": "Rate: {{sample.output_text}}"}}]}, {"sample": {"output_text": "Hi"}})
        [{'role': 'user', 'content': 'Rate: Hi'}]
    """
    return [{"role": m["role"], "content": "\n".join(render(t, namespaces) for t in content_texts(m["content"], "input"))}
            for m in criterion["input"]]


def distribution(model, messages: list[dict], answers: list[str]) -> list[float]:
    """P(answer) for each candidate answer, renormalized over the candidates: each one's probability
    as the model's whole reply to the transcript of `messages`.

    Example:
        >>> from jupyter_api_kit.local.models.language import get_language_model
        >>> p = distribution(get_language_model(), [{"role": "user", "content": "Yes or no?"}], ["yes", "no"])
        >>> round(sum(p), 9), all(0 < x < 1 for x in p)
        (1.0, True)
    """
    transcript = render_messages(messages)
    logps = [model.logprob(transcript, " " + answer) for answer in answers]
    top = max(logps)
    weights = [math.exp(lp - top) for lp in logps]
    total = sum(weights)
    return [w / total for w in weights]


def _sample(model, messages: list[dict], answer: dict, params: dict | None = None) -> dict:
    """The result's `sample`: the grader's exchange with the model, as the API reports it."""
    params = params or {}
    output = json.dumps(answer)
    prompt_tokens = model.prompt_tokens(messages)
    completion_tokens = model.count_tokens(output)
    return {"input": messages, "output": [{"role": "assistant", "content": output}], "finish_reason": "stop",
            "model": model.id, "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                                         "total_tokens": prompt_tokens + completion_tokens, "cached_tokens": 0},
            "error": None, "seed": params.get("seed"), "temperature": params.get("temperature", 1.0),
            "top_p": params.get("top_p", 1.0), "max_completions_tokens": params.get("max_completions_tokens")}


def grade_label_model(criterion: dict, namespaces: Mapping, model) -> dict:
    """The most probable label, passing when it is one of `passing_labels`."""
    messages = grader_messages(criterion, namespaces)
    labels = criterion["labels"]
    probabilities = distribution(model, messages, labels)
    label = labels[max(range(len(labels)), key=probabilities.__getitem__)]
    passed = label in criterion["passing_labels"]
    sample = _sample(model, messages, {"result": label})
    sample["label_probabilities"] = {lab: round(p, 6) for lab, p in zip(labels, probabilities)}
    return {"name": criterion["name"], "type": "label_model", "score": 1.0 if passed else 0.0, "passed": passed,
            "label": label, "sample": sample}


def score_candidates(low: float, high: float) -> list[float]:
    """The scores a score model chooses among: every integer of an integer range from 2 to 20 wide,
    else `SCORE_STEPS + 1` evenly spaced values.

    Example:
        >>> score_candidates(1, 5), score_candidates(0, 1)[:3]
        ([1, 2, 3, 4, 5], [0.0, 0.1, 0.2])
    """
    if float(low).is_integer() and float(high).is_integer() and 2 <= high - low < MAX_INTEGER_SCORES:
        return list(range(int(low), int(high) + 1))
    return [round(low + (high - low) * k / SCORE_STEPS, 6) for k in range(SCORE_STEPS + 1)]


def _shaped(probabilities: list[float], temperature: float, top_p: float) -> list[float]:
    """The candidates' distribution at `temperature` (0: all on the most probable) within `top_p`."""
    if temperature == 0:
        best = max(range(len(probabilities)), key=probabilities.__getitem__)
        return [1.0 if i == best else 0.0 for i in range(len(probabilities))]
    weights = [p ** (1 / temperature) for p in probabilities]
    total = sum(weights)
    weights = [w / total for w in weights]
    kept, mass = set(), 0.0
    for i in sorted(range(len(weights)), key=weights.__getitem__, reverse=True):
        kept.add(i)
        mass += weights[i]
        if mass >= top_p:
            break
    total = sum(weights[i] for i in kept)
    return [weights[i] / total if i in kept else 0.0 for i in range(len(weights))]


def grade_score_model(criterion: dict, namespaces: Mapping, model) -> dict:
    """The expected score under the model's distribution over the candidate scores; passing at or
    above `pass_threshold` (the middle of the range when none is given)."""
    messages = grader_messages(criterion, namespaces)
    low, high = criterion["range"]
    candidates = score_candidates(low, high)
    params = criterion.get("sampling_params") or {}
    temperature = params.get("temperature")
    top_p = params.get("top_p")
    probabilities = _shaped(distribution(model, messages, [_number_text(c) for c in candidates]),
                            1.0 if temperature is None else temperature, 1.0 if top_p is None else top_p)
    score = round(min(high, max(low, sum(p * c for p, c in zip(probabilities, candidates)))), 6)
    threshold = criterion.get("pass_threshold", (low + high) / 2)
    sample = _sample(model, messages, {"result": score}, params)
    sample["score_probabilities"] = {_number_text(c): round(p, 6) for c, p in zip(candidates, probabilities)}
    return {"name": criterion["name"], "type": "score_model", "score": score, "passed": score >= threshold,
            "sample": sample}


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
