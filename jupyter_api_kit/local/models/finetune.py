"""Fine-tuning the local language model: a trainer that grows an `adapter.Adapter` step by step.

Each step first measures the loss of its batch under the current model (as a real training step
would), then learns from the batch: its examples join the adapter and the training strength grows
(epochs times learning rate multiplier), so `train_loss` falls across epochs as the model fits the
data. See `adapter` for the accepted example shapes and what the adapter changes.

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

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from jupyter_api_kit.local.models.adapter import Adapter, Example, normalize_example
from jupyter_api_kit.local.models.errors import ModelInputError


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
        n_epochs = 3 if n_epochs in (None, "auto") else n_epochs
        lr = 1.0 if learning_rate_multiplier in (None, "auto") else learning_rate_multiplier
        batch_size = None if batch_size == "auto" else batch_size
        if isinstance(n_epochs, bool) or not isinstance(n_epochs, int) or not 1 <= n_epochs <= 50:
            raise ModelInputError("n_epochs must be an integer from 1 to 50", param="n_epochs")
        if not isinstance(lr, (int, float)) or not 0 < lr <= 10:
            raise ModelInputError("learning_rate_multiplier must be in (0, 10]",
                                    param="learning_rate_multiplier")
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int)
                                       or batch_size < 1):
            raise ModelInputError("batch_size must be a positive integer", param="batch_size")
        examples = [normalize_example(t) for t in texts]
        if not examples:
            raise ModelInputError("fine-tuning needs at least one training example",
                                    param="training_file")
        self.base_model = model.base_model
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
        return type(self.base_model)(model_id, self.base_model.base, adapter, base_model=self.base_model)

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
        scores = [s for ex in batch for s in model.token_scores(ex.context(), ex.answer)]
        nll = -sum(lp for lp, _ in scores)
        hits = sum(hit for _, hit in scores)
        return nll / max(len(scores), 1), hits / max(len(scores), 1)

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
