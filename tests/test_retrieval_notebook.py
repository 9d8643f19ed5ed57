"""The retrieval notebook runs top to bottom with no key and no network, in a real kernel.

The kernel starts its own embedded local server over a fresh database in a temporary data
directory (`JUPYTER_API_KIT_DATA_DIR`), so uploads land there and nothing touches the user's files.
"""

from __future__ import annotations

import json

import pytest

from tests.notebook_support import assert_ran_cleanly, code_cell, execute_notebook, shown


@pytest.fixture()
def executed(tmp_path, monkeypatch):
    # Data in a subfolder, the working directory above it: the notebook writes (and removes) files there.
    nb = execute_notebook("retrieval.ipynb", tmp_path / "data", workdir=tmp_path, monkeypatch=monkeypatch)
    return nb, tmp_path


@pytest.mark.notebook
@pytest.mark.slow
def test_retrieval_notebook_runs_offline(executed):
    nb, workdir = executed
    assert_ran_cleanly(nb)

    assert "'completed'" in shown(code_cell(nb, "store = client.vector_stores.create(")) and "'completed': 5" in \
        shown(code_cell(nb, "store = client.vector_stores.create("))

    plain = json.loads(shown(code_cell(nb, "hits = client.vector_stores.search(")))["text/plain"]
    assert plain.index("jupiter.md") < plain.index("mars.md")

    filtered = json.loads(shown(code_cell(nb, "recent_space = ")))["text/plain"]
    assert "jupiter.md" in filtered and "saturn.md" in filtered
    assert "mars.md" not in filtered and "bread.md" not in filtered  # 2019, and cooking

    answered = shown(code_cell(nb, 'question = "What are the moons of Mars called?"'))
    assert "searched for: ['moons mars']" in answered and "mars.md: Mars is the red planet" in answered
    assert "cites: ['mars.md'" in answered
    assert "Phobos" in answered and "Deimos" in answered, "the answer states what the retrieved notes say"

    by_hand = shown(code_cell(nb, "%%chat --api responses"))
    assert "text/markdown" in by_hand and "prompt +" in by_hand

    assert "e7" in shown(code_cell(nb, "sentences = ["))
    assert "image/png" in shown(code_cell(nb, "frames.similarity_plot("))

    moderation = json.loads(shown(code_cell(nb, "texts = [")))["text/plain"]
    assert "True" in moderation and "illicit" in moderation

    assert shown(code_cell(nb, "import shutil")).strip().endswith('"text/plain": "0"}')
    assert not (workdir / "retrieval_notes").exists()  # the notebook cleans up the files it wrote
