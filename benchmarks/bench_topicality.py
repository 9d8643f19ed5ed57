"""How on-topic and how coherent the local language model's answers are, against a baseline model.

A fixed set of 42 chat prompts (topics the corpus covers, and class topics it used not to: volcanoes,
the colour of the sky, tides, the body, simple physics, geography), each with a few topic keywords.
Every prompt is answered greedily (temperature 0) and with seeds 0..4 at temperature 1
(max_tokens=120), by the subject model (`local-ngram` as it is now) and by a baseline model.

Metrics, per answer:
* on topic: the answer contains a keyword of the prompt, or a content word of the prompt itself
  (minus a few words that say nothing about a topic, like "fact" or "world"); words are compared by
  the model's own stem ("volcanoes" ~ "volcano"). Stricter: the *first sentence* contains one of the
  hand-written keywords; and the share of an answer's sentences that are on topic (drift).
* coherence, four proxies: the per-token perplexity of the answer (tokens and end-of-answer) under
  the *subject's* unconditioned base trigram (the same judge for both models: lower means the answer
  reads like the model's own fluent text rather than word salad); the joint rate, the share of tokens
  whose trigram never occurs in the subject's training text (each is a place where the text was
  glued from two unrelated phrases); the share of answers that repeat a run of 6 tokens (went round
  in a circle); and the share of answers that end with a full sentence.
* variety: how many different answers the 5 seeds give per prompt (a model that always recites the
  same paragraph would be on topic and fluent, and useless for showing what sampling does).

Prompts marked "holdout" were not looked at while tuning the model's weights; the rates are also
given for them alone.

The baseline is the package at BASELINE_REVISION (the model before chat answers were said in whole
sentences), extracted and measured in a process of its own in the same run (`revision.measure_at`),
with its own base trigram as judge. Before that, against the first version of the model (same prompts
and metrics), the figures were: greedy 76% on topic (holdout 75%), sampled 68% (holdout 68%); first
sentence with a keyword 60% greedy, 56% sampled; sentences on topic 57%; joints 10.4%; perplexity
3.81; answers going round in circles 17.9%; full sentences 99%; 5.0 different answers of 5 seeds; 35
tokens per answer, 0.07-0.08 ms per token.

The rows keep the `make bench` shape: `subject_s` / `baseline_s` are the mean generation time per
answer (seconds), `ratio` is baseline / subject time; the quality figures are in `note` and in the
extra keys `subject_rate` / `baseline_rate` (and `subject_holdout_rate` / `baseline_holdout_rate`).

Run `python -m benchmarks.bench_topicality` for the table, `... --show` to print the answers too.
"""

from __future__ import annotations

import math
import re
import sys
import time
from dataclasses import dataclass

from jupyter_api_kit.local.models.context import query_stems, stem
from jupyter_api_kit.local.models.language import get_language_model
from jupyter_api_kit.local.models.tokenizer import pretokenize

BASELINE_REVISION = "1a22858"   # the local model before chat answers were said in whole sentences

SEEDS = range(5)
MAX_TOKENS = 120
LOOP_TOKENS = 6
# Content words of a prompt that say nothing about its topic.
GENERIC = frozenset({"fact", "work", "cause", "happen", "world", "kind", "mean", "important", "long",
                     "longest", "tall", "tallest", "object", "ground", "human", "thing", "earth"})
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")

# (split, prompt, topic keywords). "tune" prompts may be looked at while tuning, "holdout" ones not.
PROMPTS: list[tuple[str, str, tuple[str, ...]]] = [
    ("tune", "Tell me about the planets.", ("planet", "sun", "orbit", "jupiter", "mars", "venus",
                                             "saturn", "mercury", "neptune", "earth")),
    ("tune", "What is a black hole?", ("black", "hole", "gravity", "light", "star")),
    ("tune", "How do I cook rice?", ("rice", "water", "boil", "pot", "cook")),
    ("tune", "How do I bake bread?", ("bread", "flour", "dough", "yeast", "oven", "bake")),
    ("tune", "How do I grow tomatoes?", ("tomato", "plant", "soil", "sun", "water", "garden")),
    ("tune", "What is a list in Python?", ("list", "python", "bracket", "item", "value")),
    ("tune", "How do I load a CSV file with pandas?", ("csv", "pandas", "file", "table", "data",
                                                        "frame", "read")),
    ("tune", "What is an API?", ("api", "program", "request", "server", "http")),
    ("tune", "What does the status code 404 mean?", ("status", "code", "server", "find",
                                                      "address", "request")),
    ("tune", "How does a rainbow form?", ("rainbow", "light", "rain", "drop", "sunlight", "colour",
                                          "color")),
    ("tune", "Tell me about jazz.", ("jazz", "blues", "swing", "improvisation", "music", "melody")),
    ("tune", "Tell me about dogs.", ("dog", "pet", "walk", "animal", "puppy")),
    ("tune", "How do bees make honey?", ("bee", "honey", "nectar", "flower", "hive", "colony")),
    ("tune", "Who was Alan Turing?", ("turing", "mathematician", "computer", "machine")),
    ("tune", "Why is sleep important?", ("sleep", "brain", "rest", "night", "bed")),
    ("tune", "What is a prime number?", ("prime", "number", "divide", "divided", "divisor")),
    ("tune", "How do I make a budget?", ("budget", "money", "spend", "earn", "save")),
    ("tune", "How do you play chess?", ("chess", "piece", "king", "player", "board", "move")),
    ("tune", "Tell me about ancient Egypt.", ("egypt", "nile", "pyramid", "pharaoh", "river")),
    ("tune", "What is electricity?", ("electricity", "electron", "current", "charge", "power",
                                      "circuit")),
    ("tune", "How does the heart work?", ("heart", "blood", "beat", "pump", "oxygen")),
    ("tune", "Tell me one fact about volcanoes.", ("volcano", "lava", "magma", "erupt", "eruption",
                                                   "ash")),
    ("tune", "Why is the sky blue?", ("sky", "blue", "light", "sunlight", "air", "scatter",
                                      "colour", "color")),
    ("tune", "Tell me about the ocean.", ("ocean", "sea", "water", "wave", "salt", "tide")),
    ("tune", "What causes the tides?", ("tide", "moon", "ocean", "sea", "gravity", "water")),
    ("tune", "How do our lungs work?", ("lung", "breathe", "air", "oxygen", "breath")),
    ("tune", "What is friction?", ("friction", "surface", "rub", "force", "slow", "heat")),
    ("tune", "Why do objects fall to the ground?", ("gravity", "fall", "force", "pull", "earth",
                                                     "mass", "weight")),
    ("tune", "What is the longest river in the world?", ("river", "nile", "amazon", "water")),
    ("tune", "Tell me about deserts.", ("desert", "sand", "dry", "rain", "hot", "cactus")),
    ("holdout", "Tell me about the Moon.", ("moon", "crater", "phase", "earth", "orbit")),
    ("holdout", "How do I make pancakes?", ("pancake", "batter", "flour", "milk", "egg", "pan")),
    ("holdout", "What is a dictionary in Python?", ("dictionary", "key", "value", "python")),
    ("holdout", "Tell me about whales.", ("whale", "mammal", "ocean", "sea", "blowhole")),
    ("holdout", "What is a galaxy?", ("galaxy", "star", "milky", "gravity")),
    ("holdout", "What happens when a volcano erupts?", ("volcano", "lava", "magma", "erupt",
                                                        "eruption", "ash")),
    ("holdout", "Why is the sunset red?", ("sunset", "red", "light", "sky", "sun", "air", "colour",
                                           "color")),
    ("holdout", "What do bones do in the human body?", ("bone", "skeleton", "body", "muscle",
                                                        "calcium")),
    ("holdout", "How do magnets work?", ("magnet", "magnetic", "pole", "iron", "attract", "north")),
    ("holdout", "What is the tallest mountain on Earth?", ("mountain", "everest", "high", "peak",
                                                           "climb")),
    ("holdout", "How does sound move through the air?", ("sound", "wave", "vibrate", "vibration",
                                                         "ear")),
    ("holdout", "What is a webhook?", ("webhook", "request", "server", "event", "address")),
]


@dataclass
class Answer:
    split: str
    prompt: str
    greedy: bool
    text: str
    tokens: list[str]
    finish_reason: str
    seconds: float
    on_topic: bool
    strict: bool
    sentence_share: float


def _stems(text: str) -> set[str]:
    return {s for s in map(stem, pretokenize(text)) if s}


def topic_stems(prompt: str, keywords: tuple[str, ...]) -> set[str]:
    """What counts as on topic for a prompt: its keywords' stems and its own content-word stems."""
    own = set(query_stems(prompt)[0]) - GENERIC
    return {stem(" " + k) or k for k in keywords} | own


def answer_all(model, prompts=PROMPTS) -> list[Answer]:
    """Every prompt answered greedily and with each seed at temperature 1."""
    out = []
    for split, prompt, keywords in prompts:
        wanted = topic_stems(prompt, keywords)
        strict = {stem(" " + k) or k for k in keywords}
        messages = [{"role": "user", "content": prompt}]
        for seed in (None, *SEEDS):
            kw = {"temperature": 0} if seed is None else {"temperature": 1.0, "seed": seed}
            start = time.perf_counter()
            gen = model.generate(messages, max_tokens=MAX_TOKENS, **kw)
            tokens = [t.text for t in gen]
            seconds = time.perf_counter() - start
            text = "".join(tokens)
            sentences = [s for s in _SENTENCE_END.split(text.strip()) if s] or [""]
            share = sum(bool(_stems(s) & wanted) for s in sentences) / len(sentences)
            out.append(Answer(split, prompt, seed is None, text, tokens, gen.finish_reason,
                              seconds, bool(_stems(text) & wanted),
                              bool(_stems(sentences[0]) & strict), share))
    return out


class Judge:
    """Coherence proxies under one fixed unconditioned trigram (the subject's base n-gram)."""

    def __init__(self, model):
        knowledge = model.base
        self.ngram = knowledge.ngram
        self.index = knowledge.tokenizer.index
        self.trigrams = self.ngram.counts[-1]
        self.order = self.ngram.order

    def score(self, tokens: list[str]) -> tuple[float, int, int]:
        """(total NLL in nats, number of predictions, number of unseen-trigram joints)."""
        ids = [self.index.get(t, -2) for t in tokens] + [0]
        history = [-1] * (self.order - 1)
        nll, joints = 0.0, 0
        for i in ids:
            p = self.ngram.distribution(history)
            nll -= math.log(p[i]) if 0 <= i < len(p) else math.log(1e-9)
            joints += tuple(history[-(self.order - 1):] + [i]) not in self.trigrams
            history.append(i)
        return nll, len(ids), joints


def _loops(tokens: list[str], n: int = LOOP_TOKENS) -> bool:
    """Whether an answer says some run of n tokens twice (it went round in a circle)."""
    grams = [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
    return len(set(grams)) < len(grams)


@dataclass
class Figures:
    greedy: float
    sampled: float
    greedy_holdout: float
    sampled_holdout: float
    strict_greedy: float
    strict_sampled: float
    sentence_share: float
    distinct: float
    perplexity: float
    joint_rate: float
    sentence_rate: float
    loop_rate: float
    seconds_per_answer: float
    ms_per_token: float
    mean_tokens: float


def figures(answers: list[Answer], judge: Judge) -> Figures:
    def rate(items):
        return sum(a.on_topic for a in items) / max(len(items), 1)

    greedy = [a for a in answers if a.greedy]
    sampled = [a for a in answers if not a.greedy]
    nll = count = joints = 0
    for a in answers:
        n, c, j = judge.score(a.tokens)
        nll, count, joints = nll + n, count + c, joints + j
    full = sum(a.finish_reason == "stop" and a.text.rstrip().endswith((".", "!", "?"))
               for a in answers)
    tokens = sum(len(a.tokens) for a in answers)
    seconds = sum(a.seconds for a in answers)
    return Figures(rate(greedy), rate(sampled),
                   rate([a for a in greedy if a.split == "holdout"]),
                   rate([a for a in sampled if a.split == "holdout"]),
                   sum(a.strict for a in greedy) / len(greedy),
                   sum(a.strict for a in sampled) / len(sampled),
                   sum(a.sentence_share for a in answers) / len(answers),
                   len({(a.prompt, a.text) for a in sampled}) / len({a.prompt for a in sampled}),
                   math.exp(nll / count), joints / count, full / len(answers),
                   sum(map(_loops, (a.tokens for a in answers))) / len(answers),
                   seconds / len(answers), 1e3 * seconds / max(tokens, 1), tokens / len(answers))


BASELINE = f"local-ngram at {BASELINE_REVISION}, its own trigram as judge"


def measure() -> tuple[Figures, list[Answer]]:
    """The figures of the package importable here, judged by its own base trigram."""
    subject = get_language_model("local-ngram")
    list(subject.generate("warm up", max_tokens=3, seed=0))  # first-use training and caches
    answers = answer_all(subject)
    return figures(answers, Judge(subject)), answers


def run() -> list[dict]:
    """Rows for `make bench`: one per metric; times are generation seconds per answer."""
    from dataclasses import fields

    from benchmarks.revision import measure_at

    s, _ = measure()
    found = measure_at(BASELINE_REVISION, "benchmarks.bench_topicality")
    b = Figures(**found) if found else Figures(*[float("nan")] * len(fields(Figures)))
    n = len(PROMPTS)
    common = {"subject_s": s.seconds_per_answer, "baseline_s": b.seconds_per_answer,
              "ratio": b.seconds_per_answer / s.seconds_per_answer, "baseline": BASELINE}
    timing = (f"{s.ms_per_token:.3f} vs {b.ms_per_token:.3f} ms/token, "
              f"{s.mean_tokens:.0f} vs {b.mean_tokens:.0f} tokens/answer")
    return [
        {**common, "benchmark": f"topicality: greedy answers on topic ({n} prompts)",
         "subject_rate": s.greedy, "baseline_rate": b.greedy,
         "subject_holdout_rate": s.greedy_holdout, "baseline_holdout_rate": b.greedy_holdout,
         "note": f"on topic {s.greedy:.0%} vs {b.greedy:.0%} (holdout {s.greedy_holdout:.0%} vs "
                 f"{b.greedy_holdout:.0%}); {timing}"},
        {**common, "benchmark": f"topicality: sampled T=1 on topic ({n} prompts x {len(SEEDS)} seeds)",
         "subject_rate": s.sampled, "baseline_rate": b.sampled,
         "subject_holdout_rate": s.sampled_holdout, "baseline_holdout_rate": b.sampled_holdout,
         "note": f"on topic {s.sampled:.0%} vs {b.sampled:.0%} (holdout {s.sampled_holdout:.0%} vs "
                 f"{b.sampled_holdout:.0%}); {timing}"},
        {**common, "benchmark": "topicality: first sentence has a keyword (greedy / sampled)",
         "subject_rate": s.strict_sampled, "baseline_rate": b.strict_sampled,
         "note": f"greedy {s.strict_greedy:.0%} vs {b.strict_greedy:.0%}, sampled "
                 f"{s.strict_sampled:.0%} vs {b.strict_sampled:.0%}; sentences on topic "
                 f"{s.sentence_share:.0%} vs {b.sentence_share:.0%}"},
        {**common, "benchmark": "coherence: joints (tokens whose trigram is not in the corpus)",
         "subject_rate": s.joint_rate, "baseline_rate": b.joint_rate,
         "subject_perplexity": s.perplexity, "baseline_perplexity": b.perplexity,
         "note": f"joint rate {s.joint_rate:.1%} vs {b.joint_rate:.1%}; base-trigram perplexity "
                 f"{s.perplexity:.2f} vs {b.perplexity:.2f} (lower reads more fluently)"},
        {**common, "benchmark": f"coherence: answers repeating a run of {LOOP_TOKENS} tokens",
         "subject_rate": s.loop_rate, "baseline_rate": b.loop_rate,
         "note": f"{s.loop_rate:.1%} vs {b.loop_rate:.1%} of greedy and sampled answers"},
        {**common, "benchmark": "coherence: answers ending in a full sentence",
         "subject_rate": s.sentence_rate, "baseline_rate": b.sentence_rate,
         "note": f"{s.sentence_rate:.0%} vs {b.sentence_rate:.0%} of greedy and sampled answers"},
        {**common, "benchmark": f"variety: distinct answers of {len(SEEDS)} seeds per prompt",
         "subject_rate": s.distinct / len(SEEDS), "baseline_rate": b.distinct / len(SEEDS),
         "note": f"{s.distinct:.1f} vs {b.distinct:.1f} different answers per prompt"},
    ]


def _show(answers: list[Answer]) -> None:
    for a in answers:
        mark = "+" if a.on_topic else "-"
        kind = "G" if a.greedy else "s"
        print(f"{mark}{kind} [{a.prompt}] {a.text.strip()[:300]!r}")


if __name__ == "__main__":
    if "--measure" in sys.argv:
        import json
        from dataclasses import asdict

        print(json.dumps(asdict(measure()[0])))
        sys.exit(0)
    s, sub_answers = measure()
    if "--show" in sys.argv:
        _show(sub_answers)
    f = s
    print(f"subject: greedy {f.greedy:.0%} (holdout {f.greedy_holdout:.0%}), sampled "
          f"{f.sampled:.0%} (holdout {f.sampled_holdout:.0%}); strict greedy {f.strict_greedy:.0%} "
          f"sampled {f.strict_sampled:.0%}, sentences on topic {f.sentence_share:.0%}; perplexity {f.perplexity:.2f}, "
          f"joints {f.joint_rate:.1%}, loops {f.loop_rate:.1%}, full sentences {f.sentence_rate:.0%}, distinct {f.distinct:.1f}, "
          f"{f.ms_per_token:.3f} ms/token, {f.mean_tokens:.0f} tokens/answer")
