"""Model graders (`label_model`, `score_model`) and runs over stored chat completions, driven with the
official `openai` package over real HTTP, every request and response checked against the contract.

The loop they exist for: tag chat completions with metadata, then evaluate exactly those.
"""

from __future__ import annotations

import json
import math
import time
import uuid

import openai
import pytest

from jupyter_api_kit.local.models.context import render_messages
from jupyter_api_kit.local.models.language import get_language_model
from tests.serve_support import checked_http

LABELS = ["helpful", "unhelpful", "off topic"]
LABEL_GRADER = {
    "type": "label_model", "name": "judge", "model": "local-ngram", "labels": LABELS,
    "passing_labels": ["helpful"],
    # text parts: a plain string content is valid under two of the description's message schemas at once
    "input": [{"role": "system", "content": {"type": "input_text",
                                             "text": "Label the answer as helpful, unhelpful or off topic."}},
              {"role": "user", "content": {"type": "input_text",
                                           "text": "Question: {{item.input}}\nAnswer: {{sample.output_text}}"}}]}
SCORE_GRADER = {
    "type": "score_model", "name": "quality", "model": "local-ngram", "range": [1, 5], "pass_threshold": 3,
    "input": [{"role": "user", "content": [{"type": "input_text", "text": "Rate from 1 to 5: {{sample.output_text}}"}]}]}


def checked_sdk(server, contract, requests_too: bool):
    http = checked_http(contract, [], requests_too=requests_too)
    return openai.OpenAI(base_url=server.base_url, api_key=server.api_key, http_client=http, max_retries=0), http


@pytest.fixture()
def sdk(server, contract):
    client, http = checked_sdk(server, contract, requests_too=True)
    yield client
    http.close()


@pytest.fixture()
def lax_sdk(server, contract):
    """For requests the description itself forbids: only the answers are checked."""
    client, http = checked_sdk(server, contract, requests_too=False)
    yield client
    http.close()


def chat(sdk, question: str, metadata: dict | None, model: str = "local-ngram"):
    return sdk.chat.completions.create(model=model, messages=[{"role": "user", "content": question}], store=True,
                                       seed=5, max_completion_tokens=30, **({"metadata": metadata} if metadata else {}))


def finished(sdk, eval_id: str, run_id: str):
    for _ in range(600):
        run = sdk.evals.runs.retrieve(run_id, eval_id=eval_id)
        if run.status not in ("queued", "in_progress"):
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} did not finish")


def label_logprobs(messages: list[dict], labels: list[str]) -> dict:
    """Each label's log-probability as the local model's whole reply to the grader's messages."""
    model = get_language_model("local-ngram")
    return {label: model.logprob(render_messages(messages), " " + label) for label in labels}


def test_a_run_grades_exactly_the_tagged_completions_with_model_graders(sdk):
    tag = uuid.uuid4().hex[:8]
    kept = [chat(sdk, q, {"batch": tag, "prompt": "v1"}) for q in
            ("Tell me about the planets.", "What is bread made of?", "How do I water a garden?")]
    chat(sdk, "Tell me about music.", {"batch": tag, "prompt": "v2"})  # another prompt version
    chat(sdk, "Tell me about the moon.", None)  # untagged
    ev = sdk.evals.create(name="tagged", data_source_config={"type": "stored_completions", "metadata": {"batch": tag}},
                          testing_criteria=[LABEL_GRADER, SCORE_GRADER])
    assert [c.type for c in ev.testing_criteria] == ["label_model", "score_model"]
    assert ev.testing_criteria[1].range == [1, 5]
    run = sdk.evals.runs.create(ev.id, name="v1 answers", data_source={
        "type": "completions", "source": {"type": "stored_completions", "metadata": {"batch": tag, "prompt": "v1"}}})
    run = finished(sdk, ev.id, run.id)
    assert run.status == "completed" and run.result_counts.total == 3 and run.result_counts.errored == 0
    items = sdk.evals.runs.output_items.list(run.id, eval_id=ev.id).data
    assert [i.datasource_item["completion_id"] for i in items] == [c.id for c in kept]
    for item, completion in zip(items, kept):
        assert item.datasource_item["metadata"] == {"batch": tag, "prompt": "v1"}
        assert item.sample.output[0].content == completion.choices[0].message.content
        assert item.sample.model == completion.model and item.sample.seed == 5
        assert item.sample.usage.total_tokens == completion.usage.total_tokens
        judge, quality = item.results
        assert judge.name == "judge" and judge.label in LABELS
        assert judge.passed == (judge.label == "helpful") and judge.score == (1.0 if judge.passed else 0.0)
        grader_input = judge.sample["input"]
        assert grader_input[1]["content"] == (f"Question: {json.dumps(item.datasource_item['input'])}\n"
                                              f"Answer: {completion.choices[0].message.content}")
        # the label is the one the local model finds most probable, and the reported distribution is its own
        logprobs = label_logprobs(grader_input, LABELS)
        assert judge.label == max(logprobs, key=logprobs.get)
        probabilities = judge.sample["label_probabilities"]
        assert sum(probabilities.values()) == pytest.approx(1, abs=1e-5)
        expected = {label: math.exp(lp - max(logprobs.values())) for label, lp in logprobs.items()}
        total = sum(expected.values())
        assert probabilities == pytest.approx({k: v / total for k, v in expected.items()}, abs=1e-5)
        assert json.loads(judge.sample["output"][0]["content"]) == {"result": judge.label}
        assert 1 <= quality.score <= 5 and quality.passed == (quality.score >= 3)
        assert set(quality.sample["score_probabilities"]) == {"1", "2", "3", "4", "5"}
        mean = sum(int(k) * p for k, p in quality.sample["score_probabilities"].items())
        assert quality.score == pytest.approx(mean, abs=1e-4)
        assert item.status == ("pass" if judge.passed and quality.passed else "fail")
    per = {c.testing_criteria: c.passed for c in run.per_testing_criteria_results}
    assert per["judge"] == sum(i.results[0].passed for i in items)


def test_model_time_window_and_limit_filters(sdk):
    tag = uuid.uuid4().hex[:8]
    first = chat(sdk, "Tell me about the planets.", {"batch": tag})
    time.sleep(1.05)  # creation times have one-second resolution
    middle = chat(sdk, "What is bread made of?", {"batch": tag})
    small = chat(sdk, "How do I water a garden?", {"batch": tag}, model="local-ngram-small")
    last = chat(sdk, "Tell me about music.", {"batch": tag})
    ev = sdk.evals.create(data_source_config={"type": "logs", "metadata": {"batch": tag}}, testing_criteria=[
        {"type": "string_check", "name": "answered", "input": "{{sample.output_text}}", "reference": "",
         "operation": "ne"}])

    def graded(**filters):
        run = sdk.evals.runs.create(ev.id, data_source={"type": "completions", "source": {
            "type": "stored_completions", "metadata": {"batch": tag}, **filters}})
        run = finished(sdk, ev.id, run.id)
        assert run.status == "completed", run.error
        return [i.datasource_item["completion_id"] for i in sdk.evals.runs.output_items.list(run.id, eval_id=ev.id)]

    assert graded() == [first.id, middle.id, small.id, last.id]
    assert graded(model="local-ngram-small") == [small.id]
    assert graded(created_after=middle.created) == [middle.id, small.id, last.id]
    assert graded(created_before=middle.created) == [first.id]
    assert graded(model="local-ngram", limit=2) == [middle.id, last.id]  # the most recent two
    with pytest.raises(openai.BadRequestError) as info:
        sdk.evals.runs.create(ev.id, data_source={"type": "completions", "source": {
            "type": "stored_completions", "metadata": {"batch": "no such batch"}}})
    assert info.value.body["param"] == "data_source.source" and "no such batch" in info.value.body["message"]


def test_stored_conversations_replayed_with_another_model(sdk):
    tag = uuid.uuid4().hex[:8]
    stored = chat(sdk, "Tell me about the planets.", {"batch": tag})
    ev = sdk.evals.create(data_source_config={"type": "logs"}, testing_criteria=[LABEL_GRADER])
    run = sdk.evals.runs.create(ev.id, data_source={
        "type": "completions", "model": "local-ngram-small", "sampling_params": {"seed": 9, "max_completion_tokens": 20},
        "input_messages": {"type": "item_reference", "item_reference": "item.input"},
        "source": {"type": "stored_completions", "metadata": {"batch": tag}}})
    run = finished(sdk, ev.id, run.id)
    assert run.status == "completed" and run.per_model_usage[0].model_name == "local-ngram-small"
    item = sdk.evals.runs.output_items.list(run.id, eval_id=ev.id).data[0]
    assert item.datasource_item["completion_id"] == stored.id
    assert item.sample.model == "local-ngram-small" and item.sample.seed == 9
    assert [m.model_dump() for m in item.sample.input] == [{"role": "user", "content": "Tell me about the planets."}]
    assert item.results[0].sample["input"][1]["content"].endswith(item.sample.output[0].content)


def test_score_model_over_items_at_temperature_zero_answers_one_candidate(sdk):
    ev = sdk.evals.create(
        data_source_config={"type": "custom", "include_sample_schema": True,
                            "item_schema": {"type": "object", "properties": {"q": {"type": "string"}}}},
        testing_criteria=[dict(SCORE_GRADER, range=[0, 10], pass_threshold=7.5,
                               sampling_params={"temperature": 0, "seed": 1}),
                          {**{k: v for k, v in SCORE_GRADER.items() if k not in ("range", "pass_threshold")},
                           "name": "unit range"}])
    rows = [{"item": {"q": "Planets?"}, "sample": {"output_text": "The planets orbit the sun."}},
            {"item": {"q": "Bread?"}, "sample": {"output_text": "Bread is made of flour."}}]
    run = sdk.evals.runs.create(ev.id, data_source={"type": "jsonl", "source": {"type": "file_content",
                                                                                 "content": rows}})
    run = finished(sdk, ev.id, run.id)
    assert run.status == "completed"
    for item, row in zip(sdk.evals.runs.output_items.list(run.id, eval_id=ev.id).data, rows):
        ten, unit = item.results
        probabilities = ten.sample["score_probabilities"]
        assert sorted(probabilities.values()) == [0.0] * 10 + [1.0]  # temperature 0: the most probable score
        assert ten.score in range(11) and probabilities[str(int(ten.score))] == 1.0
        assert ten.passed == (ten.score >= 7.5)
        assert ten.sample["input"][0]["content"] == f"Rate from 1 to 5: {row['sample']['output_text']}"
        assert len(unit.sample["score_probabilities"]) == 11 and 0 <= unit.score <= 1
        assert unit.passed == (unit.score >= 0.5)  # no threshold: the middle of the range


BAD_GRADERS = [
    (dict(LABEL_GRADER, passing_labels=["great"]), "testing_criteria[0].passing_labels", "'great'"),
    (dict(LABEL_GRADER, labels=[]), "testing_criteria[0].labels", "at least one"),
    (dict(LABEL_GRADER, labels=["a", "a"], passing_labels=["a"]), "testing_criteria[0].labels", "once"),
    (dict(LABEL_GRADER, input=[]), "testing_criteria[0].input", "at least one"),
    (dict(LABEL_GRADER, input=[{"role": "user", "content": "{{item.nope}}"}]), "testing_criteria[0].input[0].content",
     "nope"),
    (dict(LABEL_GRADER, input=[{"role": "user", "content": [{"type": "input_image", "image_url": "https://x/y.png"}]}]),
     "testing_criteria[0].input[0].content", "input_image"),
    ({k: v for k, v in LABEL_GRADER.items() if k != "model"}, "testing_criteria[0].model", "model"),
    (dict(SCORE_GRADER, range=[5, 1]), "testing_criteria[0].range", "low < high"),
    (dict(SCORE_GRADER, pass_threshold=9), "testing_criteria[0].pass_threshold", "pass_threshold"),
    (dict(SCORE_GRADER, sampling_params={"temperature": 3}), "testing_criteria[0].sampling_params.temperature",
     "temperature"),
]


@pytest.mark.parametrize("grader, param, fragment", BAD_GRADERS)
def test_bad_model_grader_configs_are_one_line_400s(lax_sdk, grader, param, fragment):
    config = {"type": "custom", "include_sample_schema": True,
              "item_schema": {"type": "object", "properties": {"input": {"type": "string"}}}}
    with pytest.raises(openai.BadRequestError) as info:
        lax_sdk.evals.create(data_source_config=config, testing_criteria=[grader])
    body = info.value.body
    assert body["param"] == param and fragment in body["message"] and "\n" not in body["message"]


@pytest.mark.parametrize("source, param", [
    ({"type": "stored_completions", "created_after": 10, "created_before": 10}, "data_source.source.created_before"),
    ({"type": "stored_completions", "limit": 0}, "data_source.source.limit"),
    ({"type": "stored_completions", "metadata": {"k": 5}}, "data_source.source.metadata.k"),
])
def test_bad_stored_completions_filters_are_400(lax_sdk, source, param):
    ev = lax_sdk.evals.create(data_source_config={"type": "logs"}, testing_criteria=[LABEL_GRADER])
    with pytest.raises(openai.BadRequestError) as info:
        lax_sdk.evals.runs.create(ev.id, data_source={"type": "completions", "source": source})
    assert info.value.body["param"] == param
