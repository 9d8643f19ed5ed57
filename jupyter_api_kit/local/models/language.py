"""The local language model: honest probabilities over what it can say, from text this project writes.

A chat answer (a list of messages) is said from whole sentences: the facts the conversation gives
first (system prompt, notes in a user turn, tool results, retrieved text), the corpus second, an
honest "I do not know" when neither has the subject (`answers.plan_answer`). The next-token
distribution is a mixture over the sentences the answer may be saying (`decoder.AnswerDecoder`):
near certain where the sentence dictates the next word, uncertain where there is a real choice
(which fact, how to begin, a near-equivalent word or phrase, a comma, whether to go on, join two
facts with "and" or close). A raw text prompt (the legacy completions API) is continued by an
n-gram mixture (`continuation`). Either way every token has probability > 0, the distribution sums
to 1, the logprob reported for a token is exactly log P of the distribution it was sampled from,
and `seed` makes sampling repeatable.
Chat answers end at the end-of-answer token `<|endoftext|>`.

A word of the conversation that the model has no token for is added to the vocabulary of that
request, so the model can say a name it was told.

Example:
    >>> model = get_language_model("local-ngram")
    >>> gen = model.generate([{"role": "user", "content": "Tell me about the planets."}], seed=7)
    >>> answer = "".join(tok.text for tok in gen)
    >>> gen.finish_reason in ("stop", "length"), all(tok.logprob <= 0 for tok in gen.tokens)
    (True, True)
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from jupyter_api_kit.local.models import continuation
from jupyter_api_kit.local.models.adapter import Adapter, model_to_bytes, parse_model_bytes
from jupyter_api_kit.local.models.answers import plan_answer
from jupyter_api_kit.local.models.context import render_messages
from jupyter_api_kit.local.models.continuation import Conditioning
from jupyter_api_kit.local.models.decoder import AnswerDecoder, Wording
from jupyter_api_kit.local.models.finetune import FineTuneTrainer
from jupyter_api_kit.local.models.generation import Generation, validate_sampling
from jupyter_api_kit.local.models.knowledge import Knowledge, base_knowledge, build_knowledge, split_paragraphs
from jupyter_api_kit.local.models.mixture import DEFAULT_MIXTURE, Mixture
from jupyter_api_kit.local.models.ngram import UNKNOWN
from jupyter_api_kit.local.models.tokenizer import pretokenize

__all__ = ["DEFAULT_LANGUAGE_MODEL", "DEFAULT_MIXTURE", "LANGUAGE_MODELS",
           "Conditioning", "LanguageModel", "Knowledge", "Mixture", "build_knowledge",
           "get_language_model", "load_model_bytes", "split_paragraphs"]

DEFAULT_LANGUAGE_MODEL = "local-ngram"
LANGUAGE_MODELS = {
    "local-ngram": "Offline model that answers from the conversation's facts and its own corpus, "
                   "in whole sentences; trigram Kneser-Ney for wording; honest logprobs.",
    "local-ngram-small": "Offline variant of local-ngram with a bigram for wording and raw-text continuations.",
}
_ORDERS = {"local-ngram": 3, "local-ngram-small": 2}

_models: dict[str, LanguageModel] = {}
_lock = threading.Lock()


def get_language_model(model_id: str = DEFAULT_LANGUAGE_MODEL) -> LanguageModel:
    """The cached base model for an id in LANGUAGE_MODELS; KeyError for any other id.

    Example:
        >>> get_language_model("local-ngram") is get_language_model("local-ngram")
        True
    """
    if model_id not in LANGUAGE_MODELS:
        raise KeyError(model_id)
    model = _models.get(model_id)
    if model is None:
        knowledge = base_knowledge(_ORDERS[model_id])
        with _lock:
            model = _models.setdefault(model_id, LanguageModel(model_id, knowledge))
    return model


class LanguageModel:
    """A local language model: base knowledge plus, after fine-tuning, an adapter.

    Example:
        >>> m = get_language_model("local-ngram")
        >>> m.id, m.count_tokens("Hello, world!")
        ('local-ngram', 4)
    """

    eos_id = 0

    def __init__(self, model_id: str, base: Knowledge, adapter: Adapter | None = None,
                 base_model: LanguageModel | None = None, mixture: Mixture = DEFAULT_MIXTURE):
        self.id = model_id
        self.mixture = mixture
        self.base = base
        self.base_model = base_model or self  # the untuned model a fine-tuned one grew from
        self.base_id = self.base_model.id
        self.adapter = adapter  # None for a base model
        self.knowledge = adapter.knowledge if adapter is not None else base
        ngrams, weights = [base.ngram], [1.0]
        if adapter is not None and adapter.weight > 0:
            ngrams.append(adapter.ngram)
            weights.append(adapter.weight)
        self.wording = Wording(ngrams, weights)

    def __repr__(self) -> str:
        return f"<LanguageModel {self.id!r}, {len(self.vocabulary)} tokens>"

    @property
    def vocabulary(self) -> list[str]:
        """Token strings the model can produce; index 0 is the end-of-answer token."""
        return self.knowledge.vocabulary

    def encode(self, text: str) -> list[str]:
        """Token strings of a text; `"".join(model.encode(text)) == text` for any text.

        Example:
            >>> get_language_model().encode("The dog is happy. Zebras!")
            ['The', ' dog', ' is', ' happy', '.', ' Z', 'eb', 'ra', 's', '!']
        """
        return self.knowledge.tokenizer.encode(text)

    def count_tokens(self, text: str) -> int:
        """Number of tokens of a text.

        Example:
            >>> get_language_model().count_tokens("")
            0
        """
        return len(self.encode(text))

    # -- distributions ------------------------------------------------------------------------

    def condition(self, context: str | Sequence[str]) -> Conditioning:
        """What a raw text prompt fixes for a request (see `continuation.Conditioning`)."""
        return continuation.condition(self, context)

    def distribution(self, cond: Conditioning, history: Sequence[int]) -> np.ndarray:
        """P(next token | history) of a raw text continuation, given ids of the tokens so far."""
        return continuation.distribution(self, cond, history)

    def decoder(self, context):
        """A fresh decoder for `context` (chat messages, a prompt string, or its token strings):
        `tokens` (the request's vocabulary), `probabilities()` (P of the next token) and
        `advance(token_id)`. Generation, scoring and `next_distribution` all go through it.

        Example:
            >>> dec = get_language_model().decoder("The planets")
            >>> p = dec.probabilities(); dec.advance(int(p.argmax())); len(dec.tokens) == len(p)
            True
        """
        if isinstance(context, str) or (context and isinstance(context[0], str)):
            return continuation.NGramDecoder(self, self.condition(context))
        plan = plan_answer(self.knowledge, list(context), adapter=self.adapter)
        return AnswerDecoder(self.knowledge, plan, self.wording, eos=self.eos_id)

    def prompt_tokens(self, context) -> int:
        """Tokens of a prompt: a string as it is, chat messages as their rendered transcript."""
        if isinstance(context, str):
            return self.count_tokens(context)
        if context and isinstance(context[0], str):
            return len(context)
        return self.count_tokens(render_messages(context))

    def vocabulary_for(self, context) -> list[str]:
        """Tokens of a request's distribution: the vocabulary plus the prompt's new words.

        Example:
            >>> m = get_language_model()
            >>> m.vocabulary_for("Hello") == m.vocabulary
            True
        """
        return self.decoder(context).tokens

    def next_distribution(self, context, generated: Sequence[str] = ()) -> np.ndarray:
        """P(next token) over `vocabulary_for(context)` after the prompt and the generated tokens.

        This is the distribution `generate` samples from and reports logprobs of: for the i-th
        token it yields, pass the texts of the tokens yielded before it.

        Example:
            >>> m = get_language_model()
            >>> p = m.next_distribution("The planets")
            >>> bool(abs(p.sum() - 1) < 1e-9), bool((p > 0).all())
            (True, True)
        """
        dec = self.decoder(context)
        index = {t: i for i, t in enumerate(dec.tokens)}
        for t in generated:
            dec.advance(index.get(t, UNKNOWN))
        return dec.probabilities()

    def generate(self, context, max_tokens: int | None = None, temperature: float = 1.0,
                 top_p: float = 1.0, seed: int | None = None, stop=None,
                 top_logprobs: int = 0) -> Generation:
        """Start generating an answer to `context` (a prompt string or chat messages); lazy.

        Example:
            >>> gen = get_language_model().generate("Hello!", max_tokens=3, temperature=0)
            >>> len(list(gen)) <= 3 and gen.finish_reason in ("stop", "length")
            True
        """
        stops = validate_sampling(max_tokens, temperature, top_p, stop, top_logprobs)
        return Generation(self.decoder(context), self.prompt_tokens(context), eos=self.eos_id,
                          max_tokens=max_tokens, temperature=temperature, top_p=top_p, seed=seed,
                          stop=stops, top_logprobs=top_logprobs)

    def token_scores(self, context, answer: str) -> list[tuple[float, bool]]:
        """(log P, whether it was the most probable token) of each token of `answer` as the reply to
        `context`, then of the end-of-answer token; a token the model cannot produce ends the list
        with -inf.

        Example:
            >>> scores = get_language_model().token_scores("Hi", "Hello!")
            >>> len(scores), all(lp < 0 for lp, _ in scores)
            (3, True)
        """
        dec = self.decoder(context)
        index = {t: i for i, t in enumerate(dec.tokens)}
        ids = []
        for piece in pretokenize(answer):
            if piece in index:
                ids.append(index[piece])
            else:
                ids.extend(index.get(t) for t in self.knowledge.tokenizer.split_pretoken(piece))
        out = []
        for i in ids + [self.eos_id]:
            p = dec.probabilities()
            if i is None:
                return out + [(float("-inf"), False)]
            out.append((float(np.log(p[i])), int(np.argmax(p)) == i))
            dec.advance(i)
        return out

    def logprob(self, context, answer: str) -> float:
        """Total log-probability of `answer` (followed by end-of-answer) as the reply to `context`.

        Example:
            >>> get_language_model().logprob("Hi", "Hello!") < 0
            True
        """
        return sum(lp for lp, _ in self.token_scores(context, answer))

    # -- fine-tuning ---------------------------------------------------------------------------

    def fine_tune(self, texts, n_epochs=3, learning_rate_multiplier: float = 1.0,
                  seed: int | None = None, batch_size: int | None = None) -> FineTuneTrainer:
        """A lazy `FineTuneTrainer` over training examples; see `adapter` for the formats.

        Example:
            >>> trainer = get_language_model().fine_tune(["Zorblax is a purple moon."], n_epochs=2, seed=0)
            >>> [round(step.epoch) for step in trainer]
            [1, 2]
        """
        return FineTuneTrainer(self, texts, n_epochs=n_epochs,
                               learning_rate_multiplier=learning_rate_multiplier, seed=seed,
                               batch_size=batch_size)

    def to_bytes(self) -> bytes:
        """Compact serialized form: the base id plus the adapter (never the base model itself)."""
        return model_to_bytes(self)

    @classmethod
    def from_bytes(cls, blob: bytes) -> LanguageModel:
        """The model saved by `to_bytes`; ValueError for anything else.

        Example:
            >>> m = get_language_model("local-ngram-small")
            >>> LanguageModel.from_bytes(m.to_bytes()) is m
            True
        """
        model_id, base_id, adapter = parse_model_bytes(blob)
        if base_id not in LANGUAGE_MODELS:
            raise ValueError(f"not a serialized local model: unknown base model {base_id!r}")
        base_model = get_language_model(base_id)
        if adapter is None and model_id == base_model.id:
            return base_model
        examples, strength = adapter or ([], 0.0)
        return cls(model_id, base_model.base, Adapter(base_model, examples, strength),
                   base_model=base_model)


def load_model_bytes(blob: bytes) -> LanguageModel:
    """Module-level alias of `LanguageModel.from_bytes`."""
    return LanguageModel.from_bytes(blob)
