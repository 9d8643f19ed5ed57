"""jupyter_api_kit.frames: API JSON -> tidy DataFrames, checked against hand-built responses."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from jupyter_api_kit import frames

CREATED = 1_700_000_000
CREATED_TS = pd.Timestamp("2023-11-14 22:13:20", tz="UTC")


class AttrDict(dict):
    """Stands in for the client's results: a dict subclass with attribute access."""

    __getattr__ = dict.__getitem__


class Page:
    """Stands in for a page object: records in `.data`."""

    def __init__(self, data):
        self.data = data


class Model:
    """Stands in for SDK objects that only offer to_dict()."""

    def __init__(self, payload):
        self._payload = payload

    def to_dict(self):
        return self._payload


def is_text(series: pd.Series) -> bool:
    # The dtype this pandas gives text by default (str on pandas 3, object before).
    return series.dtype == pd.Series(["x"]).dtype


def is_utc(series: pd.Series) -> bool:
    return isinstance(series.dtype, pd.DatetimeTZDtype) and str(series.dt.tz) == "UTC"


def alt(token, logprob, with_bytes=True):
    return {"token": token, "logprob": logprob,
            "bytes": list(token.encode()) if with_bytes else None}


def entry(token, logprob, tops):
    return {**alt(token, logprob), "top_logprobs": tops}


def chat(*choice_list, **extra):
    return {"id": "chatcmpl-1", "object": "chat.completion", "created": CREATED,
            "model": "gpt-test", "choices": list(choice_list), **extra}


def chat_choice(index, content=None, *, logprobs=None, **message):
    return {"index": index, "finish_reason": message.pop("finish_reason", "stop"),
            "message": {"role": "assistant", "content": content, "refusal": None, **message},
            "logprobs": logprobs}


# --- choices ---------------------------------------------------------------------------

CHOICE_COLUMNS = ["id", "model", "created", "index", "role", "content",
                  "finish_reason", "refusal", "tool_calls"]


def test_choices_chat_columns_dtypes_and_values():
    calls = [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}},
             {"id": "c2", "type": "function", "function": {"name": "g", "arguments": "{}"}}]
    resp = chat(chat_choice(0, "Hello"),
                chat_choice(1, None, tool_calls=calls, finish_reason="tool_calls"),
                chat_choice(2, None, refusal="I can't help with that."))
    df = frames.choices(resp)
    assert list(df.columns) == CHOICE_COLUMNS
    assert is_utc(df["created"]) and (df["created"] == CREATED_TS).all()
    assert df["index"].tolist() == [0, 1, 2]
    assert df["tool_calls"].dtype == np.int64 and df["tool_calls"].tolist() == [0, 2, 0]
    for name in ["id", "model", "role", "content", "finish_reason", "refusal"]:
        assert is_text(df[name]), name
    assert df["content"].iloc[0] == "Hello" and df["content"].iloc[1:].isna().all()
    assert df["finish_reason"].tolist() == ["stop", "tool_calls", "stop"]
    assert df["refusal"].iloc[2] == "I can't help with that."
    assert df["refusal"].iloc[:2].isna().all()
    assert set(df["id"]) == {"chatcmpl-1"} and set(df["model"]) == {"gpt-test"}


def test_choices_counts_deprecated_function_call_and_reads_attr_dicts():
    choice = chat_choice(0, None, function_call={"name": "f", "arguments": "{}"},
                         finish_reason="function_call")
    df = frames.choices(AttrDict(chat(AttrDict(choice))))
    assert df["tool_calls"].tolist() == [1]


def test_choices_legacy_completion():
    resp = {"id": "cmpl-1", "object": "text_completion", "created": CREATED, "model": "davinci",
            "choices": [{"index": 0, "text": "Once upon", "finish_reason": "length",
                         "logprobs": None},
                        {"index": 1, "text": " a time", "finish_reason": "stop",
                         "logprobs": None}]}
    df = frames.choices(resp)
    assert list(df.columns) == CHOICE_COLUMNS
    assert df["content"].tolist() == ["Once upon", " a time"]
    assert df["role"].isna().all() and df["refusal"].isna().all()
    assert df["tool_calls"].tolist() == [0, 0]
    assert is_utc(df["created"])


def test_choices_assembles_stream_chunks():
    def chunk(index, delta, finish=None):
        return {"id": "chatcmpl-s", "object": "chat.completion.chunk", "created": CREATED,
                "model": "m", "choices": [{"index": index, "delta": delta,
                                           "finish_reason": finish, "logprobs": None}]}

    fragment = {"index": 0, "id": "call_1", "type": "function",
                "function": {"name": "f", "arguments": ""}}
    chunks = [chunk(0, {"role": "assistant", "content": ""}),
              chunk(1, {"role": "assistant", "tool_calls": [fragment]}),
              chunk(0, {"content": "Hel"}),
              chunk(1, {"tool_calls": [{"index": 0, "function": {"arguments": "{}"}}]}),
              chunk(0, {"content": "lo"}),
              chunk(0, {}, "stop"), chunk(1, {}, "tool_calls"),
              {"id": "chatcmpl-s", "object": "chat.completion.chunk", "created": CREATED,
               "model": "m", "choices": [], "usage": {"total_tokens": 9}}]
    df = frames.choices(chunks)
    assert df["index"].tolist() == [0, 1]
    assert df["content"].iloc[0] == "Hello" and pd.isna(df["content"].iloc[1])
    assert df["role"].tolist() == ["assistant", "assistant"]
    assert df["finish_reason"].tolist() == ["stop", "tool_calls"]
    assert df["tool_calls"].tolist() == [0, 1]


def test_choices_list_of_responses_and_empty():
    two = frames.choices([chat(chat_choice(0, "a")), {**chat(chat_choice(0, "b")), "id": "x"}])
    assert two["id"].tolist() == ["chatcmpl-1", "x"] and two["content"].tolist() == ["a", "b"]
    empty = frames.choices(chat())
    assert list(empty.columns) == CHOICE_COLUMNS and len(empty) == 0
    assert is_utc(empty["created"])


# --- logprobs / top_logprobs -----------------------------------------------------------

LOGPROB_COLUMNS = ["choice", "position", "token", "logprob", "prob", "bytes", "rank",
                   "entropy", "alternatives"]
TOP_COLUMNS = ["choice", "position", "rank", "token", "logprob", "prob", "bytes", "chosen"]


def renormalised_entropy(logprobs):
    p = np.exp(np.asarray(logprobs))
    p = p / p.sum()
    return float(-(p[p > 0] * np.log(p[p > 0])).sum())


def hand_built():
    content = [
        entry("The", -0.1, [alt("The", -0.1), alt("A", -2.5), alt("This", -4.0)]),
        entry(" cat", -1.2, [alt(" dog", -0.6), alt(" cat", -1.2)]),       # rank 1
        entry(" sat", -7.0, [alt(" ran", -0.2), alt(" sat", -9999.0)]),    # tokens equal: rank 1
        entry("!", -3.0, [alt(".", -0.1), alt(",", -2.0)]),                # not among: NA
        entry("\n", -0.01, []),                                            # none given: NA
    ]
    content[4]["bytes"] = None
    return chat(chat_choice(0, "The cat sat!\n", logprobs={"content": content, "refusal": None}),
                chat_choice(1, "x", logprobs=None),  # logprobs not given for this choice
                chat_choice(2, "", logprobs={"content": [], "refusal": None}))


def test_logprobs_columns_and_dtypes():
    df = frames.logprobs(hand_built())
    assert list(df.columns) == LOGPROB_COLUMNS
    assert df["choice"].dtype == np.int64 and df["position"].dtype == np.int64
    assert df["logprob"].dtype == np.float64 and df["prob"].dtype == np.float64
    assert df["entropy"].dtype == np.float64 and df["alternatives"].dtype == np.int64
    assert df["rank"].dtype == "Int64" and df["bytes"].dtype == object
    assert is_text(df["token"])


def test_logprobs_values_against_hand_built_response():
    df = frames.logprobs(hand_built())
    assert df["choice"].tolist() == [0] * 5  # null logprobs and empty content add nothing
    assert df["position"].tolist() == [0, 1, 2, 3, 4]
    assert df["token"].tolist() == ["The", " cat", " sat", "!", "\n"]
    assert df["logprob"].tolist() == [-0.1, -1.2, -7.0, -3.0, -0.01]
    np.testing.assert_allclose(df["prob"], np.exp(df["logprob"]))
    assert df["bytes"].iloc[0] == [84, 104, 101] and df["bytes"].iloc[4] is None
    assert df["rank"].tolist() == [0, 1, 1, pd.NA, pd.NA]
    assert df["alternatives"].tolist() == [3, 2, 2, 2, 0]
    expected = [renormalised_entropy([-0.1, -2.5, -4.0]), renormalised_entropy([-0.6, -1.2]),
                0.0, renormalised_entropy([-0.1, -2.0])]
    np.testing.assert_allclose(df["entropy"].iloc[:4], expected, atol=1e-12)
    assert math.isnan(df["entropy"].iloc[4])


def test_top_logprobs_long_form():
    top = frames.top_logprobs(hand_built())
    assert list(top.columns) == TOP_COLUMNS
    assert top["chosen"].dtype == bool and top["rank"].dtype == np.int64
    assert len(top) == 3 + 2 + 2 + 2
    assert top["position"].tolist() == [0, 0, 0, 1, 1, 2, 2, 3, 3]
    assert top["rank"].tolist() == [0, 1, 2, 0, 1, 0, 1, 0, 1]
    assert top["token"].tolist()[:5] == ["The", "A", "This", " dog", " cat"]
    assert top["chosen"].tolist() == [True, False, False, False, True, False, True, False, False]
    assert top["prob"].iloc[6] == 0.0  # the -9999 "very unlikely" marker
    assert top["bytes"].iloc[3] == list(b" dog")


def test_refusal_logprobs_only_when_asked():
    lp = {"content": None, "refusal": [entry("I", -0.2, [alt("I", -0.2)]),
                                       entry(" can't", -0.3, [alt(" can't", -0.3)])]}
    resp = chat(chat_choice(0, None, logprobs=lp))
    assert len(frames.logprobs(resp)) == 0 and len(frames.top_logprobs(resp)) == 0
    df = frames.logprobs(resp, refusal=True)
    assert df["part"].tolist() == ["refusal", "refusal"] and df["position"].tolist() == [0, 1]
    top = frames.top_logprobs(resp, refusal=True)
    assert top["part"].tolist() == ["refusal", "refusal"] and top["chosen"].all()


def test_empty_and_null_inputs_keep_the_columns():
    for resp in [chat(), chat(chat_choice(0, "x")), chat(chat_choice(0, "", logprobs={
            "content": [], "refusal": None}))]:
        df, top = frames.logprobs(resp), frames.top_logprobs(resp)
        assert list(df.columns) == LOGPROB_COLUMNS and len(df) == 0
        assert list(top.columns) == TOP_COLUMNS and len(top) == 0
        assert df["rank"].dtype == "Int64" and top["chosen"].dtype == bool


def legacy_response():
    return {"id": "cmpl-1", "object": "text_completion", "created": CREATED, "model": "davinci",
            "choices": [{"index": 0, "text": "Hi there", "finish_reason": "length",
                         "logprobs": {"tokens": ["Hi", " there", "!"],
                                      "token_logprobs": [None, -0.5, -3.0],
                                      # maps carry no order: the converter sorts them
                                      "top_logprobs": [None,
                                                       {" you": -1.5, " there": -0.5},
                                                       {".": -0.2, ",": -1.0}],
                                      "text_offset": [0, 2, 8]}}]}


def test_legacy_completion_logprobs():
    df = frames.logprobs(legacy_response())
    assert list(df.columns) == LOGPROB_COLUMNS + ["text_offset"]
    assert df["text_offset"].tolist() == [0, 2, 8]
    assert df["token"].tolist() == ["Hi", " there", "!"]
    assert math.isnan(df["logprob"].iloc[0]) and math.isnan(df["prob"].iloc[0])
    assert df["rank"].tolist() == [pd.NA, 0, pd.NA]
    assert df["alternatives"].tolist() == [0, 2, 2]
    assert df["bytes"].isna().all()
    np.testing.assert_allclose(df["entropy"].iloc[1], renormalised_entropy([-0.5, -1.5]))
    top = frames.top_logprobs(legacy_response())
    assert top["token"].tolist() == [" there", " you", ".", ","]
    assert top["rank"].tolist() == [0, 1, 0, 1]
    assert top["chosen"].tolist() == [True, False, False, False]


def test_stream_chunks_continue_positions():
    def chunk(tokens):
        content = [entry(t, -0.5, [alt(t, -0.5), alt("?", -1.0)]) for t in tokens]
        return {"id": "s", "object": "chat.completion.chunk", "created": CREATED, "model": "m",
                "choices": [{"index": 0, "delta": {"content": "".join(tokens)},
                             "finish_reason": None,
                             "logprobs": {"content": content, "refusal": None}}]}

    df = frames.logprobs([chunk(["a", "b"]), chunk(["c"])])
    assert df["position"].tolist() == [0, 1, 2] and df["token"].tolist() == ["a", "b", "c"]
    assert frames.logprobs(Model(chunk(["z"])))["token"].tolist() == ["z"]


def generated_response(n_tokens=300, n_alternatives=5, seed=7):
    """Random but API-shaped: alternatives most likely first; some chosen tokens absent."""
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(40)]  # small vocabulary: duplicates within a position
    content = []
    for _ in range(n_tokens):
        lps = np.sort(-rng.exponential(2.0, n_alternatives))[::-1].tolist()
        tops = [alt(words[w], lp) for w, lp in zip(rng.integers(0, 40, n_alternatives), lps)]
        pick = int(rng.integers(-1, n_alternatives))
        chosen = dict(tops[pick]) if pick >= 0 else alt("absent", lps[-1] - 1.0)
        content.append({**chosen, "top_logprobs": tops})
    return chat(chat_choice(0, "...", logprobs={"content": content, "refusal": None}))


def test_logprobs_and_top_logprobs_agree_with_each_other_and_the_baseline():
    resp = generated_response()
    df, top = frames.logprobs(resp), frames.top_logprobs(resp)
    base = pd.json_normalize(resp["choices"][0]["logprobs"]["content"],
                             record_path="top_logprobs", meta=["token", "logprob"],
                             record_prefix="top.")
    # Same alternatives, in the same order, as the baseline.
    assert top["token"].tolist() == base["top.token"].tolist()
    np.testing.assert_array_equal(top["logprob"], base["top.logprob"].astype(float))
    assert top["bytes"].tolist() == base["top.bytes"].tolist()
    # The baseline repeats each generated token beside its alternatives.
    repeated = df.loc[top["position"]]
    assert repeated["token"].tolist() == base["token"].tolist()
    np.testing.assert_array_equal(repeated["logprob"], base["logprob"].astype(float))
    # Counts, ranks and the chosen flag agree between the two frames...
    counts = top.groupby("position").size().reindex(df["position"], fill_value=0)
    assert df["alternatives"].tolist() == counts.tolist()
    assert top.groupby("position")["chosen"].sum().max() == 1
    ranks = top[top["chosen"]].set_index("position")["rank"].reindex(df["position"])
    assert df["rank"].astype("float").fillna(-1).tolist() == ranks.fillna(-1).tolist()
    # ...and with ranks derived from the baseline: first alternative equal to the token.
    base["position"] = base.index // 5  # every generated position reports 5 alternatives
    base["rank"] = base.groupby("position").cumcount()
    first = base[base["top.token"] == base["token"]].groupby("position")["rank"].first()
    pd.testing.assert_series_equal(ranks.dropna().astype(int), first, check_names=False,
                                   check_index_type=False)
    assert df["rank"].isna().any() and (df["rank"] > 0).any()  # both branches exercised
    # Entropy from the long form, via plain pandas.
    entropy = top.groupby("position")["logprob"].apply(renormalised_entropy)
    np.testing.assert_allclose(df["entropy"], entropy.to_numpy(), rtol=1e-12)


# --- usage -----------------------------------------------------------------------------

def test_usage_flattens_details_and_fills_missing_with_zero():
    r1 = chat(usage={"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15,
                     "prompt_tokens_details": {"cached_tokens": 4, "audio_tokens": 0},
                     "completion_tokens_details": {"reasoning_tokens": 2}})
    r2 = {**chat(usage={"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}),
          "id": "b"}
    r3 = {**chat(usage=None), "id": "c"}  # e.g. a stream chunk without usage
    df = frames.usage([r1, r2, r3])
    assert list(df.columns) == ["id", "model", "prompt_tokens", "completion_tokens",
                                "total_tokens", "prompt_tokens_details.cached_tokens",
                                "prompt_tokens_details.audio_tokens",
                                "completion_tokens_details.reasoning_tokens"]
    assert df["id"].tolist() == ["chatcmpl-1", "b", "c"]
    assert df["prompt_tokens_details.cached_tokens"].tolist() == [4, 0, 0]
    assert df["completion_tokens_details.reasoning_tokens"].tolist() == [2, 0, 0]
    assert df["total_tokens"].tolist() == [15, 5, 0]
    assert all(df[c].dtype == np.int64 for c in df.columns[2:])


def test_usage_single_response_list_object_and_responses_api_shape():
    one = frames.usage(chat(usage={"prompt_tokens": 1, "completion_tokens": 1,
                                   "total_tokens": 2}))
    assert len(one) == 1 and one["total_tokens"].tolist() == [2]
    listed = frames.usage({"object": "list", "data": [chat(usage={"total_tokens": 7})]})
    assert listed[["prompt_tokens", "completion_tokens", "total_tokens"]].values.tolist() == [
        [0, 0, 7]]
    responses = {"id": "resp_1", "object": "response", "model": "m",
                 "usage": {"input_tokens": 9, "input_tokens_details": {"cached_tokens": 1},
                           "output_tokens": 3, "output_tokens_details": {"reasoning_tokens": 2},
                           "total_tokens": 12}}
    df = frames.usage(responses)
    assert list(df.columns) == ["id", "model", "input_tokens", "output_tokens", "total_tokens",
                                "input_tokens_details.cached_tokens",
                                "output_tokens_details.reasoning_tokens"]
    assert df.iloc[0, 2:].tolist() == [9, 3, 12, 1, 2]


def test_usage_empty():
    df = frames.usage([])
    assert len(df) == 0
    assert list(df.columns) == ["id", "model", "prompt_tokens", "completion_tokens",
                                "total_tokens"]


# --- to_frame --------------------------------------------------------------------------

BATCHES = {"object": "list", "has_more": False, "data": [
    {"id": "batch_1", "object": "batch", "status": "completed", "created_at": CREATED,
     "completed_at": CREATED + 60, "request_counts": {"total": 10, "completed": 10},
     "errors": None, "metadata": {"team": "a", "run": "1"}},
    {"object": "batch", "id": "batch_2", "status": "failed", "created_at": CREATED,
     "completed_at": None, "request_counts": {"total": 4, "completed": 0},
     "errors": {"object": "list", "data": [{"code": "bad"}]}, "metadata": {"team": "b",
                                                                            "owner": "x"}},
    {"id": "batch_3", "object": "batch", "status": "queued", "created_at": CREATED,
     "completed_at": None, "request_counts": {"total": 1, "completed": 0}, "errors": None,
     "metadata": None},
]}


def test_to_frame_flattens_and_orders_columns():
    df = frames.to_frame(BATCHES)
    assert list(df.columns) == ["id", "object", "status", "created_at", "completed_at",
                                "request_counts.total", "request_counts.completed",
                                "metadata.team", "metadata.run", "errors.object",
                                "errors.data", "metadata.owner"]
    assert df["id"].tolist() == ["batch_1", "batch_2", "batch_3"]
    assert df["request_counts.total"].tolist() == [10, 4, 1]
    assert df["errors.data"].iloc[1] == [{"code": "bad"}] and pd.isna(df["errors.data"].iloc[0])
    assert df["metadata.team"].iloc[:2].tolist() == ["a", "b"]
    assert pd.isna(df["metadata.team"].iloc[2])
    assert df["metadata.run"].notna().tolist() == [True, False, False]
    assert df["metadata.owner"].notna().tolist() == [False, True, False]


def test_to_frame_timestamps_are_utc():
    df = frames.to_frame(BATCHES)
    assert is_utc(df["created_at"]) and is_utc(df["completed_at"])
    assert df["created_at"].iloc[0] == CREATED_TS
    assert df["completed_at"].iloc[0] == CREATED_TS + pd.Timedelta(seconds=60)
    assert df["completed_at"].iloc[1:].isna().all()
    models = frames.to_frame([{"id": "m", "object": "model", "created": CREATED,
                               "owned_by": "me", "flagged_at": True}])
    assert is_utc(models["created"]) and models["flagged_at"].dtype == bool


def test_to_frame_metadata_false_keeps_the_dict():
    df = frames.to_frame(BATCHES, metadata=False)
    assert "metadata" in df.columns and not any(c.startswith("metadata.") for c in df.columns)
    assert df["metadata"].iloc[0] == {"team": "a", "run": "1"}


def test_to_frame_accepts_pages_lists_and_sdk_objects():
    items = [AttrDict(id="a", object="file", bytes=1), {"id": "b", "object": "file"}]
    for source in (Page(items), items, Model({"object": "list", "data": items})):
        df = frames.to_frame(source)
        assert df["id"].tolist() == ["a", "b"]
        assert df["bytes"].dtype == "Int64" and df["bytes"].tolist() == [1, pd.NA]


def test_to_frame_empty():
    for source in ([], {"object": "list", "data": []}, Page([])):
        df = frames.to_frame(source)
        assert list(df.columns) == ["id"] and len(df) == 0
