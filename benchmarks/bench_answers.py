"""Does the local model answer what it is asked? Measured against the model before this rework.

Question sets (`answer_sets`, every fact invented for the benchmark):
* context QA: 36 questions, each with its group of four facts given as notes in the system prompt,
  in the user turn, or as a tool result (12 each); an answer counts when it contains the fact's words.
  Greedy (temperature 0) and sampled (temperature 1, seeds 0-4).
* follow-ups: 15 two-turn conversations; the second answer counts when it is new (no sentence of the
  first answer again) and on the new subject (a keyword of the follow-up). Greedy and seeds 0-2.
* honesty: over every sampled answer, the share of tokens sampled with probability above 0.95 and
  the mean entropy (nats) of the top 5 alternatives, renormalized.
* tools under `tool_choice: "auto"`, six functions offered: the rate of on-topic prompts that call the
  right function (20) and of off-topic prompts that call any (20).
* moderation: accuracy on 40 labelled texts (idioms that are not violent, threats that are).
* speed: tokens per second of generation with `top_logprobs=5`, over the sampled answers (the
  time includes reading the prompt).

Goals: context QA >= 90% greedy and >= 75% sampled; follow-ups >= 90%; at most 60% of sampled
tokens above 0.95; on-topic tool calls >= 90% with false calls <= 10%; >= 2,000 tokens/s.

The baseline is the package at BASELINE_REVISION (the model before this work), extracted and
measured in a process of its own in the same run (`revision.measure_at`); its server never called a
tool under "auto". Rows keep the `make bench` shape: `subject_s`/`baseline_s` are seconds per
sampled answer, and each figure is in `note` and in `subject_value`/`baseline_value`.

Run `python -m benchmarks.bench_answers` for the table (`--measure` prints this checkout's figures
as JSON, `--show` prints some answers).
"""

from __future__ import annotations

import json
import math
import re
import sys
import time

from benchmarks.answer_sets import FACT_GROUPS, FOLLOW_UPS, MODERATION, OFF_TOPIC, ON_TOPIC, TOOLS

BASELINE_REVISION = "1a22858"   # the local model before the rework this benchmark was written for
SEEDS = range(5)
FOLLOW_SEEDS = range(3)
PLACES = ("system", "user", "tool")


def context_conversations():
    """(messages, words the answer must contain), the notes placed in turn in the three places."""
    out = []
    for g, group in enumerate(FACT_GROUPS):
        notes = " ".join(fact for fact, _, _ in group)
        for k, (_, question, words) in enumerate(group):
            place = PLACES[(g + k) % 3]
            if place == "system":
                messages = [{"role": "system", "content": "Answer from these notes. " + notes},
                            {"role": "user", "content": question}]
            elif place == "user":
                messages = [{"role": "user", "content": f"Here are my notes:\n{notes}\n\nQuestion: {question}"}]
            else:
                call = {"id": "call_notes", "type": "function",
                        "function": {"name": "search_notes", "arguments": json.dumps({"query": question})}}
                messages = [{"role": "user", "content": question},
                            {"role": "assistant", "content": "", "tool_calls": [call]},
                            {"role": "tool", "tool_call_id": "call_notes", "content": notes}]
            out.append((messages, words))
    return out


def _sentences(text: str) -> set[str]:
    """The sentences of an answer that say something (four words or more: "Sure." is no answer)."""
    words = (re.findall(r"[a-z0-9']+", s.lower()) for s in re.split(r"(?<=[.!?:])\s+", text))
    return {" ".join(w) for w in words if len(w) >= 4}


def _tool_decider():
    """A function (messages, tools) -> name of the function called under "auto", or None."""
    try:
        from jupyter_api_kit.local.inference.tools import function_to_call
    except ImportError:  # the server before the rework: "auto" never called a tool
        return lambda messages, tools: None
    return lambda messages, tools: (function_to_call(messages, tools, "auto") or {}).get("name")


class Sampler:
    """Answers with a model, keeping what the honesty and speed figures need."""

    def __init__(self, model):
        self.model = model
        self.tokens = self.above = 0
        self.entropy = 0.0
        self.seconds = 0.0
        self.answers = 0

    def answer(self, messages, seed=None) -> str:
        kw = {"temperature": 0} if seed is None else {"temperature": 1.0, "seed": seed, "top_logprobs": 5}
        start = time.perf_counter()
        gen = self.model.generate(messages, max_tokens=200, **kw)
        toks = list(gen)
        elapsed = time.perf_counter() - start
        if seed is not None:
            self.seconds += elapsed
            self.answers += 1
            for t in toks:
                self.tokens += 1
                self.above += math.exp(t.logprob) > 0.95
                probs = [math.exp(lp) for _, lp, _ in t.top]
                total = sum(probs) or 1.0
                self.entropy -= sum(p / total * math.log(p / total) for p in probs if p > 0)
        return "".join(t.text for t in toks)


def measure() -> dict:
    """The figures of the package importable here (this checkout, or an extracted revision)."""
    from jupyter_api_kit.local.models.language import get_language_model
    from jupyter_api_kit.local.models.moderation import get_moderation_model

    model = get_language_model("local-ngram")
    list(model.generate("warm up", max_tokens=3, seed=0))
    s = Sampler(model)
    greedy = sampled = 0
    shown = []
    conversations = context_conversations()
    for messages, words in conversations:
        text = s.answer(messages)
        greedy += words.lower() in text.lower()
        shown.append((messages[-1]["content"][-60:], text))
        sampled += sum(words.lower() in s.answer(messages, seed).lower() for seed in SEEDS)
    follow = follow_sampled = 0
    for first, second, keywords in FOLLOW_UPS:
        for seed in (None, *FOLLOW_SEEDS):
            convo = [{"role": "user", "content": first}]
            one = s.answer(convo, seed)
            convo += [{"role": "assistant", "content": one}, {"role": "user", "content": second}]
            two = s.answer(convo, seed)
            ok = not (_sentences(one) & _sentences(two)) and any(k in two.lower() for k in keywords)
            if seed is None:
                follow += ok
                shown.append((second, two))
            else:
                follow_sampled += ok
    decide = _tool_decider()
    on_topic = sum(decide([{"role": "user", "content": p}], TOOLS) == name for p, name in ON_TOPIC)
    false_calls = sum(decide([{"role": "user", "content": p}], TOOLS) is not None for p in OFF_TOPIC)
    moderation = get_moderation_model()
    correct = sum(moderation.classify(text).flagged == flag for text, flag in MODERATION)
    n = len(conversations)
    return {"context_greedy": greedy / n, "context_sampled": sampled / (n * len(SEEDS)),
            "follow_greedy": follow / len(FOLLOW_UPS),
            "follow_sampled": follow_sampled / (len(FOLLOW_UPS) * len(FOLLOW_SEEDS)),
            "above_095": s.above / s.tokens, "top5_entropy": s.entropy / s.tokens,
            "tool_on_topic": on_topic / len(ON_TOPIC), "tool_false": false_calls / len(OFF_TOPIC),
            "moderation": correct / len(MODERATION), "tokens_per_s": s.tokens / s.seconds,
            "s_per_answer": s.seconds / s.answers, "tokens_per_answer": s.tokens / s.answers,
            "shown": shown}


FIGURES = [  # key, label, format, goal
    ("context_greedy", "context QA, greedy (36 questions)", "{:.0%}", ">= 90%"),
    ("context_sampled", "context QA, sampled T=1 (36 x 5 seeds)", "{:.0%}", ">= 75%"),
    ("follow_greedy", "follow-ups answered anew, greedy (15)", "{:.0%}", ">= 90%"),
    ("follow_sampled", "follow-ups answered anew, sampled (15 x 3 seeds)", "{:.0%}", ">= 90%"),
    ("above_095", "sampled tokens with probability > 0.95", "{:.0%}", "<= 60%"),
    ("top5_entropy", "mean top-5 entropy of sampled tokens (nats)", "{:.3f}", "higher: less falsely sure"),
    ("tool_on_topic", "auto: on-topic prompts calling the right tool (20)", "{:.0%}", ">= 90%"),
    ("tool_false", "auto: off-topic prompts calling a tool (20)", "{:.0%}", "<= 10%"),
    ("moderation", "moderation accuracy (40 labelled texts)", "{:.0%}", "higher"),
    ("tokens_per_s", "generation tokens/s with top_logprobs=5", "{:,.0f}", ">= 2,000"),
]


def run() -> list[dict]:
    """Rows for `make bench`: one per figure, this checkout against BASELINE_REVISION."""
    from benchmarks.revision import measure_at

    subject = measure()
    baseline = measure_at(BASELINE_REVISION, "benchmarks.bench_answers")
    rows = []
    for key, label, fmt, goal in FIGURES:
        base = baseline[key] if baseline else float("nan")
        rows.append({"benchmark": label, "subject_s": subject["s_per_answer"],
                     "baseline_s": baseline["s_per_answer"] if baseline else float("nan"),
                     "ratio": (baseline["s_per_answer"] / subject["s_per_answer"]) if baseline else float("nan"),
                     "subject_value": subject[key], "baseline_value": base,
                     "baseline": f"local-ngram at {BASELINE_REVISION}" if baseline else "baseline revision unavailable",
                     "note": f"{fmt.format(subject[key])} vs {fmt.format(base) if baseline else 'n/a'} (goal {goal})"})
    return rows


if __name__ == "__main__":
    if "--measure" in sys.argv:
        figures = measure()
        figures.pop("shown")
        print(json.dumps(figures))
    else:
        rows = run()
        for r in rows:
            print(f"{r['benchmark']:<52} {r['note']}")
        if "--show" in sys.argv:
            for asked, answer in measure()["shown"]:
                print(f"[{asked}] {answer[:200]!r}")
