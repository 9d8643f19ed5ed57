"""Evals: evals, their runs and the runs' output items, plus helpers to build data sources and to wait
for a run to finish.

Example:
    >>> ev = client.evals.create(name="capitals",
    ...     data_source_config={"type": "custom", "include_sample_schema": True,
    ...                         "item_schema": {"type": "object", "properties": {"q": {"type": "string"},
    ...                                                                          "a": {"type": "string"}}}},
    ...     testing_criteria=[string_check("match", "{{sample.output_text}}", "{{item.a}}", "ilike")])
    >>> run = client.evals.runs.create(ev.id, data_source=completions_source(
    ...     [{"q": "Capital of France?", "a": "Paris"}], [{"role": "user", "content": "{{item.q}}"}]))
    >>> run = client.evals.runs.wait(ev.id, run.id)
    >>> run.status, run.result_counts.total        # passed or failed: the local model samples its answer
    ('completed', 1)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from jupyter_api_kit.client.objects import APIObject
from jupyter_api_kit.client.polling import poll
from jupyter_api_kit.client.resource import Resource, path_id
from jupyter_api_kit.client.validation import check_metadata, drop_unset
from jupyter_api_kit.errors import InvalidInputError
from jupyter_api_kit.spec import STRING_CHECK_OPERATIONS

TERMINAL_RUN_STATUSES = ("completed", "failed", "canceled")


def string_check(name: str, input: str, reference: str, operation: str = "eq") -> dict:
    """A `string_check` grader: `eq`, `ne`, `like` (input contains reference) or `ilike` (ignoring case).

    Example:
        >>> string_check("exact", "{{sample.output_text}}", "{{item.answer}}")["operation"]
        'eq'
    """
    if operation not in STRING_CHECK_OPERATIONS:
        raise InvalidInputError(f"operation must be one of {', '.join(map(repr, STRING_CHECK_OPERATIONS))}, "
                                f"not {operation!r}", param="operation")
    return {"type": "string_check", "name": name, "input": input, "reference": reference, "operation": operation}


def text_similarity(name: str, input: str, reference: str, evaluation_metric: str = "fuzzy_match",
                    pass_threshold: float = 0.8) -> dict:
    """A `text_similarity` grader (`fuzzy_match`, `bleu`, `gleu`, `meteor`, `rouge_1`..`rouge_5`, `rouge_l`,
    `cosine`) that passes at or above `pass_threshold`.

    Example:
        >>> text_similarity("close", "{{sample.output_text}}", "{{item.answer}}", "rouge_l", 0.5)["pass_threshold"]
        0.5
    """
    return {"type": "text_similarity", "name": name, "input": input, "reference": reference,
            "evaluation_metric": evaluation_metric, "pass_threshold": pass_threshold}


def _grader_messages(input: list[dict]) -> list[dict]:
    if not isinstance(input, list) or not input or not all(isinstance(m, Mapping) and "role" in m for m in input):
        raise InvalidInputError("input must be a non-empty list of {'role', 'content'} messages", param="input")
    return [_template_message(m) for m in input]


def label_model(name: str, input: list[dict], labels: list[str], passing_labels: list[str], *,
                model: str = "local-ngram") -> dict:
    """A `label_model` grader: `model` answers `input` (messages with `{{item.x}}` /
    `{{sample.output_text}}` variables) with one of `labels`; the item passes when the label is one of
    `passing_labels`. The local server picks the label the local model finds most probable.

    Example:
        >>> grader = label_model("tone", [{"role": "user", "content": "Tone of: {{sample.output_text}}"}],
        ...                      ["friendly", "rude"], ["friendly"])
        >>> grader["type"], grader["input"][0]["content"]["type"]
        ('label_model', 'input_text')
    """
    stray = [label for label in passing_labels if label not in labels]
    if stray:
        raise InvalidInputError(f"passing label {stray[0]!r} is not one of labels {labels}", param="passing_labels")
    return {"type": "label_model", "name": name, "model": model, "input": _grader_messages(input),
            "labels": list(labels), "passing_labels": list(passing_labels)}


def score_model(name: str, input: list[dict], *, model: str = "local-ngram", range: tuple = (0, 1),
                pass_threshold: float | None = None, **sampling_params) -> dict:
    """A `score_model` grader: `model` scores each item with a number within `range`; the item passes
    at or above `pass_threshold`. `sampling_params`: `temperature`, `top_p`, `seed`, ...

    Example:
        >>> score_model("quality", [{"role": "user", "content": "Rate: {{sample.output_text}}"}],
        ...             range=(1, 5), pass_threshold=3)["range"]
        [1, 5]
    """
    low, high = range
    if not low < high:
        raise InvalidInputError(f"range must be (low, high) with low < high, not {range!r}", param="range")
    grader = {"type": "score_model", "name": name, "model": model, "input": _grader_messages(input),
              "range": [low, high]}
    if pass_threshold is not None:
        grader["pass_threshold"] = pass_threshold
    if sampling_params:
        grader["sampling_params"] = sampling_params
    return grader


def stored_completions_source(*, metadata: dict | None = None, model: str | None = None,
                              created_after: int | None = None, created_before: int | None = None,
                              limit: int | None = None) -> dict:
    """A `completions` run data source over the chat completions stored with `store=True`: those with
    every `metadata` pair, of `model`, created in [created_after, created_before), the latest `limit`.
    Each completion is an item (`item.input`, `item.metadata`) and its answer the sample.

    Example:
        >>> stored_completions_source(metadata={"prompt": "v2"}, limit=50)["source"]
        {'type': 'stored_completions', 'metadata': {'prompt': 'v2'}, 'limit': 50}
    """
    filters = drop_unset({"metadata": metadata if metadata is None else check_metadata(metadata), "model": model,
                          "created_after": created_after, "created_before": created_before, "limit": limit})
    return {"type": "completions", "source": {"type": "stored_completions", **filters}}


def _content_rows(items: Iterable) -> list[dict]:
    rows = []
    for i, entry in enumerate(items):
        if not isinstance(entry, Mapping):
            raise InvalidInputError(f"items[{i}] must be a dict, not {type(entry).__name__}", param="items")
        # rows already in the API's {"item": ..., "sample": ...} shape pass through
        rows.append(dict(entry) if isinstance(entry.get("item"), Mapping) else {"item": dict(entry)})
    if not rows:
        raise InvalidInputError("a data source needs at least one item", param="items")
    return rows


def jsonl_source(items: Iterable | None = None, *, file_id: str | None = None) -> dict:
    """A `jsonl` run data source: items given inline (dicts, or `{"item": ..., "sample": ...}` rows)
    or an uploaded JSONL file's id.

    Example:
        >>> jsonl_source([{"q": "2+2?", "a": "4"}])["source"]["content"]
        [{'item': {'q': '2+2?', 'a': '4'}}]
    """
    return {"type": "jsonl", "source": _source(items, file_id)}


def completions_source(items: Iterable | None, template: list[dict] | None = None, *, model: str = "local-ngram",
                       file_id: str | None = None, item_reference: str | None = None, **sampling_params) -> dict:
    """A `completions` run data source: the model answers `template` (messages with `{{item.x}}`
    variables, or the messages found at `item_reference`) for each item; `sampling_params` are
    `temperature`, `top_p`, `max_completion_tokens`, `seed`, ...

    Example:
        >>> src = completions_source([{"q": "Hi"}], [{"role": "user", "content": "{{item.q}}"}], seed=1)
        >>> src["input_messages"]["type"], src["sampling_params"]
        ('template', {'seed': 1})
    """
    if (template is None) == (item_reference is None):
        raise InvalidInputError("give either template (a list of messages) or item_reference (e.g. "
                                "'item.messages')", param="template")
    if template is not None:
        if not isinstance(template, list) or not all(isinstance(m, Mapping) and "role" in m for m in template):
            raise InvalidInputError("template must be a list of {'role', 'content'} messages", param="template")
        messages = {"type": "template", "template": [_template_message(m) for m in template]}
    else:
        messages = {"type": "item_reference", "item_reference": item_reference}
    source = {"type": "completions", "model": model, "input_messages": messages, "source": _source(items, file_id)}
    if sampling_params:
        source["sampling_params"] = sampling_params
    return source


def _template_message(message: Mapping) -> dict:
    """String content goes as an `input_text` part: the API description's template schema reads a
    plain-string message as matching two message types at once, and this form as exactly one."""
    out = dict(message)
    if isinstance(out.get("content"), str):
        out["content"] = {"type": "input_text", "text": out["content"]}
    return out


def _source(items, file_id) -> dict:
    if (items is None) == (file_id is None):
        raise InvalidInputError("give either items (inline) or file_id (an uploaded JSONL file)", param="items")
    if file_id is not None:
        return {"type": "file_id", "id": file_id}
    return {"type": "file_content", "content": _content_rows(items)}


class OutputItems(Resource):
    """The output items of an eval run (`/evals/{id}/runs/{run_id}/output_items`): one per data
    source item, with the sample and every grader's result. Reached as `client.evals.runs.output_items`.

    Example:
        >>> run = client.evals.runs.create(ev.id, data_source=jsonl_source(
        ...     [{"q": "2+2?", "a": "4", "answer": "4"}, {"q": "3+3?", "a": "6", "answer": "5"}]))
        >>> run = client.evals.runs.wait(ev.id, run.id)
        >>> failed = client.evals.runs.output_items.list(ev.id, run.id, status="fail")
        >>> [item.datasource_item.q for item in failed]
        ['3+3?']
    """

    def list(self, eval_id: str, run_id: str, *, status: str | None = None, after=None, limit=None, order=None):
        """A run's output items (one per data source item), optionally only `status="pass"` or `"fail"`.

        Example:
            >>> run = client.evals.runs.create(ev.id, data_source=jsonl_source(
            ...     [{"q": "2+2?", "a": "4", "answer": "4"}, {"q": "3+3?", "a": "6", "answer": "5"}]))
            >>> run = client.evals.runs.wait(ev.id, run.id)
            >>> client.evals.runs.output_items.list(ev.id, run.id, status="pass").to_frame()["status"].tolist()
            ['pass']
        """
        return self._list(f"{_run_path(eval_id, run_id)}/output_items",
                          {"status": status, "after": after, "limit": limit, "order": order})

    def retrieve(self, eval_id: str, run_id: str, output_item_id: str) -> APIObject:
        """One output item: the item, the sample and every grader's result."""
        return self._get(f"{_run_path(eval_id, run_id)}/output_items/{path_id(output_item_id, 'output_item_id')}")


def _run_path(eval_id: str, run_id: str) -> str:
    return f"evals/{path_id(eval_id, 'eval_id')}/runs/{path_id(run_id, 'run_id')}"


class Runs(Resource):
    """The runs of an eval (`/evals/{id}/runs`): start one over a data source, wait for it, list,
    cancel and delete runs. Reached as `client.evals.runs`.

    Example:
        >>> client.evals.runs.create("eval_123", data_source={"source": []})
        Traceback (most recent call last):
        ...
        jupyter_api_kit.errors.InvalidInputError: data_source must be a dict with a 'type' ('jsonl' or 'completions'...
        >>> run = client.evals.runs.create(ev.id, data_source=jsonl_source(
        ...     [{"q": "2+2?", "a": "4", "answer": "4"}, {"q": "3+3?", "a": "6", "answer": "5"}]))
        >>> client.evals.runs.wait(ev.id, run.id).result_counts
        <APIObject> {"total": 2, "errored": 0, "failed": 1, "passed": 1}
    """

    def __init__(self, transport, client=None):
        super().__init__(transport, client)
        self.output_items = OutputItems(transport, client)

    def create(self, eval_id: str, *, data_source: dict, name: str | None = None,
               metadata: dict | None = None) -> APIObject:
        """Start a run of an eval over a data source (see `jsonl_source`, `completions_source`).

        Example:
            >>> rows = [{"q": "2+2?", "a": "4", "answer": "4"}, {"q": "3+3?", "a": "6", "answer": "5"}]
            >>> run = client.evals.runs.create(ev.id, data_source=jsonl_source(rows), name="baseline")
            >>> run.object, run.name, run.data_source.type
            ('eval.run', 'baseline', 'jsonl')
        """
        if not isinstance(data_source, Mapping) or "type" not in data_source:
            raise InvalidInputError("data_source must be a dict with a 'type' ('jsonl' or 'completions'); "
                                    "build one with jsonl_source() or completions_source()", param="data_source")
        return self._post(f"evals/{path_id(eval_id, 'eval_id')}/runs",
                          {"data_source": dict(data_source), "name": name, "metadata": metadata})

    def retrieve(self, eval_id: str, run_id: str) -> APIObject:
        """A run with its status and result counts."""
        return self._get(_run_path(eval_id, run_id))

    def list(self, eval_id: str, *, status: str | None = None, after=None, limit=None, order=None):
        """An eval's runs, oldest first by default; `status` filters."""
        return self._list(f"evals/{path_id(eval_id, 'eval_id')}/runs",
                          {"status": status, "after": after, "limit": limit, "order": order})

    def cancel(self, eval_id: str, run_id: str) -> APIObject:
        """Cancel a queued or running run; items graded so far are kept."""
        return self._post(_run_path(eval_id, run_id))

    def delete(self, eval_id: str, run_id: str) -> APIObject:
        """Delete a run and its output items."""
        return self._delete(_run_path(eval_id, run_id))

    def wait(self, eval_id: str, run_id: str, *, poll_interval: float = 0.2, timeout: float | None = 600,
             progress: bool = False) -> APIObject:
        """Poll a run until it is completed, failed or canceled, and return it; `progress` shows a
        tqdm bar of graded items. Raises `WaitTimeoutError` after `timeout` seconds (None: no limit).

        Example:
            >>> run = client.evals.runs.create(ev.id, data_source=jsonl_source([{"a": "4", "answer": "4"}]))
            >>> client.evals.runs.wait(ev.id, run.id, progress=True).result_counts.passed   # a bar on stderr
            1
        """
        bar = None

        def show(run) -> None:
            nonlocal bar
            if progress:
                bar = _update_bar(bar, run)

        try:
            return poll(lambda: self.retrieve(eval_id, run_id), lambda run: run.get("status") in TERMINAL_RUN_STATUSES,
                        timeout, poll_interval, show, what=f"eval run {run_id}")
        finally:
            if bar is not None:
                bar.close()


def _update_bar(bar, run):
    counts = run.get("result_counts") or {}
    if bar is None:
        from tqdm.auto import tqdm

        bar = tqdm(unit="item", desc=f"eval run {run.get('name') or run.get('id')}")
    bar.n = counts.get("total", 0)
    bar.set_postfix(status=run.get("status"), passed=counts.get("passed", 0))
    return bar


class Evals(Resource):
    """The Evals API group (`/evals`): create evals (item schema and graders), retrieve, update, list
    and delete them; `runs` runs them. Reached as `client.evals`.

    Example:
        >>> exact = client.evals.create(name="exact",
        ...     data_source_config={"type": "custom", "item_schema": {"type": "object"}, "include_sample_schema": True},
        ...     testing_criteria=[string_check("match", "{{sample.output_text}}", "{{item.a}}")])
        >>> client.evals.retrieve(exact.id).name
        'exact'
    """

    def __init__(self, transport, client=None):
        super().__init__(transport, client)
        self.runs = Runs(transport, client)

    def create(self, *, data_source_config: dict, testing_criteria: list, name: str | None = None,
               metadata: dict | None = None) -> APIObject:
        """Create an eval: the shape of its items and the graders every run applies.

        Example:
            >>> client.evals.create(name="exact", data_source_config={"type": "custom", "item_schema": {}},
            ...     testing_criteria=[string_check("m", "{{item.x}}", "{{item.y}}")]).object
            'eval'
        """
        if not isinstance(testing_criteria, list) or not testing_criteria:
            raise InvalidInputError("testing_criteria must be a non-empty list of graders (see string_check(), "
                                    "text_similarity())", param="testing_criteria")
        return self._post("evals", {"name": name, "metadata": metadata, "data_source_config": data_source_config,
                                    "testing_criteria": testing_criteria})

    def retrieve(self, eval_id: str) -> APIObject:
        """An eval by id, with its data source config and testing criteria.

        Example:
            >>> client.evals.retrieve(ev.id).testing_criteria[0].type
            'string_check'
        """
        return self._get(f"evals/{path_id(eval_id, 'eval_id')}")

    def update(self, eval_id: str, *, name: str | None = None, metadata: dict | None = None) -> APIObject:
        """Rename an eval or replace its metadata."""
        if metadata is not None:
            check_metadata(metadata)
        return self._post(f"evals/{path_id(eval_id, 'eval_id')}", {"name": name, "metadata": metadata})

    def list(self, *, after=None, limit=None, order=None, order_by=None):
        """Evals, oldest first by default; `order_by="updated_at"` sorts by last change."""
        return self._list("evals", {"after": after, "limit": limit, "order": order, "order_by": order_by})

    def delete(self, eval_id: str) -> APIObject:
        """Delete an eval with all its runs."""
        return self._delete(f"evals/{path_id(eval_id, 'eval_id')}")
