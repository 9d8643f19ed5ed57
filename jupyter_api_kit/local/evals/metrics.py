"""Text similarity metrics the local server computes for `text_similarity` graders, each in [0, 1].

Written from the metrics' published definitions, with no third-party package:

- `fuzzy_match`: normalized indel similarity of the two strings, 2 * LCS / (len(a) + len(b)) over
  characters (what rapidfuzz calls `fuzz.ratio`, divided by 100).
- `bleu`: sentence BLEU-4 (uniform weights, brevity penalty) with exponential smoothing of zero
  n-gram counts, so one missing 4-gram does not zero the score, and the effective order for texts
  shorter than four tokens (as sacrebleu's sentence BLEU). Case-sensitive, punctuation split off.
- `gleu`: sentence GLEU (Wu et al., 2016): min(precision, recall) over all 1- to 4-grams.
- `meteor`: METEOR (Banerjee & Lavie, 2005; alpha 0.9, beta 3, gamma 0.5) with the exact and stem
  matching stages. The synonym stage needs WordNet, which the local server does not ship; texts
  that only match through synonyms score lower than with a WordNet-backed implementation.
- `rouge_1` ... `rouge_5`: F1 of n-gram overlap; `rouge_l`: F1 of the longest common subsequence of
  tokens. Lower-cased alphanumeric tokens, no stemming (like the `rouge-score` package's defaults).

Example:
    >>> round(fuzzy_match("kitten", "sitting"), 3)
    0.615
    >>> rouge_n("the cat sat on the mat", "the cat sat on the mat", 2)
    1.0
    >>> bleu("", "a reference")
    0.0
"""

from __future__ import annotations

import math
import re
from collections import Counter

_WORD_OR_PUNCT = re.compile(r"\w+|[^\w\s]", re.UNICODE)
_ALNUM = re.compile(r"[a-z0-9]+")


def lcs_length(a, b) -> int:
    """Length of the longest common subsequence of two sequences (bit-parallel, Hyyrö 2004).

    Example:
        >>> lcs_length("ABCBDAB", "BDCABA")
        4
    """
    if not a or not b:
        return 0
    masks: dict = {}
    for i, symbol in enumerate(a):
        masks[symbol] = masks.get(symbol, 0) | (1 << i)
    full = (1 << len(a)) - 1
    row = full
    for symbol in b:
        match = row & masks.get(symbol, 0)
        row = ((row + match) | (row - match)) & full
    return len(a) - bin(row).count("1")


def fuzzy_match(output: str, reference: str) -> float:
    """2 * LCS / (len(output) + len(reference)) over characters; 1.0 for two empty strings."""
    total = len(output) + len(reference)
    if total == 0:
        return 1.0
    return 2.0 * lcs_length(output, reference) / total


def _bleu_tokens(text: str) -> list[str]:
    return _WORD_OR_PUNCT.findall(text)


def _ngrams(tokens: list, n: int) -> Counter:
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def bleu(output: str, reference: str, max_n: int = 4) -> float:
    """Sentence BLEU with brevity penalty and exponential smoothing of zero matches.

    Example:
        >>> bleu("The cat sat on the mat.", "The cat sat on the mat.")
        1.0
    """
    hyp, ref = _bleu_tokens(output), _bleu_tokens(reference)
    if not hyp or not ref:
        return 0.0
    logs, smoothing = [], 1.0
    for n in range(1, max_n + 1):
        hyp_grams, ref_grams = _ngrams(hyp, n), _ngrams(ref, n)
        total = sum(hyp_grams.values())
        if total == 0:
            break  # a hypothesis shorter than n: average over the orders it has (effective order)
        matches = sum(min(c, ref_grams[g]) for g, c in hyp_grams.items())
        if matches == 0:
            smoothing *= 2.0
            logs.append(math.log(1.0 / (smoothing * total)))
        else:
            logs.append(math.log(matches / total))
    penalty = 1.0 if len(hyp) > len(ref) else math.exp(1.0 - len(ref) / len(hyp))
    return min(1.0, penalty * math.exp(sum(logs) / len(logs)))


def gleu(output: str, reference: str, min_n: int = 1, max_n: int = 4) -> float:
    """Sentence GLEU: matched n-grams over max(hypothesis n-grams, reference n-grams), n = 1..4.

    Example:
        >>> gleu("the cat", "the cat")
        1.0
    """
    hyp, ref = _bleu_tokens(output), _bleu_tokens(reference)
    hyp_total = ref_total = matches = 0
    for n in range(min_n, max_n + 1):
        hyp_grams, ref_grams = _ngrams(hyp, n), _ngrams(ref, n)
        hyp_total += sum(hyp_grams.values())
        ref_total += sum(ref_grams.values())
        matches += sum(min(c, ref_grams[g]) for g, c in hyp_grams.items())
    denominator = max(hyp_total, ref_total)
    return matches / denominator if denominator else 0.0


def _rouge_tokens(text: str) -> list[str]:
    return _ALNUM.findall(text.lower())


def _f1(overlap: int, hyp_count: int, ref_count: int) -> float:
    if overlap == 0 or hyp_count == 0 or ref_count == 0:
        return 0.0
    precision, recall = overlap / hyp_count, overlap / ref_count
    return 2 * precision * recall / (precision + recall)


def rouge_n(output: str, reference: str, n: int) -> float:
    """ROUGE-N F1 over lower-cased alphanumeric tokens.

    Example:
        >>> round(rouge_n("the cat sat", "the cat sat down", 1), 3)
        0.857
    """
    hyp, ref = _ngrams(_rouge_tokens(output), n), _ngrams(_rouge_tokens(reference), n)
    overlap = sum(min(c, ref[g]) for g, c in hyp.items())
    return _f1(overlap, sum(hyp.values()), sum(ref.values()))


def rouge_l(output: str, reference: str) -> float:
    """ROUGE-L F1: longest common subsequence of tokens.

    Example:
        >>> round(rouge_l("police killed the gunman", "the gunman was shot by police"), 3)
        0.4
    """
    hyp, ref = _rouge_tokens(output), _rouge_tokens(reference)
    return _f1(lcs_length(hyp, ref), len(hyp), len(ref))


_SUFFIXES = ("ational", "ization", "fulness", "ousness", "iveness", "ements", "ations", "ments", "ness",
             "ment", "ings", "ing", "edly", "ies", "ied", "ion", "ers", "est", "ful", "ous", "ive", "ize",
             "ly", "ed", "er", "es", "s")


def light_stem(word: str) -> str:
    """A small suffix-stripping stemmer, enough for METEOR's stem stage ("planets" ~ "planet").

    Example:
        >>> light_stem("planets"), light_stem("running"), light_stem("is")
        ('planet', 'runn', 'is')
    """
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[:-len(suffix)]
    return word


def _align(hyp: list[str], ref: list[str]) -> list[tuple[int, int]]:
    """METEOR alignment: exact matches first, then stem matches; each word used once, and among
    equal candidates the one closest in position (fewer chunks)."""
    pairs: list[tuple[int, int]] = []
    used_h: set[int] = set()
    used_r: set[int] = set()
    for key in (lambda w: w, light_stem):
        for i, word in enumerate(hyp):
            if i in used_h:
                continue
            candidates = [j for j, r in enumerate(ref) if j not in used_r and key(r) == key(word)]
            if candidates:
                j = min(candidates, key=lambda c: abs(c - i))
                pairs.append((i, j))
                used_h.add(i)
                used_r.add(j)
    return sorted(pairs)


def meteor(output: str, reference: str, alpha: float = 0.9, beta: float = 3.0, gamma: float = 0.5) -> float:
    """METEOR with exact and stem matching (no synonym stage; see the module docstring).

    Example:
        >>> round(meteor("the cat sat on the mat", "the cat sat on the mat"), 3)
        0.998
    """
    hyp, ref = _rouge_tokens(output), _rouge_tokens(reference)
    if not hyp or not ref:
        return 0.0
    pairs = _align(hyp, ref)
    matches = len(pairs)
    if matches == 0:
        return 0.0
    precision, recall = matches / len(hyp), matches / len(ref)
    f_mean = precision * recall / (alpha * precision + (1 - alpha) * recall)
    chunks = 1 + sum(1 for (i1, j1), (i2, j2) in zip(pairs, pairs[1:]) if i2 != i1 + 1 or j2 != j1 + 1)
    penalty = gamma * (chunks / matches) ** beta
    return f_mean * (1 - penalty)


METRICS = {
    "fuzzy_match": fuzzy_match,
    "bleu": bleu,
    "gleu": gleu,
    "meteor": meteor,
    "rouge_1": lambda a, b: rouge_n(a, b, 1),
    "rouge_2": lambda a, b: rouge_n(a, b, 2),
    "rouge_3": lambda a, b: rouge_n(a, b, 3),
    "rouge_4": lambda a, b: rouge_n(a, b, 4),
    "rouge_5": lambda a, b: rouge_n(a, b, 5),
    "rouge_l": rouge_l,
}
