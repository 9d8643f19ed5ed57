"""Background work cut off by a server stop ends in a defined state when a server starts again over the
same database file: a background response fails, saying why; vector-store files are processed. (Runs,
eval runs and fine-tuning jobs have their own restart tests beside their API's tests.) Every exchange is
checked against the contract."""

from __future__ import annotations

import pytest

from jupyter_api_kit.client import Client
from jupyter_api_kit.local import start_local_server


@pytest.fixture()
def restart(tmp_path, recorder):
    """start(timing) -> (server, client) over one database file; every server and client is closed after."""
    opened = []

    def start(**timing):
        server = start_local_server(db=tmp_path / "local.db", data_dir=tmp_path)
        for name, seconds in timing.items():
            setattr(server.app.state.timing, name, seconds)
        client = Client(base_url=server.base_url, api_key=server.api_key, max_retries=0)
        client.transport.session.hooks["response"].append(recorder)
        opened.append((server, client))
        return server, client

    yield start
    for server, client in opened:
        client.close()
        server.stop()


def test_a_background_response_cut_off_by_a_stop_fails_on_restart(restart):
    first, client = restart(response_step=5.0)
    queued = client.responses.create(model="local-ngram", input="Name a planet.", background=True)
    assert queued.status == "queued"
    client.close()
    first.stop()  # the response was still queued

    _, client = restart()
    failed = client.responses.retrieve(queued.id)
    assert failed.status == "failed"
    assert failed.error.code == "server_error" and "stopped" in failed.error.message
    again = client.responses.create(model="local-ngram", input="Name a planet.", background=True,
                                    max_output_tokens=16)
    assert client.responses.poll(again.id, timeout=30).status in ("completed", "incomplete")


def test_vector_store_files_cut_off_by_a_stop_are_processed_on_restart(restart):
    first, client = restart(vector_store_file=5.0)
    texts = {"moons.txt": "Titan is the largest moon of Saturn.", "rings.txt": "Saturn's rings are ice.",
             "storms.txt": "Jupiter's Great Red Spot is a storm."}
    ids = [client.files.create(file=text.encode(), filename=name, purpose="assistants").id
           for name, text in texts.items()]
    vs = client.vector_stores.create(name="planets")
    batch = client.vector_stores.file_batches.create(vs.id, file_ids=ids)
    assert batch.status == "in_progress" and batch.file_counts.completed == 0
    client.close()
    first.stop()  # no file was processed yet

    _, client = restart()
    done = client.vector_stores.file_batches.poll(vs.id, batch.id)
    assert done.status == "completed" and done.file_counts.completed == 3
    hits = client.vector_stores.search(vs.id, query="largest moon of Saturn")
    assert hits.data[0].filename == "moons.txt"
