"""`%%chat`'s notebook front in a real IPython shell against the real local server: the logprobs view,
provenance in each output's display metadata, replay, the cost meter and budget, `%chat history`,
`Client(cache=...)` and `%unload_ext`.

Each test works in a data directory of its own, so its replay file starts empty; what was sent is read
from the HTTP exchanges themselves (a response hook on the shared connection's session).
"""

from __future__ import annotations

import json
import stat
import uuid

import pandas as pd
import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from jupyter_api_kit.client import Client
from tests.test_magics import Notebook, _forget_settings, _load

@pytest.fixture()
def front(server, recorder, monkeypatch, tmp_path):
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", server.api_key)  # the server's key: it must not show anywhere
    monkeypatch.setenv("JUPYTER_API_KIT_DATA_DIR", str(tmp_path))
    shell = InteractiveShell.instance()
    _forget_settings(shell)
    _load(shell)
    notebook = Notebook(shell)

    def remember(response, *args, **kwargs):
        request = response.request
        notebook.sent.append((request.method, request.url.split("?")[0],
                              json.loads(request.body) if request.body else None))

    notebook.chat.connection.client.transport.session.hooks["response"].extend([recorder, remember])
    yield notebook
    _forget_settings(shell)


def provenance_of(run) -> list[dict]:
    return [p["metadata"]["jupyter_api_kit"] for p in run.published if "jupyter_api_kit" in (p["metadata"] or {})]


def footer_of(run) -> str:
    return [p["data"]["text/plain"] for p in run.published if "prompt +" in p["data"].get("text/plain", "")][-1]


def fresh() -> str:
    return uuid.uuid4().hex[:8]


# --- the logprobs view ---------------------------------------------------------------------------------

def test_logprobs_show_the_view_with_hover_alternatives(front):
    run = front.run("%%chat --logprobs --top-logprobs 4 --max-tokens 12 --seed 3 -o answer\nWhy is the sky blue?\n")
    assert run.error is None, run.stdout
    final = [p for p in run.published if p["update"]][-1]
    html = final["data"]["text/html"]
    answer = front.shell.user_ns["answer"]
    tokens = html.count("<span title=") - html.count("flex:1")  # the entropy strip's cells have titles too
    assert tokens == len(answer.choices[0].logprobs.content)
    assert "jak-logprobs" in html and "entropy" in html and "<style" not in html
    assert "▌" not in html and provenance_of(run)  # the final rendering, with its provenance


def test_responses_answers_get_the_view_too(front):
    run = front.run("%%chat --api responses --logprobs --top-logprobs 2 --max-tokens 16\nWhat is a moon?\n")
    assert run.error is None
    assert any("jak-logprobs" in p["data"].get("text/html", "") for p in run.published)
    assert provenance_of(run)[0]["api"] == "responses"


def test_several_choices_with_logprobs_side_by_side(front):
    run = front.run("%%chat -n 2 --logprobs --top-logprobs 2 --max-tokens 6 --seed 4\nName a colour.\n")
    assert run.error is None
    assert "grid-template-columns:repeat(2" in [p for p in run.published if p["update"]][-1]["data"]["text/html"]


# --- provenance ----------------------------------------------------------------------------------------

def test_each_output_says_where_it_came_from_and_never_the_key(front, server):
    run = front.run("%%chat -m local-ngram -t 0.4 --seed 9 --max-tokens 8 --store --metadata topic=prov -o r\n"
                    "Tell me about comets.\n")
    assert run.error is None, run.stdout
    r = front.shell.user_ns["r"]
    (p,) = provenance_of(run)
    assert p["model_requested"] == "local-ngram" and p["model"] == r.model
    assert p["parameters"] == {"temperature": 0.4, "max_completion_tokens": 8, "store": True}
    assert p["seed"] == 9 and p["metadata"] == {"topic": "prov"}
    assert p["system_fingerprint"] == r.system_fingerprint and p["id"] == r.id
    assert p["request_id"] == r.request_id and p["request_id"].startswith("req_")
    assert p["usage"]["completion_tokens"] == r.usage.completion_tokens
    assert p["cost_usd"] > 0 and p["latency_s"] > 0 and p["first_token_s"] <= p["latency_s"]
    assert p["server"] == {"kind": "other", "base_url": front.chat.connection.client.base_url}
    assert p["replayed"] is False and p["cell"] == front.shell.execution_count
    assert server.api_key not in json.dumps(run.published, default=str)


# --- replay ----------------------------------------------------------------------------------------------

def test_replay_answers_an_identical_request_from_the_cache(front, tmp_path, server):
    front.run('%config ChatMagics.cache = "replay"')
    cell = f"%%chat --new --seed 5 --max-tokens 10 -o r\nWhat is a nebula? {fresh()}\n"
    first = front.run(cell)
    live = front.shell.user_ns["r"]
    posts = len(front.posts())
    again = front.run(cell)
    replayed = front.shell.user_ns["r"]
    assert first.error is None and again.error is None
    assert len(front.posts()) == posts  # nothing was sent
    assert (replayed.id, replayed.choices[0].message.content) == (live.id, live.choices[0].message.content)
    assert replayed.replayed and not getattr(live, "replayed", False)
    before, after = provenance_of(first)[0], provenance_of(again)[0]
    assert after["replayed"] is True and {k: v for k, v in after.items() if k not in ("replayed", "cell")} == {
        k: v for k, v in before.items() if k not in ("replayed", "cell")}
    assert "replayed" in footer_of(again) and "replayed" not in footer_of(first)
    # the answer shown is the same text
    assert first.data("text/markdown")[-1] == again.data("text/markdown")[-1]
    # the file: owner-only, and no key in it
    db = tmp_path / "replay.db"
    assert stat.S_IMODE(db.stat().st_mode) == 0o600 and server.api_key.encode() not in db.read_bytes()


def test_a_different_request_is_not_replayed_and_record_refreshes(front):
    front.run('%config ChatMagics.cache = "replay"')
    tag = fresh()
    front.run(f"%%chat --new --seed 5 --max-tokens 6\nHello {tag}\n")
    sent = len(front.posts())
    front.run(f"%%chat --new --seed 6 --max-tokens 6\nHello {tag}\n")  # another seed: another request
    assert len(front.posts()) == sent + 1
    front.run(f"%%chat --new --seed 6 --max-tokens 6 --cache record -o rec\nHello {tag}\n")
    assert len(front.posts()) == sent + 2  # record always asks...
    front.run(f"%%chat --new --seed 6 --max-tokens 6 -o again\nHello {tag}\n")
    assert len(front.posts()) == sent + 2 and front.shell.user_ns["again"].id == front.shell.user_ns["rec"].id
    front.run(f"%%chat --new --seed 6 --max-tokens 6 --cache off\nHello {tag}\n")  # ...and off never replays
    assert len(front.posts()) == sent + 3


def test_replay_of_the_responses_api(front):
    front.run('%config ChatMagics.cache = "replay"')
    cell = f"%%chat --api responses --new --max-tokens 16 -o r\nWhat is a star? {fresh()}\n"
    front.run(cell)
    first_id, sent = front.shell.user_ns["r"].id, len(front.posts("/responses"))
    again = front.run(cell)
    assert len(front.posts("/responses")) == sent and front.shell.user_ns["r"].id == first_id
    assert provenance_of(again)[0]["replayed"] is True


def test_cache_setting_refuses_unknown_modes(front, caplog):
    front.run('%config ChatMagics.cache = "always"')
    assert front.chat.cache == "off" and "ChatMagics.cache must be one of off, replay, record" in caplog.text
    assert isinstance(front.run("%%chat --cache sometimes\nHi\n").error, UsageError)


def test_client_cache_for_code(server, tmp_path):
    from jupyter_api_kit.client.replay import ReplayCache

    body = {"model": "local-ngram", "seed": 2, "max_completion_tokens": 6,
            "messages": [{"role": "user", "content": f"Name a planet {fresh()}"}]}
    sent = []
    with Client(base_url=server.base_url, api_key=server.api_key, max_retries=0, cache=ReplayCache(tmp_path / "r.db")) as client:
        client.transport.session.hooks["response"].append(lambda r, *a, **k: sent.append(r.request.url))
        first = client.chat.completions.create(**body)
        second = client.chat.completions.create(**body)
        assert len(sent) == 1 and second.id == first.id and second.replayed and second.request_id == first.request_id
        with client.chat.completions.create(**body, stream=True) as stream:  # streams are always live
            list(stream)
        assert len(sent) == 2
        client.cache = "off"
        client.chat.completions.create(**body)
        assert len(sent) == 3
    with pytest.raises(ValueError, match="cache must be one of off, replay, record"):
        Client(base_url=server.base_url, api_key=server.api_key, cache="sometimes")


# --- the meter, the budget and the history ------------------------------------------------------------------

def test_footer_meters_the_notebook_and_the_budget_refuses_in_one_line(front):
    first = front.run("%%chat --new --max-tokens 5 --seed 1\nHi\n")
    spent = front.chat.connection.history.spent_usd()
    assert spent > 0 and "notebook: " in footer_of(first) and "spent" in footer_of(first)
    front.run(f"%config ChatMagics.budget_usd = {spent}")
    sent = len(front.posts())
    refused = front.run("%%chat --max-tokens 5\nAgain\n")
    assert isinstance(refused.error, UsageError) and "budget reached" in str(refused.error)
    assert "\n" not in str(refused.error) and len(front.posts()) == sent  # nothing was sent
    front.run("%config ChatMagics.budget_usd = None")
    assert front.run("%%chat --max-tokens 5\nAgain\n").error is None


def test_replays_are_free_and_allowed_past_the_budget(front):
    front.run('%config ChatMagics.cache = "replay"')
    cell = f"%%chat --new --max-tokens 5 --seed 2\nHello {fresh()}\n"
    front.run(cell)
    front.run("%config ChatMagics.budget_usd = 0")
    spent = front.chat.connection.history.spent_usd()
    assert front.run(cell).error is None and front.chat.connection.history.spent_usd() == spent
    assert isinstance(front.run(f"%%chat --new --max-tokens 5\nNew {fresh()}\n").error, UsageError)


def test_history_lists_this_kernels_calls_with_tokens_latency_and_cost(front):
    front.run("%%chat --new --max-tokens 5 --seed 1\nOne\n")
    front.run("%%chat --api responses --max-tokens 16\nTwo\n")
    run = front.run("%chat history --plot -o calls")
    assert run.error is None
    frame = run.result
    assert isinstance(frame, pd.DataFrame) and frame is not None and front.shell.user_ns["calls"] is frame
    assert list(frame["api"][-2:]) == ["chat.completions", "responses"]
    assert {"time", "model", "total_tokens", "latency_s", "cost_usd", "cell"} <= set(frame.columns)
    assert (frame["total_tokens"] > 0).all() and (frame["cost_usd"] > 0).all()
    shown = frame.to_string()
    assert "$0.0" in shown and "e-05" not in shown and "e-06" not in shown  # money as money
    assert run.data("image/png") and "notebook:" in run.stdout
    assert isinstance(front.run("%chat hello").error, UsageError)


def test_unload_removes_every_magic_and_load_brings_them_back(front):
    manager = front.shell.magics_manager
    names = {"line": ("chat", "completions", "threads", "assistants", "usage"), "cell": ("chat", "threads")}
    assert all(n in manager.magics[k] for k, ns in names.items() for n in ns)
    front.shell.extension_manager.load_extension("jupyter_api_kit")  # as %load_ext did (or had done)
    assert front.run("%unload_ext jupyter_api_kit").error is None
    assert not any(n in manager.magics[k] for k, ns in names.items() for n in ns)
    assert not [c for c in front.shell.configurables if type(c).__name__.endswith("Magics")
                and type(c).__module__.startswith("jupyter_api_kit")]
    _load(front.shell)
    assert all(n in manager.magics[k] for k, ns in names.items() for n in ns)


def test_prices_come_from_the_shared_table_and_can_be_overridden(front, tmp_path, monkeypatch):
    from jupyter_api_kit.magics.history import cost_usd
    from jupyter_api_kit.spec.prices import OPENAI_PRICES_DATE

    usage = {"prompt_tokens": 1_000_000, "completion_tokens": 1_000_000,
             "prompt_tokens_details": {"cached_tokens": 400_000}}
    assert cost_usd("gpt-4o-mini-2024-07-18", usage, local=False) == pytest.approx(0.6 * 0.15 + 0.4 * 0.075 + 0.6)
    assert cost_usd("unknown-model", usage, local=False) is None and OPENAI_PRICES_DATE
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"local-ngram": {"input": 1000.0, "cached input": 1000.0, "output": 1000.0}}))
    monkeypatch.setenv("JUPYTER_API_KIT_PRICES", str(prices))
    front.run("%%chat --new --max-tokens 4 --seed 1 -o r\nHi\n")
    r = front.shell.user_ns["r"]
    assert r.provenance["cost_usd"] == pytest.approx(r.usage.total_tokens * 1000 / 1e6)


def test_answers_recorded_by_code_replay_in_cells_with_their_provenance(front, server):
    front.run('%config ChatMagics.cache = "replay"')
    text = f"Name a moon {fresh()}"
    with Client(base_url=server.base_url, api_key=server.api_key, max_retries=0, cache="replay") as client:
        recorded = client.chat.completions.create(model="local-ngram", seed=1, max_completion_tokens=5,
                                                  messages=[{"role": "user", "content": text}])
    sent = len(front.posts())
    run = front.run(f"%%chat --new --seed 1 --max-tokens 5 -o r\n{text}\n")
    assert run.error is None and len(front.posts()) == sent and front.shell.user_ns["r"].id == recorded.id
    (p,) = provenance_of(run)
    assert p["replayed"] is True and p["request_id"] == recorded.request_id and p["cost_usd"] > 0
    assert p["seed"] == 1 and p["time"].startswith("20") and p["latency_s"] is None
