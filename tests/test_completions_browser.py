"""The CompletionsBrowser and MetadataEditor panels, driven through their traits and methods.

The panels talk to a real local server (in-memory database, ephemeral port) over HTTP; the `client`
fixture here validates every exchange against the shared OpenAPI file, like the suite's own.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest

from jupyter_api_kit.client import Client
from jupyter_api_kit.widgets import CompletionsBrowser, MetadataEditor

SEEDED = 23  # more than two pages of 10, so paging reaches a short last page
BATCH = uuid.uuid4().hex[:8]


def question(i: int) -> str:
    return f"Question {i}: tell me about the planets and the moon."


def small_model(i: int) -> bool:
    return i % 4 == 0


def topic(i: int) -> str:
    return "demo" if i % 3 == 0 else "other"


@pytest.fixture(scope="module")
def bserver():
    """A local server of this module's own, so the counts below are exact."""
    from jupyter_api_kit.local import start_local_server

    handle = start_local_server(db=":memory:")
    yield handle
    handle.stop()


@pytest.fixture(scope="module")
def seeded(bserver):
    """Ids of SEEDED stored completions, oldest first, all tagged `batch=BATCH`."""
    with Client(base_url=bserver.base_url, api_key=bserver.api_key, max_retries=0) as c:
        ids = []
        for i in range(SEEDED):
            completion = c.chat.completions.create(
                model="local-ngram-small" if small_model(i) else "local-ngram",
                messages=[{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": question(i)}],
                store=True, seed=i, max_completion_tokens=8,
                metadata={"batch": BATCH, "topic": topic(i), "n": str(i)})
            ids.append(completion.id)
    return ids


@pytest.fixture()
def client(bserver, recorder):
    c = Client(base_url=bserver.base_url, api_key=bserver.api_key, max_retries=0)
    c.transport.session.hooks["response"].append(recorder)
    yield c
    c.close()


@pytest.fixture()
def requests_seen(client):
    """(method, path, query) of every request the client sends from now on."""
    seen = []

    def hook(response, *args, **kwargs):
        url = urlsplit(response.request.url)
        seen.append((response.request.method, url.path, parse_qs(url.query)))

    client.transport.session.hooks["response"].append(hook)
    return seen


def store_one(client, content="Tell me about the moon.", **metadata):
    return client.chat.completions.create(model="local-ngram", messages=[{"role": "user", "content": content}],
                                          store=True, max_completion_tokens=8, seed=1, metadata=metadata or None)


# -- paging ---------------------------------------------------------------------------------------------
def test_pages_forward_and_back_one_page_per_request(client, seeded, requests_seen):
    browser = CompletionsBrowser(client=client, page_size=10, metadata={"batch": BATCH})
    newest_first = seeded[::-1]
    assert browser.page_ids == newest_first[:10] and browser.page_number == 1 and browser.has_more
    assert browser.next_page() and browser.page_ids == newest_first[10:20] and browser.page_number == 2
    assert browser.next_page() and browser.page_ids == newest_first[20:] and not browser.has_more
    assert browser.next_page() is False and browser.status == "This is the last page."
    assert browser.prev_page() and browser.page_ids == newest_first[10:20]
    assert browser.prev_page() and browser.page_ids == newest_first[:10] and browser.page_number == 1
    assert browser.prev_page() is False and browser.status == "This is the first page."
    # One list request per page shown, each asking for one page only.
    lists = [q for method, path, q in requests_seen if method == "GET" and path.endswith("/chat/completions")]
    assert len(lists) == 5
    assert all(q["limit"] == ["10"] and q["order"] == ["desc"] for q in lists)


def test_page_buttons_follow_the_position(client, seeded):
    browser = CompletionsBrowser(client=client, page_size=10, metadata={"batch": BATCH})
    assert browser._prev_button.disabled and not browser._next_button.disabled
    browser._next_button.click()
    browser._next_button.click()
    assert browser.page_number == 3 and browser._next_button.disabled and not browser._prev_button.disabled


def test_list_rows_show_id_model_question_and_metadata(client, seeded):
    browser = CompletionsBrowser(client=client, page_size=5, metadata={"batch": BATCH})
    label, value = browser._list.options[0]
    newest = SEEDED - 1
    assert value == seeded[-1] and label.startswith(seeded[-1])
    assert f"Question {newest}:" in label and f"n={newest}" in label
    assert ("local-ngram-small" in label) == small_model(newest)


# -- filters --------------------------------------------------------------------------------------------
def test_model_filter(client, seeded):
    browser = CompletionsBrowser(client=client, model="local-ngram-small", metadata={"batch": BATCH})
    expected = [cid for i, cid in enumerate(seeded) if small_model(i)][::-1]
    assert browser.page_ids == expected
    assert "model=local-ngram-small" in browser.status
    assert browser.apply_filters(model="no-such-model", metadata={"batch": BATCH})
    assert browser.page_ids == [] and browser.status.startswith("Page 1: 0 stored completion(s)")


def test_metadata_filter_as_text_and_from_the_widget(client, seeded):
    browser = CompletionsBrowser(client=client, page_size=20)
    assert browser.apply_filters(metadata=f"batch={BATCH}, topic=demo")
    expected = [cid for i, cid in enumerate(seeded) if topic(i) == "demo"][::-1]
    assert browser.page_ids == expected and browser.metadata_filter == {"batch": BATCH, "topic": "demo"}
    # Typing in the filter box (committed with Enter) applies it.
    browser._meta_text.value = f"batch={BATCH}, n=7"
    assert browser.page_ids == [seeded[7]]


def test_malformed_metadata_filter_is_one_line_and_sends_nothing(client, seeded, requests_seen):
    browser = CompletionsBrowser(client=client, metadata={"batch": BATCH})
    before, sent = list(browser.page_ids), len(requests_seen)
    assert browser.apply_filters(metadata="topic") is False
    assert browser.status.startswith("InvalidInputError: metadata filter 'topic' is not key=value")
    assert browser.page_ids == before and len(requests_seen) == sent


# -- reading one completion -----------------------------------------------------------------------------
def test_select_shows_messages_answer_and_metadata(client, seeded):
    browser = CompletionsBrowser(client=client, metadata={"batch": BATCH})
    target = seeded[-2]
    answer = client.chat.completions.retrieve(target).choices[0].message.content
    assert browser.select(target)
    assert browser.selected_id == target and browser._list.value == target
    shown = browser._messages.value
    assert "Answer briefly." in shown and f"Question {SEEDED - 2}:" in shown
    assert answer.split()[0] in shown
    assert browser.editor.metadata == {"batch": BATCH, "topic": topic(SEEDED - 2), "n": str(SEEDED - 2)}
    assert not browser.editor.dirty


def test_picking_a_row_in_the_list_selects_it(client, seeded):
    browser = CompletionsBrowser(client=client, metadata={"batch": BATCH})
    browser._list.value = browser.page_ids[3]
    assert browser.selected_id == browser.page_ids[3]
    assert browser.editor.original["batch"] == BATCH


# -- inline limits in the editor -----------------------------------------------------------------------
def test_editor_reports_limits_as_you_type():
    editor = MetadataEditor(metadata={"topic": "demo"})
    key_box, value_box = editor._rows[0].key, editor._rows[0].value
    assert key_box.continuous_update and value_box.continuous_update
    key_box.value = "k" * 65  # what a keystroke in the browser does
    assert "is 65 characters; keys are at most 64" in editor.problem
    assert editor._message.value and editor._save.disabled and editor.save() is False
    key_box.value = "k" * 64
    assert editor.problem == "" and not editor._save.disabled
    value_box.value = "v" * 513
    assert "is 513 characters; values are at most 512" in editor.problem and editor._save.disabled
    value_box.value = "v" * 512
    assert editor.problem == "" and editor._message.value == ""


def test_editor_pair_count_empty_and_repeated_keys():
    editor = MetadataEditor(metadata={f"k{i}": "v" for i in range(16)})
    assert editor.problem == "" and not editor.dirty
    editor.add_pair("k16", "v")
    assert editor.problem == "metadata has 17 pairs; at most 16 are allowed" and editor._save.disabled
    editor.remove_pair(0)
    assert editor.problem == "" and editor.dirty and not editor._save.disabled
    editor.remove_pair(0)
    editor.add_pair()  # a fresh row has an empty key until one is typed
    assert editor.problem.endswith("the key is empty; type a key or remove the pair")
    editor.set_pair(15, "k2", "again")
    assert editor.problem == "pair 16: key 'k2' is already used in pair 1"
    editor.set_pair(15, "new", "")  # an empty value is allowed
    assert editor.problem == ""


def test_editor_buttons_and_traits():
    editor = MetadataEditor(metadata={"a": "1"})
    assert editor._save.disabled and editor._revert.disabled  # nothing to save or revert yet
    editor._add.click()
    assert editor.pairs == [["a", "1"], ["", ""]] and len(editor._rows_box.children) == 2
    editor._rows[1].remove.click()
    assert editor.pairs == [["a", "1"]] and not editor.dirty
    editor.metadata = {"b": "2"}  # setting the trait replaces the rows
    assert editor.pairs == [["b", "2"]] and editor._rows[0].key.value == "b" and editor.dirty
    editor._save.click()
    assert editor.original == {"b": "2"} and not editor.dirty


# -- saving, reverting, errors --------------------------------------------------------------------------
def test_save_sends_the_update_and_shows_what_the_server_stored(client, requests_seen):
    tag = uuid.uuid4().hex[:8]
    completion = store_one(client, tag=tag, topic="demo")
    browser = CompletionsBrowser(client=client, metadata={"tag": tag})
    assert browser.select(completion.id)
    editor = browser.editor
    editor.set_pair(1, "topic", "space")
    editor.add_pair("reviewed", "yes")
    assert editor.dirty and editor.problem == ""
    editor._save.click()
    stored = client.chat.completions.retrieve(completion.id).metadata
    assert stored == {"tag": tag, "topic": "space", "reviewed": "yes"}
    assert editor.original == stored and not editor.dirty and editor._save.disabled
    assert browser.status.startswith(f"Saved metadata of {completion.id} (request req_")
    assert "topic=space" in browser._stored.value and "topic=space" in browser._list.options[0][0]
    updates = [m for m, path, _ in requests_seen if m == "POST" and path.endswith(completion.id)]
    assert len(updates) == 1


def test_invalid_edits_are_never_sent(client, requests_seen):
    completion = store_one(client, topic="demo")
    browser = CompletionsBrowser(client=client, page_size=1)
    assert browser.select(completion.id)
    browser.editor.add_pair("x" * 65, "1")
    sent = len(requests_seen)
    assert browser.editor.save() is False and len(requests_seen) == sent
    assert client.chat.completions.retrieve(completion.id).metadata == {"topic": "demo"}


def test_revert_discards_edits(client):
    completion = store_one(client, topic="demo")
    browser = CompletionsBrowser(client=client, page_size=1)
    assert browser.select(completion.id)
    browser.editor.set_pair(0, "topic", "changed")
    browser.editor.add_pair("extra", "1")
    browser.editor._revert.click()
    assert browser.editor.metadata == {"topic": "demo"} and not browser.editor.dirty
    assert browser.editor._rows[0].value.value == "demo" and len(browser.editor._rows) == 1
    assert client.chat.completions.retrieve(completion.id).metadata == {"topic": "demo"}


def test_completion_deleted_behind_the_panels_back(client):
    tag = uuid.uuid4().hex[:8]
    kept = store_one(client, tag=tag, n="1")
    doomed = store_one(client, tag=tag, n="2")
    browser = CompletionsBrowser(client=client, page_size=1, metadata={"tag": tag})
    assert browser.select(doomed.id)
    browser.editor.set_pair(1, "n", "3")
    client.chat.completions.delete(doomed.id)

    assert browser.editor.save() is False  # no exception escapes
    assert browser.status.startswith("NotFoundError: No chat completion found")
    assert "request req_" in browser.status and "\n" not in browser.status
    assert browser.editor.dirty and browser.editor.metadata["n"] == "3"  # the edits are kept
    assert "color" in browser._status_label.value

    assert browser.select(doomed.id) is False and browser.status.startswith("NotFoundError")
    # The page's cursor was the deleted id: the server refuses it, the panel says so and keeps its page.
    assert browser.next_page() is False and browser.status.startswith("BadRequestError")
    assert browser.page_ids == [doomed.id]
    assert browser.apply_filters(metadata={"tag": tag}) and browser.page_ids == [kept.id]


def test_unreachable_server_is_a_status_line():
    dead = Client(base_url="http://127.0.0.1:9/v1", max_retries=0, timeout=2)
    browser = CompletionsBrowser(client=dead)
    assert browser.page_ids == [] and browser.status.startswith("APIConnectionError")


# -- defaults and imports -------------------------------------------------------------------------------
def test_default_client_is_the_shared_local_server(bserver, monkeypatch):
    monkeypatch.setenv("JUPYTER_API_KIT_LOCAL_URL", bserver.base_url)
    monkeypatch.setenv("JUPYTER_API_KIT_LOCAL_KEY", bserver.api_key)
    browser = CompletionsBrowser()
    assert browser.client.base_url == bserver.base_url and browser.status.startswith("Page 1:")


def test_importing_the_package_does_not_load_ipywidgets():
    code = ("import sys, jupyter_api_kit.widgets as w; assert 'ipywidgets' not in sys.modules; "
            "w.MetadataEditor; assert 'ipywidgets' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
