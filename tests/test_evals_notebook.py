"""The evals and fine-tuning notebook runs top to bottom with no key and no network, in a real kernel: it
builds a dataset, evaluates the base local model, fine-tunes it, evaluates the tuned model and compares; then
it tags stored chat completions and evaluates exactly those with model graders.

The kernel starts its own embedded local server over a fresh database in a temporary data directory;
afterwards the test opens that database with a local server of its own and checks what the notebook left.
"""

from __future__ import annotations

import ast
import json

import pytest

from tests.notebook_support import assert_ran_cleanly, code_cell, executed_once, shown

executed = executed_once("evals_finetuning.ipynb")


@pytest.mark.notebook
@pytest.mark.slow
def test_notebook_evaluates_fine_tunes_and_compares_offline(executed):
    nb, data_dir = executed
    assert_ran_cleanly(nb)

    assert "16 training examples, 8 eval items" in shown(code_cell(nb, "ATLAS = ["))
    assert "'completed'" in shown(code_cell(nb, "def evaluate(model, name):"))
    trained = shown(code_cell(nb, "started = time.perf_counter()"))
    assert "succeeded in" in trained and "ft:local-ngram:local:atlas:" in trained
    assert "Validated training file: 16 examples" in trained  # the events were followed as they came
    assert "train_loss" in shown(code_cell(nb, "metrics = frames.fine_tuning_metrics("))
    for plot in ("frames.loss_plot(", "frames.pass_rate_plot("):
        assert "image/png" in shown(code_cell(nb, plot))
    assert "mentions the fact.passed" in shown(code_cell(nb, "tuned_run = evaluate("))

    assert "exactly the tagged completions: True" in shown(code_cell(nb, "stored_items = "))
    assert "judge.label" in shown(code_cell(nb, "stored_items = "))

    summary = ast.literal_eval(json.loads(shown(code_cell(nb, "summary = {")))["text/plain"])
    assert summary["tuned_pass_rate"] > summary["base_pass_rate"]
    assert summary["fine_tune_seconds"] < 60

    # What the notebook made is really on the server: read the kernel's database back.
    from jupyter_api_kit.client import Client
    from jupyter_api_kit.local import start_local_server

    with start_local_server(db=data_dir / "local.db", data_dir=data_dir) as server, \
            Client(base_url=server.base_url, api_key=server.api_key, max_retries=0) as client:
        evals = list(client.evals.list())
        assert [e.name for e in evals] == ["invented atlas", "tagged atlas answers"]
        runs = list(client.evals.runs.list(evals[0].id))
        assert [r.name for r in runs] == ["base model", "fine-tuned"] and all(r.status == "completed" for r in runs)
        stored_runs = list(client.evals.runs.list(evals[1].id))
        assert [r.status for r in stored_runs] == ["completed"] and stored_runs[0].result_counts.total == 4
        tagged = client.chat.completions.list(metadata={"prompt": "atlas-v1"}, limit=100, order="asc")
        graded = client.evals.runs.output_items.list(evals[1].id, stored_runs[0].id)
        assert [i.datasource_item["completion_id"] for i in graded] == [c.id for c in tagged]
        assert all(i.results[0]["label"] in ("correct", "incorrect", "off topic") for i in graded)
        jobs = list(client.fine_tuning.jobs.list())
        assert len(jobs) == 1 and jobs[0].status == "succeeded"
        assert jobs[0].fine_tuned_model in [m.id for m in client.models.list().data]
