"""Every notebook in notebooks/ is committed clean: no outputs, no execution counts, and the
python3 kernel, so diffs stay readable and a fresh checkout opens with the kernel the tests use."""

from __future__ import annotations

import json

import pytest

from tests.notebook_support import NOTEBOOKS


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda path: path.name)
def test_notebook_is_committed_without_outputs(path):
    nb = json.loads(path.read_text())
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, cell["source"]
