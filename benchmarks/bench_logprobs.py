"""frames.logprobs / frames.top_logprobs against a pd.json_normalize baseline.

The input is a synthetic, deterministic chat completion with 100,000
generated tokens and 20 ``top_logprobs`` alternatives each (two million
alternative dicts), shaped like the API's ChatCompletionTokenLogprob list.

The baseline is the straightforward way to tabulate the same data::

    pd.json_normalize(content, record_path="top_logprobs",
                      meta=["token", "logprob"], record_prefix="top.")

which gives every alternative with its generated token and logprob beside
it. It computes neither rank nor entropy, so the measured ratio is, if
anything, generous to the baseline. Each timing is the best of a few runs
with the garbage collector paused, as ``timeit`` does.

Run ``python -m benchmarks.bench_logprobs`` to print the table.
"""

from __future__ import annotations

import gc
import time

import numpy as np
import pandas as pd

from jupyter_api_kit import frames

N_TOKENS = 100_000
N_ALTERNATIVES = 20
VOCABULARY = 4_000


def make_response(n_tokens: int = N_TOKENS, n_alternatives: int = N_ALTERNATIVES,
                  seed: int = 0) -> dict:
    """A chat completion whose single choice carries ``n_tokens`` logprob entries.

    The generated token is usually the most likely alternative, sometimes a
    lower-ranked one, and occasionally not among the alternatives at all, so
    every branch of the rank computation is exercised.
    """
    rng = np.random.default_rng(seed)
    words = [f" w{i}" if i % 7 else f" é{i}" for i in range(VOCABULARY)]  # some multi-byte
    word_bytes = [list(w.encode()) for w in words]
    ids = rng.integers(0, VOCABULARY, size=(n_tokens, n_alternatives))
    alt_logprobs = -np.sort(rng.exponential(2.0, size=(n_tokens, n_alternatives)), axis=1)
    picks = rng.choice([0, 1, 2, -1], size=n_tokens, p=[0.85, 0.08, 0.05, 0.02])
    content = []
    for row, lps, pick in zip(ids.tolist(), alt_logprobs.tolist(), picks.tolist()):
        tops = [{"token": words[w], "logprob": lp, "bytes": word_bytes[w]}
                for w, lp in zip(row, lps)]
        if pick >= 0:
            chosen = dict(tops[pick])
        else:  # a token outside the reported alternatives
            chosen = {"token": " unseen", "logprob": lps[-1] - 1.0, "bytes": list(b" unseen")}
        content.append({**chosen, "top_logprobs": tops})
    message = {"role": "assistant", "content": "".join(c["token"] for c in content),
               "refusal": None}
    return {"id": "chatcmpl-bench", "object": "chat.completion", "created": 1_700_000_000,
            "model": "bench", "choices": [{"index": 0, "message": message,
                                           "finish_reason": "length",
                                           "logprobs": {"content": content, "refusal": None}}]}


def baseline(resp: dict) -> pd.DataFrame:
    return pd.json_normalize(resp["choices"][0]["logprobs"]["content"],
                             record_path="top_logprobs", meta=["token", "logprob"],
                             record_prefix="top.")


def _best_of(fn, arg, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            fn(arg)
            best = min(best, time.perf_counter() - start)
        finally:
            gc.enable()
    return best


def run(repeat: int = 3) -> list[dict]:
    """Time both converters and the baseline; one row per converter."""
    resp = make_response()
    size = f"{N_TOKENS // 1000}k tokens x {N_ALTERNATIVES} alts"
    baseline_s = _best_of(baseline, resp, repeat)
    rows = []
    for name, fn in (("frames.logprobs", frames.logprobs),
                     ("frames.top_logprobs", frames.top_logprobs)):
        subject_s = _best_of(fn, resp, repeat)
        rows.append({"benchmark": f"{name} {size}", "subject_s": subject_s,
                     "baseline_s": baseline_s, "ratio": baseline_s / subject_s,
                     "baseline": "pd.json_normalize(content, record_path='top_logprobs', "
                                 "meta=['token', 'logprob'])",
                     "note": f"best of {repeat}, gc paused"})
    return rows


def _print_table(rows: list[dict]) -> None:
    print(f"{'benchmark':<46} {'subject_s':>10} {'baseline_s':>11} {'ratio':>8}")
    for row in rows:
        print(f"{row['benchmark']:<46} {row['subject_s']:>10.3f} "
              f"{row['baseline_s']:>11.3f} {row['ratio']:>7.1f}x")


if __name__ == "__main__":
    _print_table(run())
