"""The magics in a real IPython shell, against a real local server over HTTP.

Every exchange the magics make is validated against the OpenAPI contract (the `recorder` fixture),
and every assertion about stored state reads it back through a separate client.
"""

from __future__ import annotations

import contextlib
import io
import json
import uuid
from dataclasses import dataclass, field

import pytest
from IPython.core.displaypub import CapturingDisplayPublisher
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from jupyter_api_kit.magics import load_ipython_extension
from jupyter_api_kit.magics.common import APIErrorLine
from tests.contract_source import recorder_for


@dataclass
class Run:
    """What one cell did: its error, the display messages it published, and its printed text."""

    error: BaseException | None
    published: list
    stdout: str
    stderr: str
    result: object = None

    def data(self, mime: str) -> list[str]:
        return [p["data"][mime] for p in self.published if mime in p["data"]]


@dataclass
class Notebook:
    shell: InteractiveShell
    sent: list = field(default_factory=list)  # JSON bodies and URLs of every request the magics sent

    @property
    def chat(self):
        return self.shell.magics_manager.registry["ChatMagics"]

    def run(self, cell: str) -> Run:
        shell = self.shell
        saved, shell.display_pub = shell.display_pub, CapturingDisplayPublisher()
        out, err = io.StringIO(), io.StringIO()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                result = shell.run_cell(cell, store_history=False)
            published = list(shell.display_pub.outputs)
        finally:
            shell.display_pub = saved
        return Run(result.error_in_exec or result.error_before_exec, published, out.getvalue(), err.getvalue(),
                   result.result)

    def posts(self, path: str = "/chat/completions") -> list[dict]:
        return [body for method, url, body in self.sent if method == "POST" and url.endswith(path)]


def _load(shell) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        load_ipython_extension(shell)
    return out.getvalue()


@pytest.fixture()
def recorder(contract_or_none):
    """The contract check for these tests (it overrides the shared one, so the `client` fixture uses it
    too). A completion's messages list is left out: the OpenAPI file types its items as assistant
    messages only, while the API lists the request's messages of every role."""
    rec = recorder_for(contract_or_none, ignore=[r"/chat/completions/[^/]+/messages"])
    yield rec
    rec.assert_clean()


@pytest.fixture()
def nb(server, recorder, monkeypatch):
    """A shell with the extension freshly loaded and pointed at the test server by OPENAI_BASE_URL."""
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", server.api_key)
    shell = InteractiveShell.instance()
    _forget_settings(shell)
    _load(shell)
    notebook = Notebook(shell)

    def remember(response, *args, **kwargs):
        request = response.request
        body = json.loads(request.body) if request.body else None
        notebook.sent.append((request.method, request.url.split("?")[0], body))

    hooks = notebook.chat.connection.client.transport.session.hooks["response"]
    hooks.extend([recorder, remember])
    yield notebook
    _forget_settings(shell)


def _forget_settings(shell) -> None:
    # `%config` keeps values in the shell's config, which outlives a test in the one shared shell.
    for name in ("ChatMagics", "CompletionsMagics"):
        shell.config.pop(name, None)


def tag() -> str:
    """A metadata value no other test uses, so list filters see only this test's completions."""
    return uuid.uuid4().hex[:12]


# --- loading -------------------------------------------------------------------------------------

def test_load_without_key_uses_the_embedded_server_and_says_so_in_one_line(server, monkeypatch):
    monkeypatch.setenv("JUPYTER_API_KIT_LOCAL_URL", server.base_url)  # shared, so no second server starts
    monkeypatch.setenv("JUPYTER_API_KIT_LOCAL_KEY", server.api_key)
    text = _load(InteractiveShell.instance())
    assert text.count("\n") == 1
    assert "embedded local server" in text and "OPENAI_API_KEY" in text and "OPENAI_BASE_URL" in text


def test_load_with_a_key_never_prints_it(server, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", server.api_key)
    text = _load(InteractiveShell.instance())
    assert text.count("\n") == 1 and server.base_url in text
    assert server.api_key not in text and server.api_key[-6:] not in text


def test_config_lists_the_settings_and_reload_keeps_one_instance(nb):
    nb.run('%config ChatMagics.model = "kept-across-reload"')
    _load(nb.shell)  # as %reload_ext would
    assert nb.chat.model == "kept-across-reload"
    listing = nb.run("%config ChatMagics").stdout
    for name in ("model", "system", "temperature", "top_p", "max_tokens", "stream", "store", "base_url"):
        assert f"ChatMagics.{name}=" in listing
    assert sum(type(c).__name__ == "ChatMagics" for c in nb.shell.configurables) == 1


# --- %%chat ----------------------------------------------------------------------------------------

def test_answer_streams_into_one_display_then_renders_as_markdown(nb, client):
    run = nb.run("%%chat --store --seed 11 -o r\nTell me about the planets.\n")
    assert run.error is None, run.stdout + run.stderr
    first, answer_updates = run.published[0], [p for p in run.published if p["update"]]
    display_id = first["transient"]["display_id"]
    assert not first["update"] and len(answer_updates) >= 2  # the first words, then the final rendering
    assert all(p["transient"]["display_id"] == display_id for p in answer_updates)
    final = answer_updates[-1]["data"]["text/markdown"]
    assert final and "▌" not in final and "▌" in answer_updates[0]["data"]["text/markdown"]
    stored = client.chat.completions.retrieve(nb.shell.user_ns["r"].id)
    assert stored.choices[0].message.content == final
    assert any("stored as " + stored.id in text for text in run.data("text/plain"))  # the footer


def test_result_of_a_stream_is_the_complete_completion_and_matches_a_plain_request(nb):
    run = nb.run("%%chat --seed 7 --max-tokens 6 -o streamed\nHello there\n")
    assert run.error is None
    streamed = nb.shell.user_ns["streamed"]
    assert streamed.object == "chat.completion" and streamed.id.startswith("chatcmpl-")
    tokens, finish = streamed.usage.completion_tokens, streamed.choices[0].finish_reason
    assert 0 < tokens <= 6 and finish == ("length" if tokens == 6 else "stop") and streamed.request_id
    assert nb.posts()[-1]["stream_options"] == {"include_usage": True}

    nb.run("%config ChatMagics.stream = False")
    assert nb.run("%%chat --new --seed 7 --max-tokens 6 -o plain\nHello there\n").error is None
    plain = nb.shell.user_ns["plain"]
    assert "stream" not in nb.posts()[-1]
    assert plain.choices[0].message.content == streamed.choices[0].message.content
    assert (plain.usage.completion_tokens, plain.choices[0].finish_reason) == (tokens, finish)


def test_conversation_continues_across_cells_until_new(nb, client):
    nb.run('%%chat -s "You answer briefly." --max-tokens 5\nWhat is a planet?\n')
    nb.run("%%chat --max-tokens 5 --store -o second\nAnd a moon?\n")
    roles = [m.role for m in client.chat.completions.messages.list(nb.shell.user_ns["second"].id)]
    assert roles == ["system", "user", "assistant", "user"]
    first_answer = nb.chat.messages[2]["content"]
    assert nb.posts()[-1]["messages"][2] == {"role": "assistant", "content": first_answer}

    nb.run("%%chat --new --max-tokens 5 --store -o fresh\nStart again.\n")
    messages = list(client.chat.completions.messages.list(nb.shell.user_ns["fresh"].id))
    assert [(m.role, m.content) for m in messages] == [("user", "Start again.")]


def test_system_prompt_from_config_starts_each_new_conversation(nb):
    nb.run('%config ChatMagics.system = "Be kind."')
    nb.run("%%chat --max-tokens 3\nHi\n")
    nb.run('%%chat --max-tokens 3 -s "Be brief."\nAgain\n')  # -s later replaces the conversation's prompt
    messages = nb.posts()[-1]["messages"]
    assert messages[0] == {"role": "system", "content": "Be brief."}
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]


def test_cell_interpolates_notebook_variables(nb, client):
    nb.shell.user_ns.update(topic="volcanoes", facts={"n": 3})
    run = nb.run("%%chat --store --max-tokens 3 -o r\nTell {facts[n]} facts about {topic} {{not a var}} {\"json\": 1}\n")
    assert run.error is None
    sent = nb.posts()[-1]["messages"][-1]["content"]
    assert sent == 'Tell 3 facts about volcanoes {not a var} {"json": 1}'
    stored = list(client.chat.completions.messages.list(nb.shell.user_ns["r"].id))
    assert stored[-1].content == sent


def test_unknown_variable_is_a_usage_error_naming_it_and_nothing_is_sent(nb):
    run = nb.run("%%chat\nTell me about {nowhere_defined}\n")
    assert isinstance(run.error, UsageError) and "nowhere_defined" in str(run.error)
    assert "Traceback" not in run.stdout + run.stderr and nb.posts() == []


def test_logprobs_show_a_token_table_and_the_result_holds_them(nb):
    from jupyter_api_kit import frames

    run = nb.run("%%chat --logprobs --top-logprobs 3 --max-tokens 8 -o answer\nWhy is the sky blue?\n")
    assert run.error is None
    answer = nb.shell.user_ns["answer"]
    content = answer.choices[0].logprobs.content
    assert 0 < len(content) == answer.usage.completion_tokens <= 8  # the model may stop before the limit
    assert all(len(entry.top_logprobs) == 3 for entry in content)
    assert "".join(e.token for e in content) == answer.choices[0].message.content
    table = frames.logprobs(answer)
    assert len(table) == len(content) and table["prob"].between(0, 1).all()
    html_tables = [h for h in run.data("text/html") if "logprob" in h and "entropy" in h]
    assert len(html_tables) == 1


def test_top_logprobs_alone_implies_logprobs(nb):
    assert nb.run("%%chat --top-logprobs 2 --max-tokens 2\nHi\n").error is None
    assert nb.posts()[-1]["logprobs"] is True and nb.posts()[-1]["top_logprobs"] == 2


def test_several_choices_show_side_by_side(nb):
    run = nb.run("%%chat -n 2 --seed 3 --max-tokens 6 -o r\nName a colour.\n")
    assert run.error is None
    r = nb.shell.user_ns["r"]
    assert [c.index for c in r.choices] == [0, 1]
    final = [p for p in run.published if p["update"]][-1]["data"]["text/html"]
    assert "grid-template-columns: repeat(2" in final
    assert ">choice 0</div>" in final and ">choice 1</div>" in final and ">choice 2</div>" not in final
    # choice 0 continues the conversation
    assert nb.chat.messages[-1] == {"role": "assistant", "content": r.choices[0].message.content}


def test_options_reach_the_request(nb):
    nb.run("%%chat -m local-ngram -t 0.5 --top-p 0.9 --max-tokens 4 --seed 1 --stop . --stop ! --no-store\nHi\n")
    body = nb.posts()[-1]
    assert body["model"] == "local-ngram" and body["temperature"] == 0.5 and body["top_p"] == 0.9
    assert body["max_completion_tokens"] == 4 and body["seed"] == 1 and body["stop"] == [".", "!"]
    assert "store" not in body


def test_config_model_and_temperature_are_used(nb):
    nb.run('%config ChatMagics.model = "local-ngram-configured"')
    nb.run("%config ChatMagics.temperature = 0.3")
    assert nb.run("%config ChatMagics.model").result == "local-ngram-configured"
    assert "Current: 'local-ngram-configured'" in nb.run("%config ChatMagics").stdout
    nb.run("%%chat --max-tokens 2\nHi\n")
    assert nb.posts()[-1]["model"] == "local-ngram-configured" and nb.posts()[-1]["temperature"] == 0.3


def test_config_refuses_out_of_range_values_in_one_line(nb, caplog):
    nb.run("%config ChatMagics.temperature = 5")  # %config logs a refused value as one error line
    assert nb.chat.temperature is None
    assert "ChatMagics.temperature must be between 0 and 2, got 5" in caplog.text
    nb.run("%config ChatMagics.top_p = 1.5")
    assert nb.chat.top_p is None and "ChatMagics.top_p must be between 0 and 1" in caplog.text
    # IPython keeps a refused value in the shell's config; loading again drops it instead of failing
    assert "ignoring the setting ChatMagics.temperature" in _load(nb.shell)
    assert nb.chat.temperature is None


@pytest.mark.parametrize("cell, fragment", [
    ("%%chat --bogus\nHi", "unrecognized arguments: --bogus"),
    ("%%chat -t warm\nHi", "invalid float value"),
    ("%%chat -t 3\nHi", "--temperature must be between 0 and 2"),
    ("%%chat --top-p 1.5\nHi", "--top-p must be between 0 and 1"),
    ("%%chat -n 0\nHi", "-n must be between 1 and 128"),
    ("%%chat --top-logprobs 21\nHi", "--top-logprobs must be between 0 and 20"),
    ("%%chat --max-tokens 0\nHi", "--max-tokens must be at least 1"),
    ("%%chat -o 1x\nHi", "-o expects a Python variable name"),
    ("%%chat --metadata novalue\nHi", "--metadata expects KEY=VALUE"),
    ("%%chat\n   \n", "the cell is empty"),
])
def test_user_mistakes_are_one_line_usage_errors_and_nothing_is_sent(nb, cell, fragment):
    run = nb.run(cell)
    assert isinstance(run.error, UsageError) and fragment in str(run.error)
    assert "Traceback" not in run.stdout + run.stderr and nb.posts() == []


@pytest.mark.parametrize("pairs, fragment", [
    (" ".join(f"--metadata k{i}=v" for i in range(16)), "17 pairs; at most 16"),
    ("--metadata " + "k" * 65 + "=v", "65 characters; keys are at most 64"),
    ("--metadata long=" + "v" * 513, "metadata value for key 'long' is 513 characters; values are at most 512"),
])
def test_bad_metadata_is_a_usage_error_and_nothing_is_stored(nb, client, pairs, fragment):
    marker = tag()
    run = nb.run(f"%%chat --store --metadata run={marker} {pairs}\nHi\n")
    assert isinstance(run.error, UsageError) and fragment in str(run.error)
    assert nb.posts() == [] and len(client.chat.completions.list(metadata={"run": marker})) == 0


def test_api_error_is_one_line_with_the_request_id_and_no_key(nb, monkeypatch):
    from jupyter_api_kit.local import start_local_server

    locked = start_local_server(db=":memory:", api_key="server-side-key")
    try:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong-key-do-not-show")
        nb.run(f'%config ChatMagics.base_url = "{locked.base_url}"')
        run = nb.run("%%chat\nHi\n")
    finally:
        locked.stop()
    assert isinstance(run.error, APIErrorLine)
    shown = (run.stdout + run.stderr).strip()
    assert shown.startswith("AuthenticationError: ") and "request req_" in shown
    assert "\n" not in shown and "Traceback" not in shown and "do-not-show" not in shown and "server-side" not in shown
    assert nb.chat.messages == []  # a failed turn is not part of the conversation


# --- %completions ------------------------------------------------------------------------------------

def test_store_with_metadata_then_list_show_tag_untag(nb, client):
    marker = tag()
    assert nb.run(f"%%chat --store --metadata topic=demo --metadata run={marker} --max-tokens 4 -o r\n"
                  f"Tell me about the moon.\n").error is None
    cid = nb.shell.user_ns["r"].id

    listed = nb.run(f"%completions --metadata run={marker}").result
    assert listed["id"].tolist() == [cid] and listed.loc[0, "metadata.topic"] == "demo"
    assert {"created", "model", "answer"} <= set(listed.columns)

    view = nb.run(f"%completions show {cid}").result
    assert view.completion.id == cid
    assert view.messages.to_dict("records") == [{"role": "user", "content": "Tell me about the moon."}]
    assert cid in view._repr_html_()

    tagged = nb.run(f"%completions tag {cid} topic=space reviewed=yes").result
    assert tagged.loc[0, "metadata.reviewed"] == "yes"
    assert client.chat.completions.retrieve(cid).metadata == {"topic": "space", "run": marker, "reviewed": "yes"}

    nb.run("%completions untag last reviewed topic absent-key")
    assert client.chat.completions.retrieve(cid).metadata == {"run": marker}

    assert nb.run(f"%completions --metadata run={marker} --metadata topic=space").result.empty
    nb.run(f"%completions delete {cid}")
    assert len(client.chat.completions.list(metadata={"run": marker})) == 0


def test_list_honours_model_limit_and_order(nb):
    marker = tag()
    for i in range(3):
        nb.run(f"%%chat --new --store --metadata run={marker} --max-tokens 2\nTurn {i}\n")
    newest_first = nb.run(f"%completions --metadata run={marker}").result
    oldest_first = nb.run(f"%completions --metadata run={marker} --order asc --limit 2").result
    assert len(newest_first) == 3 and len(oldest_first) == 2
    assert oldest_first["id"].tolist() == newest_first["id"].tolist()[::-1][:2]
    assert nb.run(f"%completions --metadata run={marker} --model other-model").result.empty


def test_tag_refuses_metadata_over_the_limits_before_sending(nb):
    nb.run("%%chat --store --max-tokens 2\nHi\n")
    updates_before = len(nb.posts(nb.chat.connection.last_completion_id))
    run = nb.run("%completions tag last " + "k" * 65 + "=v")
    assert isinstance(run.error, UsageError) and "at most 64" in str(run.error)
    assert len(nb.posts(nb.chat.connection.last_completion_id)) == updates_before == 0


@pytest.mark.parametrize("line, fragment", [
    ("%completions frobnicate", "unknown action 'frobnicate'"),
    ("%completions show", "needs a completion ID"),
    ("%completions tag chatcmpl-x", "needs KEY=VALUE pairs"),
    ("%completions tag chatcmpl-x novalue", "tag expects KEY=VALUE"),
    ("%completions untag chatcmpl-x", "needs the KEYs"),
    ("%completions show a b", "takes one ID"),
    ("%completions --limit 0", "--limit must be between 1 and 100"),
    ("%completions --order sideways", "invalid choice"),
    ("%completions show last", "no %%chat answer yet"),
])
def test_completions_mistakes_are_usage_errors(nb, line, fragment):
    run = nb.run(line)
    assert isinstance(run.error, UsageError) and fragment in str(run.error)


def test_completions_api_error_is_one_line(nb):
    run = nb.run("%completions show chatcmpl-does-not-exist")
    assert isinstance(run.error, APIErrorLine)
    assert run.stdout.strip().startswith("NotFoundError: ") and "request req_" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr
