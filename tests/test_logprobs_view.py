"""The logprobs view of real answers from the local server (chat, n > 1, Responses, legacy completions),
and of answers written here for what the server never sends (markup in tokens, no alternatives)."""

from __future__ import annotations

import math
import re
from html.parser import HTMLParser

import pandas as pd
import pytest

from jupyter_api_kit import frames
from jupyter_api_kit.frames.logprobs_view import NO_LOGPROBS, _pct, logprobs_view


class Spans(HTMLParser):
    """The `title` of every token span, the tags seen, and whether anything but inline styles is used."""

    def __init__(self):
        super().__init__()
        self.titles, self.tags, self.texts, self._in_token = [], set(), [], False

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        attrs = dict(attrs)
        self._in_token = tag == "span" and "title" in attrs and "flex" not in (attrs.get("style") or "")
        if self._in_token:
            self.titles.append(attrs["title"])
            self.texts.append("")

    def handle_endtag(self, tag):
        self._in_token = False

    def handle_data(self, data):
        if self._in_token:
            self.texts[-1] += data


def parse(html: str) -> Spans:
    spans = Spans()
    spans.feed(html)
    return spans


def test_chat_answer_shows_every_token_with_its_alternatives(client):
    answer = client.chat.completions.create(model="local-ngram", seed=3, max_completion_tokens=24, logprobs=True,
                                            top_logprobs=4,
                                            messages=[{"role": "user", "content": "Why is the sky blue?"}])
    view = logprobs_view(answer)
    spans = parse(view.html)
    content = answer.choices[0].logprobs.content
    assert view.tokens == len(content) == len(spans.titles) > 0
    assert "".join(spans.texts) == answer.choices[0].message.content  # the tokens spell the answer
    table = frames.top_logprobs(answer)
    for position, title in enumerate(spans.titles):
        alternatives = table[table["position"] == position]
        lines = title.split("\n")
        assert len(lines) == len(alternatives)  # the chosen token is among them with this seed
        for line, (_, alt) in zip(lines, alternatives.iterrows()):
            assert line.startswith(f"'{alt.token}' {_pct(alt.prob)}")
        assert sum(line.endswith("\u2190") for line in lines) == 1  # the chosen one is marked
    # inline styles only: no stylesheet, no script, no classes the view depends on
    assert not spans.tags & {"style", "script", "link"} and "<style" not in view.html
    assert "entropy" in view.html and "frames.logprobs(answer)" in view.html


def test_shading_follows_the_probability(client):
    answer = client.chat.completions.create(model="local-ngram", seed=5, temperature=1.5, max_completion_tokens=40,
                                            logprobs=True, top_logprobs=3,
                                            messages=[{"role": "user", "content": "Tell me about the moon"}])
    probs = [math.exp(e.logprob) for e in answer.choices[0].logprobs.content]
    spans = re.findall(r'<span title="[^"]*"( style="background:(#[0-9a-f]{6})")?>', logprobs_view(answer).html)
    assert len(spans) == len(probs)
    for p, (styled, _colour) in zip(probs, spans):
        assert bool(styled) == (p < 0.9)  # only the tokens the model was less sure of are shaded


def test_several_choices_side_by_side(client):
    answer = client.chat.completions.create(model="local-ngram", n=3, seed=3, max_completion_tokens=10,
                                            logprobs=True, top_logprobs=2,
                                            messages=[{"role": "user", "content": "Name a colour."}])
    view = logprobs_view(answer)
    assert view.choices == 3 and "grid-template-columns:repeat(3" in view.html
    assert [f"choice {i} &middot;" in view.html for i in range(3)] == [True] * 3
    assert view.tokens == sum(len(c.logprobs.content) for c in answer.choices)


def test_responses_answer(client):
    response = client.responses.create(model="local-ngram", input="What is a planet?", max_output_tokens=20,
                                       include=["message.output_text.logprobs"], top_logprobs=3)
    view = logprobs_view(response)
    assert view.tokens == len(response.output[0].content[0].logprobs) > 0
    assert "".join(parse(view.html).texts) == response.output_text
    assert len(frames.logprobs(response)) == view.tokens  # the table reads Responses answers too


def test_legacy_completion(client):
    completion = client.completions.create(model="local-ngram", prompt="The sky", max_tokens=8, logprobs=2, seed=1)
    view = logprobs_view(completion)
    spans = parse(view.html)
    assert view.tokens == len(completion.choices[0].logprobs.tokens)
    assert "".join(spans.texts) == completion.choices[0].text
    assert all(1 <= len(t.split("\n")) <= 3 for t in spans.titles)  # two alternatives, maybe the chosen apart


def test_answers_without_logprobs_get_one_line(client):
    plain = client.chat.completions.create(model="local-ngram", max_completion_tokens=4,
                                           messages=[{"role": "user", "content": "Hi"}])
    response = client.responses.create(model="local-ngram", input="Hi", max_output_tokens=16)
    for answer in (plain, response):
        view = logprobs_view(answer)
        assert view.tokens == 0 and repr(view) == NO_LOGPROBS and "\n" not in NO_LOGPROBS
        assert NO_LOGPROBS.split(":")[0] in view.html


def test_markup_and_line_breaks_in_tokens_are_text():
    def entry(token, lp, alts=()):
        return {"token": token, "logprob": lp, "bytes": None,
                "top_logprobs": [{"token": t, "logprob": a, "bytes": None} for t, a in alts]}

    answer = {"choices": [{"index": 0, "logprobs": {"content": [
        entry("<script>", -0.1, [("<script>", -0.1), ('"quoted"', -2.5)]),
        entry("\n", -0.7, [("\n", -0.7), ("&amp;", -1.0)]),
        entry("tail", -4.0, [("other", -0.1)])]}}]}
    view = logprobs_view(answer)
    spans = parse(view.html)
    assert "<script>" not in view.html and spans.texts == ["<script>", "\n", "tail"]
    assert spans.titles[0] == "'<script>' 90.5% \u2190\n'\"quoted\"' 8.2%"
    assert spans.titles[1].startswith("'\u23ce' 49.7% \u2190")  # a line break shows as a visible sign
    assert "not among the 1 alternatives" in spans.titles[2]


def test_no_alternatives_means_no_entropy_strip():
    answer = {"choices": [{"index": 0, "logprobs": {"content": [
        {"token": "Hi", "logprob": -0.2, "bytes": None, "top_logprobs": []}]}}]}
    assert "no alternatives were reported" in logprobs_view(answer).html


def test_long_answers_stay_light():
    from benchmarks.bench_logprobs_view import make_answer

    answer = make_answer(4000, 5)
    view = logprobs_view(answer)
    table_html = frames.logprobs(answer).to_html()
    assert view.tokens == 4000
    assert len(view.html.encode()) < len(table_html.encode())  # lighter than the table it replaces
    assert view.html.count("flex:1") <= 240  # the strip is bounded, whatever the length


def test_costs_and_thread_messages_read_well():
    costs = frames.costs({"object": "page", "data": [{"object": "bucket", "start_time": 0, "end_time": 86400,
                                                      "results": [{"object": "organization.costs.result",
                                                                   "amount": {"value": 2.4e-05, "currency": "usd"},
                                                                   "line_item": "local-ngram, input"}]}]})
    assert "$0.000024" in repr(costs) and "e-05" not in repr(costs) and "$0.000024" in costs._repr_html_()
    assert costs["amount"].dtype == "float64" and costs["amount"].sum() == pytest.approx(2.4e-05)
    text = [{"type": "text", "text": {"value": "a long text"}}]
    messages = frames.thread_messages([{"id": "msg_" + "x" * 24, "thread_id": "thread_" + "y" * 24, "role": "user",
                                        "created_at": 1, "content": text}])
    assert list(messages.columns[:2]) == ["role", "text"] and list(messages.columns[-4:]) == [
        "id", "thread_id", "run_id", "assistant_id"]
    assert "min-width:24em" in messages._repr_html_() and isinstance(messages, pd.DataFrame)
