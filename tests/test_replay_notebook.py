"""A class notebook rerun with replay on: the quickstart (which turns replay on in its second cell) runs
three times in fresh kernels against one local server, as `make lab` shares one. The first run asks the
model and records; the reruns answer from the replay file, so they show the same answers and ids, and
the two reruns are byte-identical, output for output. Provenance is saved in the notebook file.
"""

from __future__ import annotations

import copy
import json

import nbformat
import pytest

from tests.notebook_support import assert_ran_cleanly, execute_notebook

WIDGET = "application/vnd.jupyter.widget-view+json"


def outputs(nb) -> list[str]:
    """Every code cell's outputs as JSON text; a widget's model id (made afresh by each kernel) is blanked."""
    shown = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell_outputs = copy.deepcopy(cell.outputs)
        for output in cell_outputs:
            if WIDGET in output.get("data", {}):
                output["data"][WIDGET]["model_id"] = "<widget model>"
        shown.append(json.dumps(cell_outputs, sort_keys=True))
    return shown


def chat_outputs(nb) -> list[dict]:
    """(source, data, provenance) of every output that carries provenance."""
    return [{"source": cell.source, "data": output["data"], "provenance": output["metadata"]["jupyter_api_kit"]}
            for cell in nb.cells if cell.cell_type == "code"
            for output in cell.outputs if "jupyter_api_kit" in output.get("metadata", {})]


@pytest.mark.notebook
@pytest.mark.slow
def test_a_rerun_with_replay_gives_the_same_notebook(fresh_server, tmp_path):
    env = {"JUPYTER_API_KIT_LOCAL_URL": fresh_server.base_url, "JUPYTER_API_KIT_LOCAL_KEY": fresh_server.api_key}
    runs = []
    for attempt in range(3):
        nb = execute_notebook("quickstart.ipynb", tmp_path / "data", workdir=tmp_path, env=env)
        assert_ran_cleanly(nb)
        path = tmp_path / f"run{attempt}.ipynb"
        nbformat.write(nb, path)  # what a saved notebook holds
        runs.append(nbformat.read(path, as_version=4))
    first, second, third = runs

    assert outputs(second) == outputs(third)  # byte for byte

    recorded, replayed = chat_outputs(first), chat_outputs(second)
    assert len(recorded) == len(replayed) >= 5  # every %%chat answer
    for live, again in zip(recorded, replayed):
        assert again["data"] == live["data"]  # the same answers (and ids, in the tokens view too)
        assert live["provenance"]["replayed"] is False and again["provenance"]["replayed"] is True
        assert {k: v for k, v in again["provenance"].items() if k != "replayed"} == {
            k: v for k, v in live["provenance"].items() if k != "replayed"}
        assert again["provenance"]["id"] and again["provenance"]["model"] == "local-ngram"
    shown = [o.get("text") or o.get("data", {}).get("text/plain", "") for c in second.cells if c.cell_type == "code"
             for o in c.outputs]
    footers = [text for text in shown if "completion tokens" in text and "notebook:" in text]
    assert len(footers) == len(replayed) and all("replayed" in f and "0 tokens, $0.00 spent" in f for f in footers)
