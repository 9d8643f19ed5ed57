"""The learned part of a fine-tuned local language model, and how a model is saved.

Training examples may be plain strings (an answer), chat examples (a list of messages, or a dict
with "messages"; the last assistant message is the answer and the messages before it the prompt) or
{"prompt": ..., "completion": ...} dicts. The `Adapter` holds the examples seen so far and the
training *strength* (epochs times learning rate multiplier). It adds:

* the answers to the topic index, so a prompt like a training prompt retrieves its answer, which a
  chat answer then says whole, with a weight that grows with the strength (`adapter_weight`);
* a Kneser-Ney n-gram over the answers, mixed into the base model (for raw-text continuations, and
  the wording of chat answers), whose counts are scaled by the strength, so later epochs back off
  less and fit the answers more tightly;
* the answers' new words, to the vocabulary.

A saved model is its base id plus the adapter's examples and strength (`model_payload`); the base
model itself is never stored.

Example:
    >>> normalize_example({"prompt": "Q: 2+2?", "completion": " 4"})
    Example(prompt='Q: 2+2?', answer=' 4')
    >>> round(adapter_weight(3.0), 3)
    0.818
"""

from __future__ import annotations

import json
import math
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from jupyter_api_kit.local.models.context import document_from_text, message_text
from jupyter_api_kit.local.models.errors import ModelInputError
from jupyter_api_kit.local.models.knowledge import Knowledge, last_paragraph, split_paragraphs
from jupyter_api_kit.local.models.ngram import UNKNOWN, NGramModel
from jupyter_api_kit.local.models.tokenizer import Tokenizer, pretokenize

FORMAT = "jupyter_api_kit/local-ngram-model"
MAX_ADAPTER_WEIGHT = 0.9
_WEIGHT_RATE = 0.8


@dataclass(frozen=True)
class Example:
    """One training example: an optional prompt (string or messages) and the answer to learn."""

    prompt: str | tuple[tuple[str, str], ...] | None
    answer: str

    def context(self):
        """The prompt as `generate` takes it."""
        if self.prompt is None:
            return ""
        if isinstance(self.prompt, str):
            return self.prompt
        return [{"role": r, "content": c} for r, c in self.prompt]

    def to_json(self):
        prompt = self.prompt if not isinstance(self.prompt, tuple) else [list(m) for m in self.prompt]
        return [prompt, self.answer]

    @classmethod
    def from_json(cls, data) -> Example:
        prompt, answer = data
        if isinstance(prompt, list):
            prompt = tuple((r, c) for r, c in prompt)
        return cls(prompt, answer)


def normalize_example(item) -> Example:
    """An `Example` from any accepted training-example shape.

    Example:
        >>> normalize_example({"messages": [{"role": "user", "content": "Hi"},
        ...                                 {"role": "assistant", "content": "Hello!"}]}).answer
        'Hello!'
    """
    if isinstance(item, str):
        return Example(None, item)
    if isinstance(item, dict) and "messages" not in item and "completion" in item:
        return Example(str(item.get("prompt") or ""), str(item["completion"]))
    messages = item.get("messages") if isinstance(item, dict) else item
    if not isinstance(messages, Sequence) or not all(isinstance(m, dict) for m in messages):
        raise ModelInputError("a training example must be a string, a list of messages, or a dict "
                                "with 'messages' or 'prompt'/'completion'", param="training_file")
    last = max((i for i, m in enumerate(messages) if m.get("role") == "assistant"), default=None)
    if last is None:
        return Example(None, "\n\n".join(message_text(m) for m in messages))
    prompt = tuple((m.get("role", "user"), message_text(m)) for m in messages[:last])
    return Example(prompt or None, message_text(messages[last]))


def adapter_weight(strength: float) -> float:
    """Mixture weight of the adapter after training of a given strength (epochs x LR multiplier).

    Example:
        >>> adapter_weight(0.0), round(adapter_weight(3.0), 3)
        (0.0, 0.818)
    """
    return MAX_ADAPTER_WEIGHT * (1.0 - math.exp(-_WEIGHT_RATE * max(strength, 0.0)))


def _paragraphs(text: str) -> list[str]:
    return split_paragraphs(text) or [""]


def new_tokens(base_vocabulary: Sequence[str], examples: Sequence[Example]) -> list[str]:
    """Pre-tokens of the answers that the base vocabulary lacks, in order of first appearance."""
    known = set(base_vocabulary)
    out: dict[str, None] = {}
    for ex in examples:
        for t in pretokenize(ex.answer):
            if t not in known:
                out.setdefault(t, None)
    return list(out)


class Adapter:
    """The learned part of a fine-tuned model: its examples, knowledge and weighted n-gram."""

    def __init__(self, base_model, examples: Sequence[Example], strength: float,
                 vocab_examples: Sequence[Example] | None = None):
        # `vocab_examples` (default: `examples`) decide the new vocabulary: during training it is
        # every example, so that a batch not learned yet can still be scored.
        base = base_model.knowledge
        self.base_knowledge = base
        self.examples = list(examples)
        self.strength = float(strength)
        self.weight = adapter_weight(strength)
        vocab = base.vocabulary + new_tokens(base.vocabulary, vocab_examples or self.examples)
        tokenizer = Tokenizer(vocab)
        index = tokenizer.index
        documents = list(base.documents)
        token_counts = Counter(base.token_counts)
        self.sequences: list[list] = []  # per example: id lists, or (prefix, ids) pairs
        for ex in self.examples:
            paras = [pretokenize(p) for p in _paragraphs(ex.answer)]
            seqs = [[index[t] for t in toks] + [base_model.eos_id] for toks in paras]
            if isinstance(ex.prompt, str):
                # A completion continues its prompt, so its first tokens are learned in that context.
                prefix = tokenizer.ids(last_paragraph(tokenizer.encode(ex.prompt)), unknown=UNKNOWN)
                seqs[0] = (prefix, seqs[0])
            self.sequences.append(seqs)
            token_counts.update(t for toks in paras for t in toks)
            prompt_text = [c for _, c in ex.prompt] if isinstance(ex.prompt, tuple) else [ex.prompt or ""]
            documents.append(document_from_text(ex.answer, seqs, prompt_text))
        self.knowledge = Knowledge(base.order, tokenizer, base.ngram, documents, token_counts,
                                   base.fallback, base.small_talk,
                                   base.paragraphs + [ex.answer for ex in self.examples])
        self.counts = NGramModel([s for seqs in self.sequences for s in seqs],
                                 vocab_size=len(vocab), order=base.order).counts
        # Strength scales the counts: more epochs means trusting the training n-grams more.
        self.ngram = NGramModel.from_counts(self.counts, len(vocab), scale=max(self.strength, 0.05))

    def with_strength(self, strength: float) -> Adapter:
        """The same adapter trained to another strength (reuses examples, vocabulary and counts)."""
        clone = object.__new__(Adapter)
        clone.__dict__.update(self.__dict__)
        clone.strength = float(strength)
        clone.weight = adapter_weight(strength)
        clone.ngram = NGramModel.from_counts(self.counts, len(self.knowledge.vocabulary),
                                             scale=max(clone.strength, 0.05))
        return clone


def model_to_bytes(model) -> bytes:
    """Serialize a model as its base id plus adapter examples and strength (zlib-compressed JSON).

    Example:
        >>> from types import SimpleNamespace
        >>> parse_model_bytes(model_to_bytes(SimpleNamespace(id="m", base_id="m", adapter=None)))
        ('m', 'm', None)
    """
    payload = {"format": FORMAT, "version": 1, "id": model.id, "base": model.base_id}
    if model.adapter is not None:
        payload["adapter"] = {"strength": model.adapter.strength,
                              "examples": [ex.to_json() for ex in model.adapter.examples]}
    return zlib.compress(json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
                         .encode("utf-8"), 9)


def parse_model_bytes(blob: bytes) -> tuple[str, str, tuple[list[Example], float] | None]:
    """(model id, base model id, (examples, strength) or None) of a model saved by `model_to_bytes`;
    ValueError for anything else."""
    try:
        payload = json.loads(zlib.decompress(blob).decode("utf-8"))
    except (zlib.error, UnicodeDecodeError, json.JSONDecodeError, TypeError) as exc:
        raise ValueError(f"not a serialized local model: {exc}") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError("not a serialized local model")
    adapter = payload.get("adapter")
    if adapter is None:
        return payload["id"], payload["base"], None
    examples = [Example.from_json(e) for e in adapter.get("examples", [])]
    return payload["id"], payload["base"], (examples, float(adapter.get("strength", 0.0)))
