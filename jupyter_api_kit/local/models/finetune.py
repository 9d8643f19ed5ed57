"""Fine-tuning the local language model: an adapter n-gram learned from training examples.

Training examples may be plain strings (an answer), chat examples (a list of messages, or a dict
with "messages"; the last assistant message is the answer and the messages before it the prompt) or
{"prompt": ..., "completion": ...} dicts. The adapter is a Kneser–Ney n-gram over the answers, mixed
into the base model with a weight that grows with the training *strength* (epochs times learning
rate multiplier); strength also scales the adapter's counts, so later epochs back off less and fit the
answers more tightly. The answers also join the topic index, so a prompt like a training prompt
retrieves its answer. Answers' new words join the vocabulary.

Each step first measures the loss of its batch under the current model (as a real training step
would), then learns from the batch, so `train_loss` falls across epochs as the model fits the data.

Example:
    >>> from jupyter_api_kit.local.models.language import get_language_model
    >>> trainer = get_language_model().fine_tune(["Quokkas smile a lot."] * 4, n_epochs=2, seed=0)
    >>> losses = [step.train_loss for step in trainer]
    >>> losses[-1] < losses[0]
    True
    >>> tuned = trainer.result(model_id="ft:local-ngram:org:demo:abc123")
    >>> type(tuned).from_bytes(tuned.to_bytes()).id
    'ft:local-ngram:org:demo:abc123'
"""

from __future__ import annotations

import json
import math
import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from jupyter_api_kit.errors import InvalidInputError
from jupyter_api_kit.local.models.context import document_from_text, message_text
from jupyter_api_kit.local.models.knowledge import Knowledge, last_paragraph, split_paragraphs
from jupyter_api_kit.local.models.ngram import UNKNOWN
from jupyter_api_kit.local.models.ngram import NGramModel
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
        raise InvalidInputError("a training example must be a string, a list of messages, or a dict "
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
                                   base.fallback, base.small_talk)
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


@dataclass
class TrainingStep:
    """One optimisation step: its number (from 1), epoch (fractional), batch loss and accuracy."""

    step: int
    epoch: float
    train_loss: float
    train_accuracy: float
    total_steps: int


class FineTuneTrainer:
    """Iterate to train, one batch per step; `result()` gives the tuned model at any point.

    Stopping the iteration early (a cancelled job) leaves a model trained on what was seen so far.
    """

    def __init__(self, model, texts, n_epochs=3, learning_rate_multiplier=1.0,
                 seed: int | None = None, batch_size: int | None = None):
        from jupyter_api_kit.local.models.language import get_language_model

        n_epochs = 3 if n_epochs in (None, "auto") else n_epochs
        lr = 1.0 if learning_rate_multiplier in (None, "auto") else learning_rate_multiplier
        batch_size = None if batch_size == "auto" else batch_size
        if isinstance(n_epochs, bool) or not isinstance(n_epochs, int) or not 1 <= n_epochs <= 50:
            raise InvalidInputError("n_epochs must be an integer from 1 to 50", param="n_epochs")
        if not isinstance(lr, (int, float)) or not 0 < lr <= 10:
            raise InvalidInputError("learning_rate_multiplier must be in (0, 10]",
                                    param="learning_rate_multiplier")
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int)
                                       or batch_size < 1):
            raise InvalidInputError("batch_size must be a positive integer", param="batch_size")
        examples = [normalize_example(t) for t in texts]
        if not examples:
            raise InvalidInputError("fine-tuning needs at least one training example",
                                    param="training_file")
        self.base_model = get_language_model(model.base_id)
        prior = model.adapter
        self._prior_examples = list(prior.examples) if prior is not None else []
        self._start_strength = prior.strength if prior is not None else 0.0
        self.examples = examples
        self.n_epochs = n_epochs
        self.learning_rate_multiplier = float(lr)
        self.batch_size = batch_size or max(1, min(32, math.ceil(len(examples) / 4)))
        self.steps_per_epoch = math.ceil(len(examples) / self.batch_size)
        self.total_steps = self.steps_per_epoch * n_epochs
        self.steps: list[TrainingStep] = []
        self._rng = np.random.default_rng(seed)
        self._seen: list[int] = []
        self._strength = self._start_strength
        self._all = self._prior_examples + self.examples
        self._adapter = self._make_adapter()
        self._iter = self._run()

    def _make_adapter(self) -> Adapter:
        seen = self._prior_examples + [self.examples[i] for i in sorted(self._seen)]
        return Adapter(self.base_model, seen, self._strength, vocab_examples=self._all)

    def _model(self, model_id: str, adapter: Adapter):
        from jupyter_api_kit.local.models.language import LanguageModel

        return LanguageModel(model_id, self.base_model.base, adapter, base_id=self.base_model.id)

    def __iter__(self) -> Iterator[TrainingStep]:
        return self

    def __next__(self) -> TrainingStep:
        return next(self._iter)

    @property
    def done(self) -> bool:
        return len(self.steps) == self.total_steps

    def _run(self) -> Iterator[TrainingStep]:
        step = 0
        lr = self.learning_rate_multiplier
        for epoch in range(self.n_epochs):
            order = self._rng.permutation(len(self.examples))
            for b in range(self.steps_per_epoch):
                batch = [int(i) for i in order[b * self.batch_size:(b + 1) * self.batch_size]]
                loss, accuracy = self._evaluate(self._model("training", self._adapter),
                                                [self.examples[i] for i in batch])
                seen = set(self._seen)
                new = [i for i in batch if i not in seen]
                self._seen.extend(new)
                self._strength = self._start_strength + lr * (epoch + (b + 1) / self.steps_per_epoch)
                if new:
                    self._adapter = self._make_adapter()
                else:
                    self._adapter = self._adapter.with_strength(self._strength)
                step += 1
                record = TrainingStep(step, epoch + (b + 1) / self.steps_per_epoch, loss, accuracy,
                                      self.total_steps)
                self.steps.append(record)
                yield record

    @staticmethod
    def _evaluate(model, batch: Sequence[Example]) -> tuple[float, float]:
        """Mean NLL per token (answer tokens and end-of-answer) and argmax accuracy on a batch."""
        nll = 0.0
        hits = 0
        count = 0
        for ex in batch:
            cond = model.condition(ex.context())
            index = model.knowledge.tokenizer.index
            for k, para in enumerate(_paragraphs(ex.answer)):
                history = list(cond.history) if k == 0 else []
                for target in [index[t] for t in pretokenize(para)] + [model.eos_id]:
                    p = model.distribution(cond, history)
                    nll -= float(np.log(p[target]))
                    hits += int(np.argmax(p)) == target
                    count += 1
                    history.append(target)
        return nll / max(count, 1), hits / max(count, 1)

    def result(self, model_id: str):
        """The fine-tuned model as trained so far, with the given id.

        Example:
            >>> from jupyter_api_kit.local.models.language import get_language_model
            >>> t = get_language_model().fine_tune(["Hi."], n_epochs=1)
            >>> _ = list(t); t.result("ft:local-ngram::x:1").id
            'ft:local-ngram::x:1'
        """
        seen = self._prior_examples + [self.examples[i] for i in sorted(self._seen)]
        return self._model(model_id, Adapter(self.base_model, seen, self._strength))


def model_to_bytes(model) -> bytes:
    """Serialize a model as its base id plus adapter examples and strength (zlib-compressed JSON)."""
    payload = {"format": FORMAT, "version": 1, "id": model.id, "base": model.base_id}
    if model.adapter is not None:
        payload["adapter"] = {"strength": model.adapter.strength,
                              "examples": [ex.to_json() for ex in model.adapter.examples]}
    return zlib.compress(json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
                         .encode("utf-8"), 9)


def load_model_bytes(blob: bytes):
    """The model serialized by `model_to_bytes`; raises ValueError for anything else.

    Example:
        >>> from jupyter_api_kit.local.models.language import get_language_model
        >>> load_model_bytes(get_language_model().to_bytes()).id
        'local-ngram'
    """
    from jupyter_api_kit.local.models.language import LanguageModel, get_language_model

    try:
        payload = json.loads(zlib.decompress(blob).decode("utf-8"))
    except (zlib.error, UnicodeDecodeError, json.JSONDecodeError, TypeError) as exc:
        raise ValueError(f"not a serialized local model: {exc}") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError("not a serialized local model")
    base_model = get_language_model(payload["base"])
    adapter = payload.get("adapter")
    if adapter is None and payload["id"] == base_model.id:
        return base_model
    examples = [Example.from_json(e) for e in (adapter or {}).get("examples", [])]
    strength = float((adapter or {}).get("strength", 0.0))
    return LanguageModel(payload["id"], base_model.base, Adapter(base_model, examples, strength),
                         base_id=base_model.id)
