"""Evals, runs and output items: the client (and the official `openai` package) against the local server
over real HTTP. The `client` fixture validates every request and response against the shared OpenAPI file.
"""

from __future__ import annotations

import json
import time
import uuid

import httpx
import openai
import pytest
import requests

from jupyter_api_kit.client import Client
from jupyter_api_kit.client.evals import completions_source, jsonl_source, string_check, text_similarity
from jupyter_api_kit.errors import BadRequestError, InvalidInputError, NotFoundError

SCHEMA = {"type": "object", "properties": {"question": {"type": "string"}, "answer": {"type": "string"}},
          "required": ["question", "answer"]}
CONFIG = {"type": "custom", "item_schema": SCHEMA, "include_sample_schema": True}
ROWS = [
    {"item": {"question": "Capital of France?", "answer": "Paris"}, "sample": {"output_text": "Paris"}},
    {"item": {"question": "Capital of Peru?", "answer": "Lima"}, "sample": {"output_text": "It is lima."}},
    {"item": {"question": "Capital of Chad?", "answer": "N'Djamena"}, "sample": {"output_text": "Ndjamena"}},
]


def make_eval(client, criteria=None, **kwargs):
    criteria = criteria or [string_check("exact", "{{sample.output_text}}", "{{item.answer}}", "eq")]
    return client.evals.create(name=kwargs.pop("name", f"eval-{uuid.uuid4().hex[:6]}"), data_source_config=CONFIG,
                               testing_criteria=criteria, **kwargs)


def test_eval_create_retrieve_update_list_delete(client):
    ev = make_eval(client, metadata={"topic": "capitals"})
    assert ev.object == "eval" and ev.id.startswith("eval_")
    assert ev.data_source_config.type == "custom"
    assert ev.data_source_config.schema["properties"]["item"] == SCHEMA
    assert ev.testing_criteria[0]["operation"] == "eq"
    assert client.evals.retrieve(ev.id).name == ev.name
    other = make_eval(client)
    time.sleep(1.01)  # updated_at has one-second resolution
    updated = client.evals.update(ev.id, name="renamed", metadata={"topic": "geo"})
    assert updated.name == "renamed" and updated.metadata == {"topic": "geo"}
    assert client.evals.update(ev.id, name="again").metadata == {"topic": "geo"}  # untouched when not given
    ids = [e.id for e in client.evals.list(limit=100)]
    assert ids.index(ev.id) < ids.index(other.id)
    by_update = [e.id for e in client.evals.list(order_by="updated_at", order="desc", limit=100)]
    assert by_update.index(ev.id) < by_update.index(other.id)
    deleted = client.evals.delete(ev.id)
    assert deleted.deleted and deleted.eval_id == ev.id
    with pytest.raises(NotFoundError):
        client.evals.retrieve(ev.id)


def test_list_pages_through_every_eval(client):
    made = [make_eval(client).id for _ in range(3)]
    first = client.evals.list(limit=2, order="desc")
    assert len(first) == 2 and first.has_more
    seen = [e.id for e in first]  # iterating a page walks every following page
    assert seen[:3] == made[::-1] and len(seen) > 2
    pages = client.evals.list(limit=1, order="desc", order_by="updated_at").iter_pages()
    assert [next(pages).data[0].id for _ in range(3)] == made[::-1]


def test_jsonl_run_grades_each_item_with_every_criterion(client):
    criteria = [string_check("exact", "{{sample.output_text}}", "{{item.answer}}", "eq"),
                string_check("contains", "{{sample.output_text}}", "{{item.answer}}", "ilike"),
                text_similarity("fuzzy", "{{sample.output_text}}", "{{item.answer}}", "fuzzy_match", 0.8)]
    ev = make_eval(client, criteria)
    run = client.evals.runs.create(ev.id, data_source=jsonl_source(ROWS), name="given samples",
                                   metadata={"kind": "jsonl"})
    assert run.object == "eval.run" and run.status in ("queued", "in_progress", "completed")
    assert run.report_url.endswith(f"/evals/{ev.id}/runs/{run.id}")
    run = client.evals.runs.wait(ev.id, run.id)
    assert run.status == "completed" and run.metadata == {"kind": "jsonl"}
    assert run.result_counts == {"total": 3, "errored": 0, "failed": 2, "passed": 1}
    per = {c["testing_criteria"]: (c["passed"], c["failed"]) for c in run.per_testing_criteria_results}
    assert per == {"exact": (1, 2), "contains": (2, 1), "fuzzy": (2, 1)}
    items = client.evals.runs.output_items.list(ev.id, run.id)
    assert [i.datasource_item_id for i in items.data] == [0, 1, 2]
    chad = items.data[2]
    scores = {r["name"]: r["score"] for r in chad.results}
    assert scores["exact"] == 0 and scores["contains"] == 0
    assert scores["fuzzy"] == pytest.approx(14 / 17, abs=1e-6)  # 2 * LCS("Njamena") / (8 + 9)
    assert chad.datasource_item == ROWS[2]["item"] and chad.sample.output[0]["content"] == "Ndjamena"
    passed = client.evals.runs.output_items.list(ev.id, run.id, status="pass")
    assert [i.datasource_item_id for i in passed.data] == [0]
    one = client.evals.runs.output_items.retrieve(ev.id, run.id, chad.id)
    assert one.id == chad.id and one.status == "fail"


def test_completions_run_samples_the_local_model_from_a_template(client, server):
    ev = make_eval(client, [string_check("said", "{{sample.output_text}}", "{{item.answer}}", "ilike")])
    before = server.store.one("SELECT count(*) FROM usage_records WHERE kind = 'completions'")[0]
    items = [{"question": "Tell me about the planets.", "answer": "planet"},
             {"question": "What is bread made of?", "answer": "xyzzy"}]
    source = completions_source(items, [{"role": "system", "content": "Answer briefly."},
                                        {"role": "user", "content": "{{item.question}}"}],
                                seed=7, temperature=0.7, max_completion_tokens=40)
    run = client.evals.runs.wait(ev.id, client.evals.runs.create(ev.id, data_source=source).id)
    assert run.status == "completed" and run.model == "local-ngram"
    usage = run.per_model_usage[0]
    assert usage["model_name"] == "local-ngram" and usage["invocation_count"] == 2
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0
    after = server.store.one("SELECT count(*) FROM usage_records WHERE kind = 'completions'")[0]
    assert after - before == 2
    out = client.evals.runs.output_items.list(ev.id, run.id).data
    first = out[0]
    assert first.sample.input == [{"role": "system", "content": "Answer briefly."},
                                  {"role": "user", "content": "Tell me about the planets."}]
    assert first.sample.seed == 7 and first.sample.max_completion_tokens == 40 and first.sample.model == "local-ngram"
    text = first.sample.output[0]["content"]
    assert first.results[0]["passed"] == ("planet" in text.lower())
    assert out[1].status == "fail"  # nothing says xyzzy
    # the same seed samples the same text
    again = client.evals.runs.wait(ev.id, client.evals.runs.create(ev.id, data_source=source).id)
    assert client.evals.runs.output_items.list(ev.id, again.id).data[0].sample.output[0]["content"] == text


def test_item_reference_input_messages(client):
    ev = client.evals.create(data_source_config={"type": "custom", "include_sample_schema": True,
                                                 "item_schema": {"type": "object"}},
                             testing_criteria=[string_check("nonempty", "{{sample.output_text}}", "", "ne")])
    items = [{"messages": [{"role": "user", "content": "Tell me about bread."}]}]
    run = client.evals.runs.wait(ev.id, client.evals.runs.create(
        ev.id, data_source=completions_source(items, item_reference="item.messages", max_completion_tokens=10)).id)
    item = client.evals.runs.output_items.list(ev.id, run.id).data[0]
    assert item.sample.input == items[0]["messages"] and run.result_counts.passed == 1


def test_run_over_an_uploaded_jsonl_file(client):
    ev = make_eval(client, [string_check("exact", "{{sample.output_text}}", "{{item.answer}}")])
    lines = [json.dumps(r) for r in ROWS] + [json.dumps({"question": "2+2?", "answer": "4"})]
    uploaded = client.files.create(file=("\n".join(lines) + "\n").encode(), filename="capitals.jsonl", purpose="evals")
    run = client.evals.runs.wait(ev.id, client.evals.runs.create(ev.id, data_source=jsonl_source(
        file_id=uploaded.id)).id)
    assert run.result_counts.total == 4 and run.result_counts.passed == 1
    assert run.data_source["source"] == {"type": "file_id", "id": uploaded.id}
    bare = client.evals.runs.output_items.list(ev.id, run.id).data[3]
    assert bare.datasource_item == {"question": "2+2?", "answer": "4"}


def test_bad_files_and_items_are_400_naming_the_line(client):
    ev = make_eval(client)
    broken = client.files.create(file=b'{"item": {"question": "a", "answer": "b"}}\n{not json\n',
                                 filename="bad.jsonl", purpose="evals")
    with pytest.raises(BadRequestError) as info:
        client.evals.runs.create(ev.id, data_source=jsonl_source(file_id=broken.id))
    assert "line 2" in info.value.message
    missing = client.files.create(file=b'{"item": {"question": "a"}}\n', filename="m.jsonl", purpose="evals")
    with pytest.raises(BadRequestError) as info:
        client.evals.runs.create(ev.id, data_source=jsonl_source(file_id=missing.id))
    assert "line 1" in info.value.message and "'answer'" in info.value.message
    with pytest.raises(BadRequestError) as info:
        client.evals.runs.create(ev.id, data_source=jsonl_source(file_id="file-000000000000000000000000"))
    assert info.value.param == "data_source.source.id"
    with pytest.raises(BadRequestError) as info:
        client.evals.runs.create(ev.id, data_source=jsonl_source([{"question": "q", "answer": 3}]))
    assert "content[0]" in info.value.message and "item.answer" in info.value.message


@pytest.mark.parametrize("criterion, param, fragment", [
    ({"type": "python", "name": "p", "source": "def grade(s, i): return 1"}, "testing_criteria[0].type", "code"),
    ({"type": "text_similarity", "name": "t", "input": "{{item.answer}}", "reference": "x",
      "evaluation_metric": "bleu"}, "testing_criteria[0].pass_threshold", "pass_threshold"),
    ({"type": "text_similarity", "name": "t", "input": "{{item.answer}}", "reference": "x",
      "evaluation_metric": "wer", "pass_threshold": 0.5}, "testing_criteria[0].evaluation_metric", "wer"),
    ({"type": "string_check", "name": "s", "input": "{{item.answr}}", "reference": "x", "operation": "eq"},
     "testing_criteria[0].input", "answr"),
    ({"type": "string_check", "name": "s", "input": "{{item.answer}}", "reference": "x", "operation": "startswith"},
     "testing_criteria[0].operation", "startswith"),
])
def test_unsupported_or_broken_graders_are_refused_at_creation(server, criterion, param, fragment):
    r = requests.post(f"{server.base_url}/evals", json={"data_source_config": CONFIG, "testing_criteria": [criterion]}, headers=server.headers)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["param"] == param and fragment in error["message"]


def test_sample_templates_need_a_sample_namespace(server):
    config = {"type": "custom", "item_schema": SCHEMA}
    r = requests.post(f"{server.base_url}/evals", json={"data_source_config": config, "testing_criteria": [
        string_check("s", "{{sample.output_text}}", "{{item.answer}}")]}, headers=server.headers)
    assert r.status_code == 400 and "include_sample_schema" in r.json()["error"]["message"]


@pytest.mark.parametrize("data_source, param", [
    ({"type": "responses", "source": {"type": "file_content", "content": []}}, "data_source.type"),
    ({"type": "jsonl"}, "data_source.source"),
    ({"type": "jsonl", "source": {"type": "file_content", "content": [{"x": 1}]}}, "data_source.source.content[0]"),
    ({"type": "jsonl", "source": {"type": "stored_completions"}}, "data_source.source.type"),
    ({"type": "completions", "source": {"type": "file_content", "content": [{"item": {}}]},
      "input_messages": {"type": "template", "template": [{"role": "user", "content": "{{item.nope}}"}]}},
     "data_source.input_messages.template[0].content"),
    ({"type": "completions", "source": {"type": "file_content", "content": [{"item": {}}]},
      "input_messages": {"type": "template", "template": [{"role": "user", "content": "x"}]},
      "sampling_params": {"temperature": 5}}, "data_source.sampling_params.temperature"),
])
def test_bad_run_data_sources_are_400(server, data_source, param):
    ev = requests.post(f"{server.base_url}/evals", json={"data_source_config": CONFIG, "testing_criteria": [
        string_check("s", "{{sample.output_text}}", "{{item.answer}}")]}, headers=server.headers).json()
    r = requests.post(f"{server.base_url}/evals/{ev['id']}/runs", json={"data_source": data_source}, headers=server.headers)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["param"] == param


def test_unknown_ids_are_404(client):
    ev = make_eval(client)
    calls = [lambda: client.evals.runs.create("eval_nope", data_source=jsonl_source(ROWS)),
             lambda: client.evals.update("eval_nope", name="x"),
             lambda: client.evals.delete("eval_nope"),
             lambda: client.evals.runs.list("eval_nope"),
             lambda: client.evals.runs.retrieve(ev.id, "evalrun_nope"),
             lambda: client.evals.runs.cancel(ev.id, "evalrun_nope"),
             lambda: client.evals.runs.delete(ev.id, "evalrun_nope"),
             lambda: client.evals.runs.output_items.list(ev.id, "evalrun_nope")]
    for call in calls:
        with pytest.raises(NotFoundError) as info:
            call()
        assert "nope" in info.value.message
    run = client.evals.runs.wait(ev.id, client.evals.runs.create(ev.id, data_source=jsonl_source(ROWS)).id)
    with pytest.raises(NotFoundError):
        client.evals.runs.output_items.retrieve(ev.id, run.id, "outputitem_nope")


def test_client_checks_before_sending(client):
    with pytest.raises(InvalidInputError):
        client.evals.runs.create("eval_x", data_source={"source": {}})
    with pytest.raises(InvalidInputError):
        jsonl_source([])
    with pytest.raises(InvalidInputError):
        completions_source([{"q": 1}])
    with pytest.raises(InvalidInputError):
        client.evals.update("eval_x", metadata={"k" * 65: "v"})


def test_template_errors_count_as_errored_items(client):
    ev = client.evals.create(data_source_config={"type": "custom", "include_sample_schema": True,
                                                 "item_schema": {"type": "object"}},
                             testing_criteria=[string_check("s", "{{sample.output_text}}", "{{item.answer}}")])
    rows = [{"item": {"answer": "a"}, "sample": {"output_text": "a"}}, {"item": {}, "sample": {"output_text": "a"}}]
    run = client.evals.runs.wait(ev.id, client.evals.runs.create(ev.id, data_source=jsonl_source(rows)).id)
    assert run.result_counts == {"total": 2, "errored": 1, "failed": 0, "passed": 1}
    bad = client.evals.runs.output_items.list(ev.id, run.id).data[1]
    assert bad.status == "fail" and bad.sample.error["code"] == "template_error"
    assert "answer" in bad.sample.error["message"]


def test_runs_list_filter_cancel_and_delete(fresh_server, recorder):
    fresh_server.app.state.timing.eval_item = 0.05
    client = Client(base_url=fresh_server.base_url, api_key=fresh_server.api_key, max_retries=0)
    client.transport.session.hooks["response"].append(recorder)
    ev = make_eval(client)
    rows = [{"item": {"question": str(i), "answer": str(i)}, "sample": {"output_text": str(i)}} for i in range(60)]
    slow = client.evals.runs.create(ev.id, data_source=jsonl_source(rows))
    time.sleep(0.3)
    canceled = client.evals.runs.cancel(ev.id, slow.id)
    assert canceled.status == "canceled"
    time.sleep(0.2)
    settled = client.evals.runs.retrieve(ev.id, slow.id)
    assert settled.status == "canceled" and 0 < settled.result_counts.total < 60
    assert len(client.evals.runs.output_items.list(ev.id, slow.id, limit=100)) == settled.result_counts.total
    assert client.evals.runs.cancel(ev.id, slow.id).status == "canceled"  # again: nothing changes
    fresh_server.app.state.timing.eval_item = 0
    done = client.evals.runs.wait(ev.id, client.evals.runs.create(ev.id, data_source=jsonl_source(ROWS)).id)
    with pytest.raises(BadRequestError):
        client.evals.runs.cancel(ev.id, done.id)
    assert [r.id for r in client.evals.runs.list(ev.id, status="canceled")] == [slow.id]
    assert [r.id for r in client.evals.runs.list(ev.id)] == [slow.id, done.id]
    assert client.evals.runs.delete(ev.id, done.id).deleted
    with pytest.raises(NotFoundError):
        client.evals.runs.retrieve(ev.id, done.id)
    client.evals.delete(ev.id)
    assert fresh_server.store.one("SELECT count(*) FROM eval_run_output_items")[0] == 0
    client.close()


def test_unfinished_runs_start_again_with_the_server(tmp_path):
    from jupyter_api_kit.local import start_local_server

    db = tmp_path / "local.db"
    server = start_local_server(db=db, data_dir=tmp_path)
    server.app.state.timing.eval_item = 0.05
    client = Client(base_url=server.base_url, api_key=server.api_key, max_retries=0)
    ev = make_eval(client)
    rows = [{"item": {"question": str(i), "answer": str(i)}, "sample": {"output_text": str(i)}} for i in range(40)]
    run = client.evals.runs.create(ev.id, data_source=jsonl_source(rows))
    time.sleep(0.2)
    server.stop()
    client.close()
    again = start_local_server(db=db, data_dir=tmp_path)
    try:
        client = Client(base_url=again.base_url, api_key=again.api_key, max_retries=0)
        done = client.evals.runs.wait(ev.id, run.id, timeout=30)
        assert done.status == "completed" and done.result_counts.passed == 40
        assert len(client.evals.runs.output_items.list(ev.id, run.id, limit=100)) == 40
    finally:
        again.stop()


@pytest.fixture()
def sdk(server, contract_or_none):
    def check(response: httpx.Response):
        response.read()
        if contract_or_none is None:
            return
        path = response.request.url.path
        # the SDK cancels at .../runs/{id}/cancel, which the description names .../runs/{id}
        path = path.removesuffix("/cancel") if "/evals/" in path else path
        contract_or_none.validate_body(response.request.method, path, response.json(), response.status_code)

    http = httpx.Client(event_hooks={"response": [check]})
    yield openai.OpenAI(base_url=server.base_url, api_key=server.api_key, http_client=http, max_retries=0)
    http.close()


def test_the_official_openai_package_drives_evals(sdk):
    ev = sdk.evals.create(
        name="sdk eval", data_source_config={"type": "custom", "item_schema": SCHEMA, "include_sample_schema": True},
        testing_criteria=[{"type": "string_check", "name": "match", "input": "{{sample.output_text}}",
                           "reference": "{{item.answer}}", "operation": "like"},
                          {"type": "text_similarity", "name": "rouge", "input": "{{sample.output_text}}",
                           "reference": "{{item.answer}}", "evaluation_metric": "rouge_l", "pass_threshold": 0.5}])
    run = sdk.evals.runs.create(ev.id, data_source={
        "type": "completions", "model": "local-ngram",
        "input_messages": {"type": "template", "template": [{"role": "user", "content": "{{item.question}}"}]},
        "sampling_params": {"seed": 3, "max_completion_tokens": 20},
        "source": {"type": "file_content", "content": [{"item": r["item"]} for r in ROWS]}})
    for _ in range(100):
        run = sdk.evals.runs.retrieve(run.id, eval_id=ev.id)
        if run.status == "completed":
            break
        time.sleep(0.05)
    assert run.status == "completed" and run.result_counts.total == 3
    items = sdk.evals.runs.output_items.list(run.id, eval_id=ev.id)
    assert len(items.data) == 3 and {r.name for r in items.data[0].results} == {"match", "rouge"}
    one = sdk.evals.runs.output_items.retrieve(items.data[0].id, eval_id=ev.id, run_id=run.id)
    assert one.datasource_item == ROWS[0]["item"]
    assert sdk.evals.update(ev.id, name="renamed").name == "renamed"
    assert [r.id for r in sdk.evals.runs.list(ev.id).data] == [run.id]
    with pytest.raises(openai.BadRequestError):
        sdk.evals.runs.cancel(run.id, eval_id=ev.id)  # a completed run cannot be canceled
    assert sdk.evals.runs.delete(run.id, eval_id=ev.id).deleted
    with pytest.raises(openai.BadRequestError):
        sdk.evals.create(data_source_config={"type": "custom", "item_schema": SCHEMA},
                         testing_criteria=[{"type": "python", "name": "p", "source": "x"}])
    with pytest.raises(openai.NotFoundError):
        sdk.evals.runs.create("eval_unknown", data_source={"type": "jsonl", "source": {
            "type": "file_content", "content": [{"item": {"question": "q", "answer": "a"}}]}})
    assert sdk.evals.delete(ev.id).deleted


def test_frames_show_items_runs_and_criteria(client):
    from jupyter_api_kit import frames

    criteria = [string_check("exact", "{{sample.output_text}}", "{{item.answer}}", "eq"),
                text_similarity("fuzzy", "{{sample.output_text}}", "{{item.answer}}", "fuzzy_match", 0.8)]
    ev = make_eval(client, criteria)
    first = client.evals.runs.wait(ev.id, client.evals.runs.create(ev.id, data_source=jsonl_source(ROWS),
                                                                   name="given").id)
    second = client.evals.runs.wait(ev.id, client.evals.runs.create(ev.id, data_source=jsonl_source(
        [{"item": r["item"], "sample": {"output_text": r["item"]["answer"]}} for r in ROWS]), name="perfect").id)
    items = frames.eval_output_items(client.evals.runs.output_items.list(ev.id, first.id))
    assert list(items["datasource_item_id"]) == [0, 1, 2]
    assert list(items["item.answer"]) == ["Paris", "Lima", "N'Djamena"]
    assert list(items["output"]) == ["Paris", "It is lima.", "Ndjamena"]
    assert list(items["exact.passed"]) == [True, False, False] and list(items["fuzzy.passed"]) == [True, False, True]
    assert items["fuzzy.score"].iloc[0] == 1.0 and items["error"].isna().all()
    runs = frames.eval_runs(client.evals.runs.list(ev.id))
    assert list(runs["name"]) == ["given", "perfect"]
    assert list(runs["pass_rate"]) == [pytest.approx(1 / 3), 1.0]
    assert list(runs["fuzzy.pass_rate"]) == [pytest.approx(2 / 3), 1.0]
    assert str(runs["created_at"].dt.tz) == "UTC"
    long = frames.eval_criteria([first, second])
    assert len(long) == 4 and set(long["testing_criteria"]) == {"exact", "fuzzy"}
    figure = frames.pass_rate_plot([first, second])
    assert len(figure.axes[0].patches) == 4
    assert frames.eval_output_items([]).empty and frames.eval_runs([]).empty


EVAL_OPERATIONS = {"listEvals", "createEval", "getEval", "updateEval", "deleteEval", "getEvalRuns", "createEvalRun",
                   "getEvalRun", "cancelEvalRun", "deleteEvalRun", "getEvalRunOutputItems", "getEvalRunOutputItem"}


def test_all_twelve_operations_validate_against_the_contract(client, recorder, server):
    server.app.state.timing.eval_item = 0.01
    try:
        ev = make_eval(client)
        client.evals.list(limit=1)
        client.evals.retrieve(ev.id)
        client.evals.update(ev.id, metadata={"k": "v"})
        slow = client.evals.runs.create(ev.id, data_source=jsonl_source(ROWS * 30))
        assert client.evals.runs.cancel(ev.id, slow.id).status == "canceled"
    finally:
        server.app.state.timing.eval_item = 0
    run = client.evals.runs.wait(ev.id, client.evals.runs.create(ev.id, data_source=jsonl_source(ROWS)).id)
    client.evals.runs.list(ev.id)
    item = client.evals.runs.output_items.list(ev.id, run.id, limit=1).data[0]
    client.evals.runs.output_items.retrieve(ev.id, run.id, item.id)
    client.evals.runs.delete(ev.id, slow.id)
    client.evals.delete(ev.id)
    assert {op for op, status in recorder.operations if status < 300} >= EVAL_OPERATIONS


@pytest.mark.parametrize("path", ["/evals", "/evals/{eval}/runs", "/evals/{eval}"])
def test_garbage_bodies_are_400_never_500(server, path):
    ev = requests.post(f"{server.base_url}/evals", json={"data_source_config": CONFIG, "testing_criteria": [
        string_check("s", "{{sample.output_text}}", "{{item.answer}}")]}, headers=server.headers).json()
    url = server.base_url + path.format(eval=ev["id"])
    bodies = [b"{", b"[]", b"null", b'"x"', b'{"data_source_config": 1, "testing_criteria": {}}',
              b'{"data_source": {"type": "completions", "source": {"type": "file_content", "content": [{"item": {}}]},'
              b' "input_messages": {"type": "template", "template": [{"role": "user", "content": 5}]}}}',
              b'{"testing_criteria": [{"type": "string_check", "name": 5}], "data_source_config": {"type": "custom",'
              b' "item_schema": {"properties": "x"}}}', b'{"name": ["x"]}', b'{"metadata": "m"}']
    for raw in bodies:
        r = requests.post(url, data=raw, headers={**server.headers, "content-type": "application/json"})
        assert r.status_code == 400, (raw, r.text)
        assert set(r.json()["error"]) == {"message", "type", "param", "code"}


@pytest.mark.parametrize("kind", ["logs", "stored_completions"])
def test_logs_configs_have_item_and_sample_namespaces(client, kind):
    ev = client.evals.create(data_source_config={"type": kind, "metadata": {"usecase": "chatbot"}},
                             testing_criteria=[string_check("s", "{{sample.output_text}}", "{{item.expected}}")])
    assert ev.data_source_config.type == kind and ev.data_source_config.metadata == {"usecase": "chatbot"}
    assert set(ev.data_source_config.schema["properties"]) == {"item", "sample"}
    rows = [{"item": {"expected": "yes"}, "sample": {"output_text": "yes"}}]
    run = client.evals.runs.wait(ev.id, client.evals.runs.create(ev.id, data_source=jsonl_source(rows)).id)
    assert run.name == "jsonl run" and run.result_counts.passed == 1
