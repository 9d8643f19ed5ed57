"""The quickstart notebook runs top to bottom with no key and no network, in a real kernel.

The kernel starts its own embedded local server over a fresh database in a temporary data
directory; afterwards the test opens that database with a local server of its own and reads the
stored completion back through the client.
"""

from __future__ import annotations

import pytest

from tests.notebook_support import assert_ran_cleanly, code_cell, execute_notebook, shown


@pytest.fixture()
def executed(tmp_path, monkeypatch):
    return execute_notebook("quickstart.ipynb", tmp_path, monkeypatch=monkeypatch), tmp_path


@pytest.mark.notebook
@pytest.mark.slow
def test_quickstart_runs_top_to_bottom_offline(executed):
    nb, data_dir = executed
    assert_ran_cleanly(nb)
    import nbformat

    saved = nbformat.writes(nb)  # what saving the executed notebook writes: the kernel's server keys are not in it
    assert "sk-local-" not in saved and "sk-admin-" not in saved and "Bearer" not in saved

    load = shown(code_cell(nb, "%load_ext jupyter_api_kit"))
    assert "embedded local server" in load and load.count("\n") == 1

    first = code_cell(nb, "%%chat -s")
    answers = [o for o in first.outputs if "text/markdown" in o.get("data", {})]
    assert answers and answers[0]["data"]["text/markdown"].strip()
    assert "▌" not in answers[0]["data"]["text/markdown"]  # the final rendering replaced the live one
    assert "planet" in answers[0]["data"]["text/markdown"]
    follow_up = [o for o in code_cell(nb, "%%chat --seed 2").outputs if "text/markdown" in o.get("data", {})]
    second = follow_up[0]["data"]["text/markdown"]
    assert "moon" in second.lower() and second.strip() != answers[0]["data"]["text/markdown"].strip()

    tokens = shown(code_cell(nb, "from jupyter_api_kit import frames"))
    assert "logprob" in tokens and "entropy" in tokens and "text/html" in tokens

    assert "demo" in shown(code_cell(nb, "%completions --metadata topic=demo"))
    tagged = shown(code_cell(nb, "%completions tag"))
    assert "astronomy" in tagged and "metadata.reviewed" in tagged
    assert "application/vnd.jupyter.widget-view+json" in shown(code_cell(nb, "from jupyter_api_kit.widgets"))
    assert "chatcmpl-" in shown(code_cell(nb, "%completions --metadata topic=astronomy"))
    assert "finish_reason" in shown(code_cell(nb, "from jupyter_api_kit import Client"))
    assert "total_tokens" in shown(code_cell(nb, "frames.usage(response)"))
    assert "ChatMagics.temperature" in shown(code_cell(nb, "%config ChatMagics"))

    # The retagged completion is really on the server: read the kernel's database back.
    from jupyter_api_kit.client import Client
    from jupyter_api_kit.local import start_local_server

    with start_local_server(db=data_dir / "local.db", data_dir=data_dir) as server, \
            Client(base_url=server.base_url, api_key=server.api_key, max_retries=0) as client:
        stored = list(client.chat.completions.list(metadata={"topic": "astronomy"}))
    assert len(stored) == 1 and stored[0].metadata == {"topic": "astronomy", "reviewed": "yes"}
