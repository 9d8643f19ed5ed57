"""Where the description comes from (tests/contract_source.py): the download of the pinned file from a
real HTTP server on this machine, the hash check that refuses any other file, the cache that makes it a
one-time download, and what a run without any copy does."""

from __future__ import annotations

import functools
import hashlib
import socket
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests import contract_source
from tests.contract_source import (
    PINNED_SHA256,
    SPEC_ENV_VAR,
    URL_ENV_VAR,
    SpecRefused,
    SpecUnavailable,
    UncheckedRecorder,
    cached_copy,
    download,
    find_spec,
    sha256_of,
    skip_reason,
)


@pytest.fixture(scope="module")
def real_copy():
    """The pinned description as found on this machine (without downloading), to serve."""
    try:
        path = find_spec()
    except SpecUnavailable as exc:
        pytest.skip(skip_reason(exc))
    if sha256_of(path) != PINNED_SHA256:
        pytest.skip(f"{path} is not the pinned description")
    return path


@pytest.fixture()
def site(real_copy, tmp_path):
    """A real HTTP server on 127.0.0.1 serving /pinned/openapi.yaml (the real file) and
    /wrong/openapi.yaml (the same file with one line added); `site.requests` lists the paths asked for."""
    root = tmp_path / "site"
    (root / "pinned").mkdir(parents=True)
    (root / "wrong").mkdir()
    data = real_copy.read_bytes()
    (root / "pinned" / "openapi.yaml").write_bytes(data)
    (root / "wrong" / "openapi.yaml").write_bytes(data + b"\n# edited\n")
    requests: list[str] = []

    class Handler(SimpleHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            super().do_GET()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    server.requests, server.root = requests, root
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture()
def nothing_beside(monkeypatch, tmp_path):
    """As in a fresh clone with nothing beside it: no env setting, no shared/ above, an empty cache."""
    monkeypatch.delenv(SPEC_ENV_VAR, raising=False)
    monkeypatch.setattr(contract_source, "REPO", tmp_path / "clone")
    monkeypatch.setenv("JUPYTER_API_KIT_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/pinned"


def test_the_pinned_file_is_downloaded_once_checked_and_cached(site, nothing_beside, monkeypatch):
    monkeypatch.setenv(URL_ENV_VAR, site.url + "/pinned")
    path = find_spec()
    assert path == cached_copy() and nothing_beside in path.parents
    assert sha256_of(path) == PINNED_SHA256
    assert site.requests == ["/pinned/openapi.yaml"]
    assert find_spec() == path and site.requests == ["/pinned/openapi.yaml"], "the cached copy is used next time"
    assert [p.name for p in path.parent.iterdir()] == ["openapi.yaml"], "no partial file is left behind"


def test_a_file_with_another_hash_is_refused_in_one_line_naming_both(site, nothing_beside, monkeypatch):
    monkeypatch.setenv(URL_ENV_VAR, site.url + "/wrong")
    wrong = hashlib.sha256((site.root / "wrong" / "openapi.yaml").read_bytes()).hexdigest()
    with pytest.raises(SpecRefused) as caught:
        find_spec()
    message = str(caught.value)
    assert "\n" not in message and wrong in message and PINNED_SHA256 in message and SPEC_ENV_VAR in message
    assert not cached_copy().exists() and list(cached_copy().parent.iterdir()) == [], "nothing refused is kept"


def test_a_cached_copy_with_another_hash_is_never_read_and_a_good_download_replaces_it(
        site, nothing_beside, monkeypatch):
    cached_copy().parent.mkdir(parents=True, exist_ok=True)
    cached_copy().write_text("openapi: 3.1.0\n")
    monkeypatch.setenv(URL_ENV_VAR, site.url + "/wrong")
    with pytest.raises(SpecRefused, match="refused the cached .*refused the file downloaded"):
        find_spec()
    monkeypatch.setenv(URL_ENV_VAR, site.url + "/pinned")
    assert find_spec() == cached_copy() and sha256_of(cached_copy()) == PINNED_SHA256


def test_a_missing_file_on_the_server_is_reported(site, tmp_path):
    with pytest.raises(SpecUnavailable, match="HTTP 404"):
        download(site.url + "/nowhere/openapi.yaml", tmp_path / "cache" / "openapi.yaml")
    assert list((tmp_path / "cache").iterdir()) == []


def test_unreachable_download_names_the_url_and_the_setting_and_is_tried_once(nothing_beside, monkeypatch):
    url = closed_port_url()
    monkeypatch.setenv(URL_ENV_VAR, url)
    with pytest.raises(SpecUnavailable) as first:
        find_spec()
    message = str(first.value)
    assert not isinstance(first.value, SpecRefused)
    assert url + "/openapi.yaml" in message and SPEC_ENV_VAR in message and "\n" not in message
    # The same machine is offline for the rest of the run: the second call answers from memory.
    assert (url + "/openapi.yaml", cached_copy()) in contract_source._failed_downloads
    with pytest.raises(SpecUnavailable):
        find_spec()


def test_the_unchecked_recorder_lets_exchanges_through_and_skips_questions_only_the_description_answers():
    rec = UncheckedRecorder("offline")
    assert rec(object()) is None
    rec.assert_clean()
    for question in (lambda: rec.operation_ids, lambda: rec.operations, lambda: list(rec), lambda: rec.violations):
        with pytest.raises(pytest.skip.Exception, match="offline"):
            question()


def test_an_unusable_cache_directory_means_unavailable_not_a_crash(nothing_beside, monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("JUPYTER_API_KIT_CACHE_DIR", str(blocker / "cache"))
    with pytest.raises(SpecUnavailable, match=SPEC_ENV_VAR):
        find_spec()
    with pytest.raises(SpecUnavailable, match="cannot keep a download"):
        download(closed_port_url() + "/openapi.yaml", blocker / "cache" / "openapi.yaml")
