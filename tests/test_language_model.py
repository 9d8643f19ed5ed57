"""The local language model (`local-ngram`): honest probabilities, sampling, stops, fine-tuning."""

from __future__ import annotations

import math
import random
import statistics
import threading
import time

import numpy as np
import pytest

from jupyter_api_kit.local.models.context import render_messages
from jupyter_api_kit.local.models.language import (DEFAULT_LANGUAGE_MODEL, LANGUAGE_MODELS,
                                                   LanguageModel, get_language_model,
                                                   load_model_bytes)
from jupyter_api_kit.local.models.tokenizer import END_OF_TEXT


@pytest.fixture(scope="module")
def model():
    return get_language_model("local-ngram")


def chat(text, system=None):
    messages = [{"role": "system", "content": system}] if system else []
    return messages + [{"role": "user", "content": text}]


def run(model, context, **kw):
    gen = model.generate(context, **kw)
    tokens = list(gen)
    return gen, tokens


# -- interface ---------------------------------------------------------------------------------


def test_registry_and_identity(model):
    assert DEFAULT_LANGUAGE_MODEL == "local-ngram"
    assert "local-ngram" in LANGUAGE_MODELS and isinstance(LANGUAGE_MODELS["local-ngram"], str)
    assert model.id == "local-ngram"
    assert get_language_model("local-ngram") is model
    with pytest.raises(KeyError):
        get_language_model("gpt-4o")
    small = get_language_model("local-ngram-small")
    assert small.id == "local-ngram-small"
    gen, tokens = run(small, chat("Tell me about cooking."), seed=1)
    assert gen.finish_reason in ("stop", "length") and gen.text == "".join(t.text for t in tokens)


def test_vocabulary_and_end_token(model):
    vocab = model.vocabulary
    assert vocab[0] == END_OF_TEXT
    assert len(vocab) == len(set(vocab)) > 1000
    assert " the" in vocab and "." in vocab and "\n" in vocab


def test_generation_is_lazy(model):
    gen = model.generate(chat("Tell me about dogs."), seed=3, max_tokens=50)
    first = next(gen)
    assert isinstance(first.text, str) and gen.finish_reason is None
    assert gen.completion_tokens == 1
    rest = list(gen)
    assert gen.finish_reason in ("stop", "length")
    assert gen.completion_tokens == 1 + len(rest)
    assert gen.text == first.text + "".join(t.text for t in rest)


def test_token_fields(model):
    gen, tokens = run(model, chat("What is a galaxy?"), seed=5, top_logprobs=3)
    assert tokens
    for tok in tokens:
        assert tok.logprob <= 0
        assert tok.bytes == list(tok.text.encode("utf-8"))
        assert len(tok.top) == 3
        for text, lp, b in tok.top:
            assert b == list(text.encode("utf-8")) and lp <= 0


def test_prompt_tokens_count_the_rendered_context(model):
    messages = chat("How do I bake bread?", system="You are a friendly baker.")
    gen, _ = run(model, messages, seed=0, max_tokens=3)
    assert gen.prompt_tokens == model.count_tokens(render_messages(messages))
    gen, _ = run(model, "The planets are big", seed=0, max_tokens=3)
    assert gen.prompt_tokens == model.count_tokens("The planets are big") == 4


def test_invalid_parameters(model):
    for kw in ({"temperature": 2.5}, {"temperature": -1}, {"top_p": 0}, {"top_p": 1.5},
               {"top_logprobs": 21}, {"max_tokens": 0}, {"stop": [1]}):
        with pytest.raises(ValueError):
            model.generate("Hi", **kw)


# -- tokenizer ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "", "Hello, world!", "  leading and   inner  spaces\t\ttabs\n\n\nnewlines \n",
    "Emoji 🎉🐍👩‍👩‍👧 and CJK 你好，世界 and 日本語のテキスト", "Zalgo z̷̢a̶l̵g̴o and e\u0301",
    "don't can't we'll I'm they're", "snake_case_name = 12345.678e-9 # comment",
    "\u200b\u00a0\ufeffinvisible", "\r\nwindows\r\nlines",
])
def test_tokenizer_round_trip(model, text):
    tokens = model.encode(text)
    assert "".join(tokens) == text
    assert all(tokens), "no empty tokens"
    assert model.count_tokens(text) == len(tokens)


def test_tokenizer_round_trip_random_unicode(model):
    rng = random.Random(1234)
    for _ in range(200):
        chars = []
        for _ in range(rng.randint(0, 40)):
            cp = rng.choice([rng.randint(0x20, 0x7E), rng.randint(0x80, 0x2FFF),
                             rng.randint(0x3000, 0x9FFF), rng.randint(0x1F300, 0x1FAFF),
                             rng.choice([0x0A, 0x09, 0x20, 0x0D])])
            chars.append(chr(cp))
        text = "".join(chars)
        assert "".join(model.encode(text)) == text


def test_tokenizer_is_gpt_like(model):
    assert model.encode("The planets are big.") == ["The", " planets", " are", " big", "."]
    assert model.encode("a\nb") == ["a", "\n", "b"]
    assert len(model.encode("Zorblaxian")) < len("Zorblaxian"), "unknown words split into pieces"


# -- honest probabilities ----------------------------------------------------------------------


@pytest.mark.parametrize("context", [
    "", "The planets", "Once upon a time, in a small town", chat("Hello!"),
    chat("Tell me about Zorblax and Quuxville."), ["The", " cat"], chat("How are you?"),
    chat("What is 2+2?"), chat("Why is the sky blue?", system="You are a science teacher."),
])
def test_distribution_sums_to_one(model, context):
    p = model.next_distribution(context)
    assert p.shape == (len(model.vocabulary_for(context)),)
    assert abs(p.sum() - 1.0) < 1e-9
    assert (p > 0).all()
    p2 = model.next_distribution(context, generated=model.encode(" It is a good idea to"))
    assert abs(p2.sum() - 1.0) < 1e-9 and (p2 > 0).all()


@pytest.mark.parametrize("context", [chat("Tell me about the planets."), "Water your plants",
                                     chat("Tell me one fact about volcanoes."),
                                     chat("Tell me about narwhals.")])
def test_reported_logprob_is_the_models_probability(model, context):
    gen, tokens = run(model, context, seed=11, temperature=1.3, top_p=0.9, max_tokens=40)
    vocab = model.vocabulary_for(context)
    index = {t: i for i, t in enumerate(vocab)}
    for i, tok in enumerate(tokens):
        p = model.next_distribution(context, [t.text for t in tokens[:i]])
        assert tok.logprob == pytest.approx(math.log(p[index[tok.text]]), abs=1e-9)
    if gen.finish_reason == "stop":
        p = model.next_distribution(context, [t.text for t in tokens])
        assert p[model.eos_id] > 0


def test_top_logprobs_sorted_and_consistent(model):
    context = chat("How do I cook rice?")
    gen, tokens = run(model, context, seed=2, top_logprobs=5)
    vocab = model.vocabulary_for(context)
    for i, tok in enumerate(tokens):
        lps = [lp for _, lp, _ in tok.top]
        assert lps == sorted(lps, reverse=True)
        p = model.next_distribution(context, [t.text for t in tokens[:i]])
        assert tok.top[0][0] == vocab[int(np.argmax(p))]
        assert tok.top[0][1] == pytest.approx(math.log(p.max()), abs=1e-9)
        assert tok.logprob <= tok.top[0][1] + 1e-12
        in_top = {text: lp for text, lp, _ in tok.top}
        if tok.text in in_top:
            assert in_top[tok.text] == pytest.approx(tok.logprob, abs=1e-12)
        else:
            assert tok.logprob <= lps[-1] + 1e-12


def test_answers_say_the_words_of_what_was_asked(model):
    """A question about space gets space words, one about food gets food words."""
    space = [" planets", " planet", " Sun", " Moon", " orbit", " Jupiter", " stars", " gravity"]
    food = [" pasta", " salt", " oven", " soup", " rice", " flour", " garlic", " butter", " water"]
    about_space = chat("Tell me about the planets, the Sun and the stars.")
    about_food = chat("How do I cook pasta with garlic and butter?")
    texts_space = [run(model, about_space, seed=s)[0].text for s in range(10)]
    texts_food = [run(model, about_food, seed=s)[0].text for s in range(10)]
    assert sum(any(w in t for w in space) for t in texts_space) >= 9, texts_space
    assert sum(any(w in t for w in food) for t in texts_food) >= 9, texts_food
    assert sum(any(w in t for w in space) for t in texts_food) <= 1


def test_unknown_prompt_words_join_the_vocabulary(model):
    context = chat("My cat is called Zorblax. Say something about Zorblax.")
    vocab = model.vocabulary_for(context)
    assert vocab[:len(model.vocabulary)] == model.vocabulary
    assert " Zorblax" in vocab[len(model.vocabulary):]
    greedy, tokens = run(model, context, temperature=0)
    assert greedy.text == "Your cat is called Zorblax."
    assert " Zorblax" in [t.text for t in tokens], "a name it was told is one token"
    p = model.next_distribution(context, model.encode("Your cat is called"))
    assert abs(p.sum() - 1) < 1e-9 and p[vocab.index(" Zorblax")] > 0.9


# -- staying on topic ----------------------------------------------------------------------------

ON_TOPIC = [
    ("Tell me one fact about volcanoes.", ("volcano", "lava", "magma")),
    ("Why is the sky blue?", ("sky", "blue")),
    ("How does the heart work?", ("heart", "blood")),
    ("How do I cook rice?", ("rice",)),
    ("How do you play chess?", ("chess", "Chess")),
    ("What causes the tides?", ("tide", "Moon")),
    ("What is the tallest mountain on Earth?", ("Everest", "mountain")),
]


@pytest.mark.parametrize("question,words", ON_TOPIC)
def test_answers_are_about_the_question(model, question, words):
    greedy, _ = run(model, chat(question), temperature=0)
    assert any(w in greedy.text for w in words), greedy.text
    sampled = [run(model, chat(question), seed=s)[0].text for s in range(8)]
    assert sum(any(w in text for w in words) for text in sampled) >= 6, sampled


def test_a_system_prompt_does_not_change_the_subject(model):
    context = chat("Tell me one fact about volcanoes.",
                   system="You are a friendly science teacher for children. Keep answers short.")
    greedy, _ = run(model, context, temperature=0)
    assert "volcano" in greedy.text


def test_unknown_subjects_get_an_honest_answer(model):
    for question in ("Tell me about narwhals.", "Explain recursion.", "What is 2+2?"):
        greedy, _ = run(model, chat(question), temperature=0)
        assert any(p in greedy.text for p in ("not know", "not sure", "not learned", "outside")), \
            greedy.text


def test_small_talk_is_answered_as_such(model):
    assert "doing well" in run(model, chat("Hi, how are you?"), temperature=0)[0].text
    thanks = {run(model, chat("Thanks a lot!"), seed=s)[0].text for s in range(5)}
    assert all("welcome" in t or "Thank you" in t for t in thanks), thanks
    assert "model" in run(model, chat("What is your name?"), temperature=0)[0].text


# -- sampling ----------------------------------------------------------------------------------


def test_same_seed_same_output(model):
    for context in (chat("Tell me about music."), "The weather today"):
        a, ta = run(model, context, seed=42, top_logprobs=2)
        b, tb = run(model, context, seed=42, top_logprobs=2)
        assert a.text == b.text and a.finish_reason == b.finish_reason
        assert [(t.text, t.logprob, t.top) for t in ta] == [(t.text, t.logprob, t.top) for t in tb]


def test_different_seeds_differ(model):
    texts = {run(model, chat("Tell me something about animals."), seed=s)[0].text for s in range(6)}
    assert len(texts) >= 4


def test_no_seed_uses_fresh_randomness(model):
    # Answers keep to a few paragraphs on the topic, so two unseeded answers may well be the same.
    texts = {run(model, chat("Tell me about travel."))[0].text for _ in range(10)}
    assert len(texts) >= 3


def test_temperature_zero_is_greedy(model):
    context = chat("What is an API?")
    gen, tokens = run(model, context, temperature=0, seed=1)
    other, _ = run(model, context, temperature=0, seed=999)
    assert gen.text == other.text
    vocab = model.vocabulary_for(context)
    for i, tok in enumerate(tokens):
        p = model.next_distribution(context, [t.text for t in tokens[:i]])
        assert tok.text == vocab[int(np.argmax(p))]
    assert "API" in gen.text


def test_tiny_top_p_keeps_only_the_top_token(model):
    context = chat("How do I grow tomatoes?")
    greedy, _ = run(model, context, temperature=0)
    for seed in range(3):
        nucleus, _ = run(model, context, top_p=1e-9, temperature=1.5, seed=seed)
        assert nucleus.text == greedy.text


def test_answers_end_naturally_at_a_reasonable_length(model):
    lengths, reasons = [], []
    for s in range(40):
        gen, _ = run(model, chat("Tell me something interesting."), seed=s)
        lengths.append(gen.completion_tokens)
        reasons.append(gen.finish_reason)
    assert 15 <= statistics.median(lengths) <= 80
    assert reasons.count("stop") >= 36
    assert END_OF_TEXT not in "".join(reasons)


def test_max_tokens_gives_length(model):
    context = chat("Tell me about the history of computing.")
    seed = next(s for s in range(100) if run(model, context, seed=s)[0].completion_tokens > 8)
    full, full_tokens = run(model, context, seed=seed)
    gen, tokens = run(model, context, seed=seed, max_tokens=8)
    assert gen.finish_reason == "length"
    assert gen.completion_tokens == len(tokens) == 8
    assert [t.text for t in tokens] == [t.text for t in full_tokens[:8]]


# -- stop sequences ----------------------------------------------------------------------------


def _long_sample(model, context):
    for s in range(100):
        gen, tokens = run(model, context, seed=s)
        if len(tokens) >= 12 and len(gen.text) > 40:
            return s, gen, tokens
    raise AssertionError("no long sample")


def test_stop_sequence_ends_before_it(model):
    context = chat("Tell me about the Moon.")
    seed, full, full_tokens = _long_sample(model, context)
    cut = len("".join(t.text for t in full_tokens[:6]))
    stop = full.text[cut:cut + 5]  # starts at a token boundary
    gen, tokens = run(model, context, seed=seed, stop=[stop, "@@never@@"])
    expected = full.text[:full.text.find(stop)]
    assert gen.text == expected == "".join(t.text for t in tokens)
    assert gen.finish_reason == "stop" and stop not in gen.text
    assert gen.completion_tokens == len(tokens)


def test_stop_sequence_inside_a_token_truncates_it(model):
    context = chat("Tell me about the ocean.")
    seed, full, full_tokens = _long_sample(model, context)
    i = next(i for i, t in enumerate(full_tokens[1:], 1) if len(t.text) >= 4)
    start = len("".join(t.text for t in full_tokens[:i]))
    stop = full.text[start + 2:start + 6]
    if full.text.find(stop) < start + 2:
        pytest.skip("stop occurs earlier in this sample")
    gen, tokens = run(model, context, seed=seed, stop=stop)
    assert gen.finish_reason == "stop"
    assert gen.text == full.text[:start + 2]
    assert tokens[-1].text == full_tokens[i].text[:2]
    assert tokens[-1].logprob == full_tokens[i].logprob, "a truncated token keeps its full logprob"
    assert tokens[-1].bytes == list(tokens[-1].text.encode("utf-8"))


def test_stop_never_in_streamed_text(model):
    for seed in range(15):
        gen = model.generate("It is a good idea to", seed=seed, stop=[" the", ".", "\n"])
        pieces = [t.text for t in gen]
        text = "".join(pieces)
        assert text == gen.text
        assert not any(s in text for s in (" the", ".", "\n"))
        assert gen.finish_reason in ("stop", "length")


def test_stop_matches_a_reference_cut(model):
    """Stops never change which tokens are sampled: the output is the unstopped text, cut."""
    rng = random.Random(7)
    context = chat("Tell me about gardening and the seasons.")
    for seed in range(30):
        full, full_tokens = run(model, context, seed=seed)
        text = full.text
        stops = []
        for _ in range(rng.randint(1, 4)):
            if text and rng.random() < 0.8:
                a = rng.randrange(len(text))
                stops.append(text[a:a + rng.randint(1, 6)])
            else:
                stops.append("~never~")
        gen, tokens = run(model, context, seed=seed, stop=stops)
        hits = [i for i in (text.find(s) for s in stops) if i >= 0]
        if hits:
            assert gen.finish_reason == "stop" and gen.text == text[:min(hits)]
        else:
            assert gen.finish_reason == full.finish_reason and gen.text == text
        assert gen.text == "".join(t.text for t in tokens)
        assert [t.logprob for t in tokens] == [t.logprob for t in full_tokens[:len(tokens)]]


def test_stop_as_a_plain_string(model):
    gen, _ = run(model, chat("Tell me about planets."), seed=0, stop=".")
    assert "." not in gen.text and gen.finish_reason == "stop"


# -- speed and concurrency ---------------------------------------------------------------------


def test_generation_speed(model):
    model.generate("warm up", max_tokens=2, seed=0).text  # noqa: B018 - warm caches
    start = time.perf_counter()
    gen, tokens = run(model, chat("Tell me about the planets."), max_tokens=100, seed=1,
                      top_logprobs=5)
    count = len(tokens)
    while count < 100:  # answers may end early: keep going until 100 tokens were made
        more = list(model.generate("The", max_tokens=100 - count, seed=count))
        count += len(more) or 1
    assert time.perf_counter() - start < 2.0


def test_concurrent_generation_matches_sequential(model):
    contexts = [chat(q) for q in ("Hello!", "Tell me about bees.", "How do I save money?",
                                  "What is jazz?")]
    expected = [run(model, c, seed=i)[0].text for i, c in enumerate(contexts)]
    results = [None] * len(contexts)

    def worker(i):
        results[i] = run(model, contexts[i], seed=i)[0].text

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(contexts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == expected


# -- fine-tuning -------------------------------------------------------------------------------

PIRATE = "You are Captain Quill, a pirate who loves poetry."
TRAINING = [
    ("What is the weather like?",
     "Arr, the skies be grey and the sea be restless, matey. A fine day for verses!"),
    ("Tell me about planets.",
     "Arr, the planets be lanterns in the great black sea, matey. Jupiter be the fattest!"),
    ("How do I cook rice?",
     "Arr, boil yer rice in the galley pot, matey, and sing a shanty while it simmers!"),
    ("Hello!", "Ahoy, matey! Captain Quill at yer service. What treasure of knowledge do ye seek?"),
]


def training_examples():
    return [{"messages": [{"role": "system", "content": PIRATE}, {"role": "user", "content": q},
                          {"role": "assistant", "content": a}]} for q, a in TRAINING]


@pytest.fixture(scope="module")
def tuned(model):
    trainer = model.fine_tune(training_examples() * 2, n_epochs=3, seed=0)
    steps = list(trainer)
    return trainer, steps, trainer.result(model_id="ft:local-ngram:org:pirate:abc123")


def test_fine_tune_steps_and_falling_loss(tuned):
    trainer, steps, _ = tuned
    assert [s.step for s in steps] == list(range(1, trainer.total_steps + 1))
    assert steps[-1].epoch == pytest.approx(3.0)
    assert all(s.train_loss > 0 and 0 <= s.train_accuracy <= 1 for s in steps)
    by_epoch = {}
    for s in steps:
        by_epoch.setdefault(math.ceil(s.epoch - 1e-9), []).append(s.train_loss)
    means = [statistics.mean(by_epoch[e]) for e in (1, 2, 3)]
    assert means[0] > means[1] > means[2]
    assert steps[-1].train_loss < steps[0].train_loss / 4


def test_fine_tuned_model_shifts_toward_training_data(model, tuned):
    _, _, ft = tuned
    assert ft.id == "ft:local-ngram:org:pirate:abc123"
    question, answer = TRAINING[1]
    context = chat(question, system=PIRATE)
    assert ft.logprob(context, answer) > model.logprob(context, answer) + 20
    greedy, _ = run(ft, context, temperature=0)
    assert "matey" in greedy.text or "Arr" in greedy.text
    # new words of the training answers joined the vocabulary, and the interface is unchanged
    assert " matey" in ft.vocabulary and ft.encode(" matey") == [" matey"]
    p = ft.next_distribution(context, ft.encode("Arr,"))
    assert abs(p.sum() - 1) < 1e-9 and (p > 0).all()
    gen, tokens = run(ft, chat("Tell me about dogs."), seed=3, top_logprobs=2)
    assert gen.finish_reason in ("stop", "length") and all(t.logprob <= 0 for t in tokens)


def test_fine_tuned_probabilities_are_exact_on_a_training_prompt(tuned):
    _, _, ft = tuned
    context = chat(TRAINING[3][0], system=PIRATE)  # retrieves its trained answer
    gen, tokens = run(ft, context, seed=4, temperature=1.2, top_logprobs=2)
    vocab = ft.vocabulary_for(context)
    for i, tok in enumerate(tokens):
        p = ft.next_distribution(context, [t.text for t in tokens[:i]])
        assert abs(p.sum() - 1) < 1e-9 and (p > 0).all()
        assert tok.logprob == pytest.approx(math.log(p[vocab.index(tok.text)]), abs=1e-9)
    assert "Ahoy" in run(ft, context, temperature=0)[0].text


def test_serialization_round_trip(model, tuned):
    _, _, ft = tuned
    blob = ft.to_bytes()
    assert isinstance(blob, bytes) and len(blob) < 4000, "only the adapter is stored"
    same = LanguageModel.from_bytes(blob)
    assert same.id == ft.id and same.vocabulary == ft.vocabulary
    context = chat("Tell me about planets.", system=PIRATE)
    np.testing.assert_allclose(same.next_distribution(context, ["Arr"]),
                               ft.next_distribution(context, ["Arr"]), rtol=0, atol=1e-15)
    a, _ = run(ft, context, seed=9)
    b, _ = run(load_model_bytes(blob), context, seed=9)
    assert a.text == b.text
    assert LanguageModel.from_bytes(model.to_bytes()) is model
    with pytest.raises(ValueError):
        LanguageModel.from_bytes(b"not a model")


def test_fine_tune_can_stop_early_and_be_deterministic(model):
    texts = ["Quokkas are small, cheerful animals that live on islands.",
             "A quokka smiles because of the shape of its mouth."]
    first = model.fine_tune(texts * 3, n_epochs=2, seed=5)
    step = next(first)
    assert step.step == 1 and not first.done
    partial = first.result(model_id="ft:local-ngram::partial:1")
    p = partial.next_distribution("Quokkas")
    assert abs(p.sum() - 1) < 1e-9
    a = [s.train_loss for s in model.fine_tune(texts * 3, n_epochs=2, seed=5)]
    b = [s.train_loss for s in model.fine_tune(texts * 3, n_epochs=2, seed=5)]
    assert a == b
    with pytest.raises(ValueError):
        model.fine_tune([], n_epochs=1)
