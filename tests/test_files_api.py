"""Files, all five operations: the client and the official `openai` package against the local server.

The `client` fixture validates every request and response against the shared OpenAPI file.
"""

from __future__ import annotations

import hashlib
import io
import uuid

import pytest

from jupyter_api_kit.errors import BadRequestError, InvalidInputError, NotFoundError, PayloadTooLargeError


def tag() -> str:
    return uuid.uuid4().hex[:8]


def test_upload_from_bytes_path_and_file_object(client, tmp_path):
    by_bytes = client.files.create(file=b"alpha beta\n", filename="a.txt", purpose="assistants")
    path = tmp_path / "notes.md"
    path.write_text("# Notes\nplanets and moons\n")
    by_path = client.files.create(file=path, purpose="user_data")
    by_object = client.files.create(file=io.BytesIO(b"xyz"), filename="c.bin", purpose="batch")
    by_tuple = client.files.create(file=("d.jsonl", b'{"a": 1}\n'), purpose="fine-tune")

    assert by_bytes.object == "file" and by_bytes.id.startswith("file-")
    assert (by_bytes.filename, by_bytes.bytes, by_bytes.purpose) == ("a.txt", 11, "assistants")
    assert by_bytes.status == "processed" and "expires_at" not in by_bytes
    assert (by_path.filename, by_path.bytes) == ("notes.md", path.stat().st_size)
    assert by_object.bytes == 3
    # batch files expire after 30 days unless told otherwise
    assert by_object.expires_at == by_object.created_at + 30 * 24 * 3600
    assert by_tuple.filename == "d.jsonl" and by_tuple.purpose == "fine-tune"


def test_retrieve_content_and_download_to_path(client, tmp_path):
    payload = bytes(range(256)) * 40
    f = client.files.create(file=payload, filename="blob.bin", purpose="user_data")
    assert client.files.retrieve(f.id) == f
    assert client.files.content(f.id) == payload
    target = client.files.content(f.id, path=tmp_path / "copy.bin")
    assert target.read_bytes() == payload


def test_expires_after_sets_expires_at(client):
    f = client.files.create(file=b"x", filename="x.txt", purpose="user_data",
                            expires_after={"anchor": "created_at", "seconds": 3600})
    assert f.expires_at == f.created_at + 3600


def test_list_filters_by_purpose_and_pages(client):
    mark = tag()
    made = [client.files.create(file=mark.encode(), filename=f"{mark}-{i}.txt", purpose="vision") for i in range(3)]
    page = client.files.list(purpose="vision", limit=2)
    assert len(page) == 2 and page.has_more
    assert all(f.purpose == "vision" for f in page.data)
    # newest first by default; the iterator follows `after` through every page
    ids = [f.id for f in client.files.list(purpose="vision", limit=2)]
    assert ids.index(made[2].id) < ids.index(made[1].id) < ids.index(made[0].id)
    asc = [f.id for f in client.files.list(purpose="vision", order="asc")]
    assert asc.index(made[0].id) < asc.index(made[2].id)
    assert made[0].id not in [f.id for f in client.files.list(purpose="batch")]


def test_delete_removes_row_and_bytes(fresh_server, tmp_path):
    from jupyter_api_kit.client import Client

    with Client(base_url=fresh_server.base_url, api_key=fresh_server.api_key, max_retries=0) as c:
        f = c.files.create(file=b"to be deleted", filename="gone.txt", purpose="assistants")
        stored = tmp_path / "files" / f.id
        assert stored.read_bytes() == b"to be deleted"
        row = fresh_server.store.one("SELECT sha256, bytes FROM files WHERE id = ?", (f.id,))
        assert row["sha256"] == hashlib.sha256(b"to be deleted").hexdigest() and row["bytes"] == 13
        deleted = c.files.delete(f.id)
        assert deleted == {"id": f.id, "object": "file", "deleted": True}
        assert not stored.exists()
        with pytest.raises(NotFoundError):
            c.files.retrieve(f.id)
        with pytest.raises(NotFoundError):
            c.files.delete(f.id)


def test_filenames_never_escape_the_storage_directory(fresh_server, tmp_path):
    from jupyter_api_kit.client import Client

    with Client(base_url=fresh_server.base_url, api_key=fresh_server.api_key, max_retries=0) as c:
        f = c.files.create(file=b"sneaky", filename="../../../outside.txt", purpose="user_data")
        w = c.files.create(file=b"sneaky", filename="..\\..\\win.txt", purpose="user_data")
    assert f.filename == "outside.txt" and w.filename == "win.txt"
    assert not (tmp_path.parent / "outside.txt").exists()
    assert sorted(p.name for p in (tmp_path / "files").iterdir()) == sorted([f.id, w.id])


def test_size_limit_gives_413_and_keeps_nothing(fresh_server, tmp_path):
    from jupyter_api_kit.client import Client

    fresh_server.app.state.timing.max_upload_bytes = 1000
    with Client(base_url=fresh_server.base_url, api_key=fresh_server.api_key, max_retries=0) as c:
        assert c.files.create(file=b"a" * 1000, filename="ok.bin", purpose="user_data").bytes == 1000
        with pytest.raises(PayloadTooLargeError) as err:
            c.files.create(file=b"a" * 1001, filename="big.bin", purpose="user_data")
        assert err.value.param == "file" and "1000 bytes" in str(err.value)
        # far over the limit: refused from Content-Length, before the body is read
        with pytest.raises(PayloadTooLargeError):
            c.files.create(file=b"a" * 200_000, filename="huge.bin", purpose="user_data")
        assert len(c.files.list().data) == 1
    assert len(list((tmp_path / "files").iterdir())) == 1


def test_large_upload_streams_with_progress(fresh_server, tmp_path, capsys):
    from jupyter_api_kit.client import Client

    path = tmp_path / "big.txt"
    path.write_bytes(b"0123456789" * 100_000)
    with Client(base_url=fresh_server.base_url, api_key=fresh_server.api_key, max_retries=0) as c:
        f = c.files.create(file=path, purpose="user_data", progress=True)
        assert f.bytes == 1_000_000
        assert c.files.content(f.id) == path.read_bytes()
    assert "upload big.txt" in capsys.readouterr().err


def test_bad_uploads_are_clear_400s(client, server):
    import requests

    with pytest.raises(BadRequestError) as err:
        client.files.create(file=b"", filename="empty.txt", purpose="assistants")
    assert err.value.param == "file" and "empty" in str(err.value)
    with pytest.raises(InvalidInputError):
        client.files.create(file=12, purpose="assistants")
    with pytest.raises(InvalidInputError):
        client.files.create(file=b"x", purpose="assistants", expires_after={"seconds": 10})

    url = f"{server.base_url}/files"
    bad_purpose = requests.post(url, files={"file": ("a.txt", b"x")}, data={"purpose": "homework"}, headers=server.headers)
    assert bad_purpose.status_code == 400 and bad_purpose.json()["error"]["param"] == "purpose"
    assert "'fine-tune'" in bad_purpose.json()["error"]["message"]
    no_file = requests.post(url, files={"purpose": (None, "assistants")}, headers=server.headers)
    assert no_file.status_code == 400 and no_file.json()["error"]["param"] == "file"
    text_file = requests.post(url, files={"purpose": (None, "assistants"), "file": (None, "just text")}, headers=server.headers)
    assert text_file.status_code == 400 and "file part" in text_file.json()["error"]["message"]
    as_json = requests.post(url, json={"purpose": "assistants"}, headers=server.headers)
    assert as_json.status_code == 400 and "multipart" in as_json.json()["error"]["message"]
    ttl = requests.post(url, files={"file": ("a.txt", b"x")},
                        data={"purpose": "batch", "expires_after[anchor]": "created_at",
                              "expires_after[seconds]": "60"}, headers=server.headers)
    assert ttl.status_code == 400 and ttl.json()["error"]["param"] == "expires_after.seconds"
    with pytest.raises(NotFoundError):
        client.files.content("file-000000000000000000000000")
    with pytest.raises(NotFoundError):
        client.files.retrieve("../../etc/passwd")


def test_other_groups_read_uploads_by_id(server, client):
    from jupyter_api_kit.local.core.errors import NotFound
    from jupyter_api_kit.local.files.store import file_record, read_file_bytes

    f = client.files.create(file=b'{"messages": []}\n', filename="train.jsonl", purpose="fine-tune")
    assert read_file_bytes(server.app, f.id) == b'{"messages": []}\n'
    assert file_record(server.store, f.id)["filename"] == "train.jsonl"
    with pytest.raises(NotFound):
        read_file_bytes(server.app, "file-does-not-exist")


def test_official_openai_package(server, contract, tmp_path):
    openai = pytest.importorskip("openai")
    oc = openai.OpenAI(base_url=server.base_url, api_key=server.api_key, max_retries=0)
    path = tmp_path / "train.jsonl"
    path.write_bytes(b'{"prompt": "a", "completion": "b"}\n')
    with open(path, "rb") as fh:
        f = oc.files.create(file=fh, purpose="fine-tune", expires_after={"anchor": "created_at", "seconds": 7200})
    contract.validate_body("POST", "/files", f.model_dump(exclude_unset=True))
    assert f.filename == "train.jsonl" and f.expires_at == f.created_at + 7200
    assert oc.files.retrieve(f.id).bytes == path.stat().st_size
    assert oc.files.content(f.id).content == path.read_bytes()
    assert f.id in [x.id for x in oc.files.list(purpose="fine-tune")]
    assert oc.files.delete(f.id).deleted is True
    with pytest.raises(openai.NotFoundError):
        oc.files.retrieve(f.id)
