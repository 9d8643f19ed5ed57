"""The logprobs view of a long answer against the table it replaces, measured in the same run.

The input is a synthetic, deterministic chat completion with 4,000 generated tokens and 5
`top_logprobs` alternatives each, shaped like the API's ChatCompletionTokenLogprob list (some
tokens outside their alternatives, some multi-byte). The subject renders it with
`frames.logprobs_view(answer).html`; the baseline is what `%%chat --logprobs` showed before, the
token table as HTML: `frames.logprobs(answer).to_html()`. Both time and size are reported: the
size as bytes of HTML per token, since a notebook carries every output it shows.

Run ``python -m benchmarks logprobs_view`` for the table.
"""

from __future__ import annotations

import gc
import time

import numpy as np

from jupyter_api_kit import frames

N_TOKENS = 4_000
N_ALTERNATIVES = 5


def make_answer(n_tokens: int = N_TOKENS, n_alternatives: int = N_ALTERNATIVES, seed: int = 0) -> dict:
    """A chat completion whose one choice carries `n_tokens` logprob entries with `n_alternatives` each."""
    rng = np.random.default_rng(seed)
    words = [f" w{i}" if i % 7 else f" é{i}" for i in range(2_000)] + ["\n", " <b>", " &"]
    ids = rng.integers(0, len(words), size=(n_tokens, n_alternatives))
    alt_logprobs = -np.sort(rng.exponential(1.5, size=(n_tokens, n_alternatives)), axis=1)
    picks = rng.choice([0, 1, 2, -1], size=n_tokens, p=[0.8, 0.1, 0.07, 0.03])
    content = []
    for row, lps, pick in zip(ids.tolist(), alt_logprobs.tolist(), picks.tolist()):
        tops = [{"token": words[w], "logprob": lp, "bytes": list(words[w].encode())} for w, lp in zip(row, lps)]
        chosen = dict(tops[pick]) if pick >= 0 else {"token": " unseen", "logprob": lps[-1] - 1.0,
                                                     "bytes": list(b" unseen")}
        content.append({**chosen, "top_logprobs": tops})
    message = {"role": "assistant", "content": "".join(c["token"] for c in content), "refusal": None}
    return {"id": "chatcmpl-bench", "object": "chat.completion", "created": 1_700_000_000, "model": "bench",
            "choices": [{"index": 0, "message": message, "finish_reason": "length",
                         "logprobs": {"content": content, "refusal": None}}]}


def view_html(answer) -> str:
    return frames.logprobs_view(answer).html


def table_html(answer) -> str:
    return frames.logprobs(answer).to_html()


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


def run(repeat: int = 5) -> list[dict]:
    """One row: the view against the table, with bytes per token of each."""
    answer = make_answer()
    baseline_s = _best_of(table_html, answer, repeat)
    subject_s = _best_of(view_html, answer, repeat)
    view_bytes, table_bytes = len(view_html(answer).encode()), len(table_html(answer).encode())
    return [{"benchmark": f"logprobs view {N_TOKENS // 1000}k tokens x {N_ALTERNATIVES} alts",
             "subject_s": subject_s, "baseline_s": baseline_s, "ratio": baseline_s / subject_s,
             "baseline": "frames.logprobs(answer).to_html()",
             "note": f"best of {repeat}, gc paused; HTML bytes per token: view {view_bytes / N_TOKENS:.0f}, "
                     f"table {table_bytes / N_TOKENS:.0f} (view/table {view_bytes / table_bytes:.2f})",
             "view_bytes_per_token": view_bytes / N_TOKENS, "table_bytes_per_token": table_bytes / N_TOKENS}]


if __name__ == "__main__":
    for row in run():
        print(f"{row['benchmark']}: {row['subject_s'] * 1e3:.1f} ms vs {row['baseline_s'] * 1e3:.1f} ms "
              f"({row['ratio']:.2f}x); {row['note']}")
