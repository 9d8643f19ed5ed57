"""Vector stores, all 16 operations: stores, files, file batches, content and search, over real HTTP.

The `client` fixture validates every request and response against the shared OpenAPI file.
"""

from __future__ import annotations

import math
import time

import pytest

from jupyter_api_kit import frames
from jupyter_api_kit.errors import BadRequestError, InvalidInputError, NotFoundError

DOCS = {
    "jupiter.md": "Jupiter is the largest planet. Its moons include Io, Europa, Ganymede and Callisto.",
    "mars.md": "Mars is the red planet. Its two small moons are Phobos and Deimos.",
    "bread.md": "To bake bread, knead the dough, let it rise, then bake it in a hot oven.",
    "soup.md": "A good soup starts with onions, carrots and celery cooked slowly in butter.",
}
ATTRS = {"jupiter.md": {"topic": "space", "year": 2024, "public": True},
         "mars.md": {"topic": "space", "year": 2019, "public": False},
         "bread.md": {"topic": "cooking", "year": 2021, "public": True},
         "soup.md": {"topic": "cooking", "year": 2018}}


def wait_for(client, vsid: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while True:
        vs = client.vector_stores.retrieve(vsid)
        if vs.status != "in_progress" or time.monotonic() > deadline:
            return vs
        time.sleep(0.05)


def upload(client, name: str, text: str | bytes):
    data = text.encode() if isinstance(text, str) else text
    return client.files.create(file=data, filename=name, purpose="assistants")


@pytest.fixture(scope="module")
def kb(server):
    """A store holding the four documents with their attributes (made once for the module)."""
    from jupyter_api_kit.client import Client

    with Client(base_url=server.base_url, api_key=server.api_key, max_retries=0) as c:
        vs = c.vector_stores.create(name="kb")
        ids = {name: upload(c, name, text).id for name, text in DOCS.items()}
        batch = c.vector_stores.file_batches.create(
            vs.id, files=[{"file_id": ids[n], "attributes": ATTRS[n]} for n in DOCS])
        c.vector_stores.file_batches.poll(vs.id, batch.id)
        yield vs.id, ids


def test_create_with_files_strategy_and_expiry(client, server):
    f1, f2 = upload(client, "a.txt", "alpha " * 300), upload(client, "b.txt", "beta gamma")
    strategy = {"type": "static", "static": {"max_chunk_size_tokens": 100, "chunk_overlap_tokens": 20}}
    vs = client.vector_stores.create(name="made", file_ids=[f1.id, f2.id], chunking_strategy=strategy,
                                     expires_after={"anchor": "last_active_at", "days": 2},
                                     metadata={"owner": "tests"})
    assert vs.object == "vector_store" and vs.id.startswith("vs_") and vs.name == "made"
    assert vs.file_counts.total == 2 and vs.metadata == {"owner": "tests"}
    assert vs.expires_after.days == 2 and vs.expires_at == vs.last_active_at + 2 * 86400
    done = wait_for(client, vs.id)
    assert done.status == "completed" and done.file_counts.completed == 2 and done.file_counts.in_progress == 0
    files = client.vector_stores.files.list(vs.id).data
    assert done.usage_bytes == sum(f.usage_bytes for f in files) > 0
    assert all(f.chunking_strategy == strategy for f in files)
    # windows of 100 tokens, each starting 80 tokens after the previous one
    from jupyter_api_kit.local.vector_stores.chunking import tokenize

    n = len(tokenize("alpha " * 300))
    rows = server.store.all("SELECT tokens FROM vector_store_chunks WHERE vector_store_id = ? AND file_id = ? "
                            "ORDER BY position", (vs.id, f1.id))
    assert len(rows) == math.ceil((n - 100) / 80) + 1
    assert all(r["tokens"] == 100 for r in rows[:-1]) and sum(r["tokens"] for r in rows) == n + 20 * (len(rows) - 1)


def test_list_retrieve_modify_delete_stores(client):
    made = [client.vector_stores.create(name=f"s{i}") for i in range(3)]
    page = client.vector_stores.list(limit=2)
    assert len(page) == 2 and page.has_more and page.data[0].id == made[2].id  # newest first
    ids = [v.id for v in client.vector_stores.list(limit=2, order="asc")]
    assert ids.index(made[0].id) < ids.index(made[2].id)
    assert client.vector_stores.retrieve(made[0].id).name == "s0"
    changed = client.vector_stores.update(made[0].id, name="renamed", metadata={"k": "v"},
                                          expires_after={"anchor": "last_active_at", "days": 1})
    assert (changed.name, changed.metadata, changed.expires_after.days) == ("renamed", {"k": "v"}, 1)
    cleared = client.vector_stores.update(made[0].id, expires_after=None)
    assert "expires_after" not in cleared and cleared.expires_at is None
    assert client.vector_stores.delete(made[0].id) == {"id": made[0].id, "object": "vector_store.deleted",
                                                        "deleted": True}
    with pytest.raises(NotFoundError):
        client.vector_stores.retrieve(made[0].id)


def test_store_files_lifecycle(client):
    vs = client.vector_stores.create(name="files")
    f = upload(client, "notes.md", "Saturn has rings made of ice.")
    attached = client.vector_stores.files.create(vs.id, file_id=f.id, attributes={"topic": "space"})
    assert attached.object == "vector_store.file" and attached.vector_store_id == vs.id
    assert attached.status in ("in_progress", "completed") and attached.last_error is None
    done = client.vector_stores.files.poll(vs.id, f.id)
    assert done.status == "completed" and done.usage_bytes > 0 and done.attributes == {"topic": "space"}
    assert done.chunking_strategy.static.max_chunk_size_tokens == 800  # auto
    assert [x.id for x in client.vector_stores.files.list(vs.id, filter="completed")] == [f.id]
    assert client.vector_stores.files.list(vs.id, filter="failed").data == []
    updated = client.vector_stores.files.update(vs.id, f.id, attributes={"topic": "rings", "n": 3})
    assert updated.attributes == {"topic": "rings", "n": 3}
    content = client.vector_stores.files.content(vs.id, f.id)
    assert content.object == "vector_store.file_content.page"
    assert content.data[0].text == "Saturn has rings made of ice."
    assert client.vector_stores.files.delete(vs.id, f.id).deleted is True
    assert client.files.retrieve(f.id).id == f.id  # the upload itself stays
    assert client.vector_stores.retrieve(vs.id).file_counts.total == 0
    with pytest.raises(NotFoundError):
        client.vector_stores.files.retrieve(vs.id, f.id)


def test_unreadable_file_fails_with_last_error(client):
    vs = client.vector_stores.create(name="bad")
    binary = upload(client, "image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    client.vector_stores.files.create(vs.id, file_id=binary.id)
    failed = client.vector_stores.files.poll(vs.id, binary.id)
    assert failed.status == "failed" and failed.last_error.code == "unsupported_file"
    assert "image.png" in failed.last_error.message and failed.usage_bytes == 0
    assert wait_for(client, vs.id).file_counts.failed == 1
    assert client.vector_stores.files.content(vs.id, binary.id).data == []


def test_deleting_an_upload_removes_it_from_every_store(client):
    f = upload(client, "shared.md", "Neptune is windy.")
    a = client.vector_stores.create(name="a", file_ids=[f.id])
    b = client.vector_stores.create(name="b", file_ids=[f.id])
    assert wait_for(client, a.id).file_counts.completed == 1 and wait_for(client, b.id).file_counts.completed == 1
    client.files.delete(f.id)
    for vs in (a, b):
        after = client.vector_stores.retrieve(vs.id)
        assert after.file_counts.total == 0 and after.usage_bytes == 0
        assert client.vector_stores.search(vs.id, query="Neptune").data == []


def test_file_batches(client):
    vs = client.vector_stores.create(name="batches")
    ids = [upload(client, f"d{i}.txt", f"document number {i} about comets").id for i in range(3)]
    batch = client.vector_stores.file_batches.create(vs.id, file_ids=ids, attributes={"kind": "comet"})
    assert batch.object == "vector_store.files_batch" and batch.id.startswith("vsfb_")
    assert batch.file_counts.total == 3
    done = client.vector_stores.file_batches.poll(vs.id, batch.id)
    assert done.status == "completed" and done.file_counts.completed == 3
    listed = client.vector_stores.file_batches.list_files(vs.id, batch.id, filter="completed")
    assert sorted(f.id for f in listed) == sorted(ids)
    assert all(f.attributes == {"kind": "comet"} for f in listed)
    assert client.vector_stores.file_batches.retrieve(vs.id, batch.id).id == batch.id
    with pytest.raises(BadRequestError):
        client.vector_stores.file_batches.cancel(vs.id, batch.id)  # nothing left to cancel
    with pytest.raises(InvalidInputError):
        client.vector_stores.file_batches.create(vs.id)


def test_cancel_a_batch_in_progress(fresh_server):
    from jupyter_api_kit.client import Client

    fresh_server.app.state.timing.vector_store_file = 0.05
    with Client(base_url=fresh_server.base_url, api_key=fresh_server.api_key, max_retries=0) as c:
        vs = c.vector_stores.create(name="slow")
        ids = [upload(c, f"f{i}.txt", f"text {i}").id for i in range(20)]
        batch = c.vector_stores.file_batches.create(vs.id, file_ids=ids)
        assert batch.status == "in_progress"
        cancelled = c.vector_stores.file_batches.cancel(vs.id, batch.id)
        assert cancelled.status == "cancelled" and cancelled.file_counts.in_progress == 0
        assert cancelled.file_counts.cancelled > 0
        time.sleep(0.2)
        final = c.vector_stores.file_batches.retrieve(vs.id, batch.id)
        assert final.file_counts == cancelled.file_counts  # nothing moved after the cancel
        assert c.vector_stores.retrieve(vs.id).status == "completed"


def test_search_ranks_by_similarity(client, kb):
    vsid, ids = kb
    page = client.vector_stores.search(vsid, query="moons of Jupiter", max_num_results=2)
    assert page.object == "vector_store.search_results.page" and page.search_query == ["moons of Jupiter"]
    assert page.has_more is False and page.next_page is None
    top = page.data[0]
    assert top.filename == "jupiter.md" and top.file_id == ids["jupiter.md"]
    assert top.attributes == ATTRS["jupiter.md"] and top.content[0].type == "text"
    assert "Ganymede" in top.content[0].text
    assert len(page.data) == 2 and 0 <= page.data[1].score <= top.score <= 1
    multi = client.vector_stores.search(vsid, query=["bread oven", "soup onions"], max_num_results=2)
    assert {r.filename for r in multi.data} == {"bread.md", "soup.md"}


@pytest.mark.parametrize("filters, expected", [
    ({"type": "eq", "key": "topic", "value": "cooking"}, {"bread.md", "soup.md"}),
    ({"type": "ne", "key": "topic", "value": "cooking"}, {"jupiter.md", "mars.md"}),
    ({"type": "gte", "key": "year", "value": 2021}, {"jupiter.md", "bread.md"}),
    ({"type": "lt", "key": "year", "value": 2019}, {"soup.md"}),
    ({"type": "in", "key": "year", "value": [2018, 2019]}, {"mars.md", "soup.md"}),
    ({"type": "nin", "key": "topic", "value": ["space"]}, {"bread.md", "soup.md"}),
    ({"type": "eq", "key": "public", "value": True}, {"jupiter.md", "bread.md"}),
    ({"type": "and", "filters": [{"type": "eq", "key": "topic", "value": "space"},
                                 {"type": "gt", "key": "year", "value": 2020}]}, {"jupiter.md"}),
    ({"type": "or", "filters": [{"type": "eq", "key": "year", "value": 2018},
                                {"type": "and", "filters": [{"type": "eq", "key": "topic", "value": "space"},
                                                            {"type": "eq", "key": "public", "value": False}]}]},
     {"soup.md", "mars.md"}),
])
def test_search_filters(client, kb, filters, expected):
    vsid, _ = kb
    found = client.vector_stores.search(vsid, query="planet moons bread soup", filters=filters, max_num_results=10)
    assert {r.filename for r in found.data} == expected


def test_search_options(client, kb):
    vsid, _ = kb
    rewritten = client.vector_stores.search(vsid, query="Can you tell me about the red planet?", rewrite_query=True)
    assert rewritten.search_query == ["red planet"] and rewritten.data[0].filename == "mars.md"
    strict = client.vector_stores.search(vsid, query="red planet",
                                         ranking_options={"ranker": "none", "score_threshold": 0.2})
    assert strict.data and all(r.score >= 0.2 for r in strict.data)
    assert {r.filename for r in strict.data} < set(DOCS)
    assert len(client.vector_stores.search(vsid, query="planet", max_num_results=1).data) == 1


@pytest.mark.parametrize("body, param", [
    ({"query": "x", "filters": {"type": "near", "key": "a", "value": 1}}, "filters.type"),
    ({"query": "x", "filters": {"type": "eq", "value": 1}}, "filters.key"),
    ({"query": "x", "filters": {"type": "in", "key": "a", "value": 3}}, "filters.value"),
    ({"query": "x", "filters": {"type": "and", "filters": []}}, "filters.filters"),
    ({"query": "x", "filters": {"type": "or", "filters": [{"type": "gt", "key": "a", "value": [1]}]}},
     "filters.filters[0].value"),
    ({"query": ""}, "query"),
    ({"query": "x", "max_num_results": 51}, "max_num_results"),
    ({"query": "x", "ranking_options": {"ranker": "fancy"}}, "ranking_options.ranker"),
    ({"query": "x", "ranking_options": {"score_threshold": 2}}, "ranking_options.score_threshold"),
])
def test_bad_searches_are_clear_400s(server, kb, body, param):
    import requests

    r = requests.post(f"{server.base_url}/vector_stores/{kb[0]}/search", json=body, headers=server.headers)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["param"] == param


def test_bad_store_requests(client, server):
    import requests

    with pytest.raises(NotFoundError) as err:
        client.vector_stores.create(name="x", file_ids=["file-nope"])
    assert err.value.param == "file_ids[0]" and "file-nope" in str(err.value)
    vs = client.vector_stores.create(name="bad-input")
    with pytest.raises(NotFoundError):
        client.vector_stores.files.create(vs.id, file_id="file-nope")
    with pytest.raises(NotFoundError):
        client.vector_stores.file_batches.create(vs.id, file_ids=["file-nope"])
    f = upload(client, "ok.txt", "fine")
    base = f"{server.base_url}/vector_stores/{vs.id}"
    cases = [
        (f"{base}/files", {"file_id": f.id, "chunking_strategy": {"type": "static", "static": {
            "max_chunk_size_tokens": 50, "chunk_overlap_tokens": 0}}},
         "chunking_strategy.static.max_chunk_size_tokens"),
        (f"{base}/files", {"file_id": f.id, "chunking_strategy": {"type": "static", "static": {
            "max_chunk_size_tokens": 200, "chunk_overlap_tokens": 150}}},
         "chunking_strategy.static.chunk_overlap_tokens"),
        (f"{base}/files", {"file_id": f.id, "attributes": {f"k{i}": i for i in range(17)}}, "attributes"),
        (f"{base}/files", {"file_id": f.id, "attributes": {"k": [1]}}, "attributes.k"),
        (f"{base}/file_batches", {"file_ids": [f.id], "files": [{"file_id": f.id}]}, "file_ids"),
        (f"{server.base_url}/vector_stores", {"expires_after": {"anchor": "last_active_at", "days": 0}},
         "expires_after.days"),
        (f"{server.base_url}/vector_stores", {"name": "x", "colour": "red"}, "colour"),
    ]
    for url, body, param in cases:
        r = requests.post(url, json=body, headers=server.headers)
        assert r.status_code == 400, (body, r.text)
        assert r.json()["error"]["param"] == param, (body, r.json())
    assert requests.get(f"{base}/files", params={"filter": "done"}, headers=server.headers).json()["error"]["param"] == "filter"
    with pytest.raises(InvalidInputError):
        client.vector_stores.search(vs.id, query="x", filters={"type": "eq"})


def test_upload_and_poll_helper_and_frames(client, tmp_path, capsys):
    vs = client.vector_stores.create(name="helper")
    paths = []
    for name in ("venus.md", "mercury.md"):
        path = tmp_path / name
        path.write_text(f"{name[:-3].title()} is close to the sun.")
        paths.append(path)
    batch = client.vector_stores.upload_and_poll(vs.id, paths, attributes={"set": "inner"})
    assert batch.status == "completed" and batch.file_counts.completed == 2
    assert "processing" in capsys.readouterr().err
    results = frames.search_results(client.vector_stores.search(vs.id, query="Venus"))
    assert list(results.columns[:5]) == ["rank", "score", "file_id", "filename", "text"]
    assert results.loc[0, "filename"] == "venus.md" and results.loc[0, "attributes.set"] == "inner"
    stores = frames.vector_stores(client.vector_stores.list(limit=5))
    assert {"id", "name", "status", "usage_bytes", "file_counts.completed"} <= set(stores.columns)
    files = frames.vector_store_files(client.vector_stores.files.list(vs.id))
    assert list(files["status"]) == ["completed", "completed"] and "attributes.set" in files.columns
    assert frames.search_results({"data": []}).empty


def test_processing_records_embedding_and_storage_usage(server, client):
    def total(kind, column="count(*)"):
        return server.store.one(f"SELECT coalesce({column}, 0) FROM usage_records WHERE kind = ?", (kind,))[0]

    before, stored_before = total("embeddings"), total("vector_stores", "sum(quantity)")
    f = upload(client, "usage.md", "Pluto is a dwarf planet.")
    vs = client.vector_stores.create(file_ids=[f.id])
    done = wait_for(client, vs.id)
    client.vector_stores.search(vs.id, query="Pluto")
    assert total("embeddings") == before + 2  # processing the file, then the query
    assert total("vector_stores", "sum(quantity)") - stored_before == done.usage_bytes > 0


def test_official_openai_package(server, contract):
    openai = pytest.importorskip("openai")
    oc = openai.OpenAI(base_url=server.base_url, api_key=server.api_key, max_retries=0)
    files = [oc.files.create(file=(name, text.encode()), purpose="assistants") for name, text in DOCS.items()]
    vs = oc.vector_stores.create(name="sdk", metadata={"via": "openai"})
    contract.validate_body("POST", "/vector_stores", vs.model_dump(exclude_unset=True))
    batch = oc.vector_stores.file_batches.create_and_poll(vector_store_id=vs.id, file_ids=[f.id for f in files],
                                                          attributes={"src": "sdk"}, poll_interval_ms=50)
    assert batch.status == "completed" and batch.file_counts.completed == 4
    contract.validate_body("GET", f"/vector_stores/{vs.id}/file_batches/{batch.id}",
                           batch.model_dump(exclude_unset=True))
    listed = oc.vector_stores.file_batches.list_files(batch_id=batch.id, vector_store_id=vs.id)
    assert len(listed.data) == 4
    results = oc.vector_stores.search(vs.id, query="largest planet", max_num_results=3,
                                      filters={"type": "eq", "key": "src", "value": "sdk"})
    hits = list(results)
    assert hits[0].filename == "jupiter.md" and hits[0].attributes == {"src": "sdk"}
    vsf = oc.vector_stores.files.update(file_id=files[0].id, vector_store_id=vs.id, attributes={"n": 1})
    assert vsf.attributes == {"n": 1}
    content = oc.vector_stores.files.content(file_id=files[0].id, vector_store_id=vs.id)
    assert "Jupiter" in list(content)[0].text
    assert oc.vector_stores.files.delete(file_id=files[1].id, vector_store_id=vs.id).deleted
    assert oc.vector_stores.update(vs.id, name="renamed").name == "renamed"
    assert oc.vector_stores.retrieve(vs.id).file_counts.total == 3
    assert vs.id in [v.id for v in oc.vector_stores.list()]
    assert oc.vector_stores.delete(vs.id).deleted
    with pytest.raises(openai.NotFoundError):
        oc.vector_stores.files.create(vector_store_id=vs.id, file_id=files[0].id)
