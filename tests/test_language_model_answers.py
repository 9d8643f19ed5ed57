"""What the local models answer: facts from the conversation first, new answers to follow-ups, honest
probabilities where there is a choice, tool choice, JSON filled by schema, moderation in context."""

from __future__ import annotations

import json
import math
from enum import Enum

import jsonschema
import pytest
from pydantic import BaseModel

from jupyter_api_kit.local.models.errors import ModelInputError
from jupyter_api_kit.local.models.json_fill import fill
from jupyter_api_kit.local.models.language import get_language_model
from jupyter_api_kit.local.models.moderation import get_moderation_model
from jupyter_api_kit.local.models.sentences import split_sentences
from jupyter_api_kit.local.models.structured import extractor_for, json_answer
from jupyter_api_kit.local.models.tool_choice import arguments_for, choose_function

NOTES = ("The Ostrel market opens every Tuesday in the square of Vemmin. The Vemmin bridge was built in 1820 "
         "by Anna Kolt. Its stones are grey. Mira Solden keeps forty bees on the hill behind the school.")


@pytest.fixture(scope="module")
def model():
    return get_language_model("local-ngram")


def say(model, messages, **kw):
    kw.setdefault("temperature", 0)
    return "".join(t.text for t in model.generate(messages, **kw))


@pytest.mark.parametrize("place", ["system", "user", "tool"])
@pytest.mark.parametrize("question,fact", [("When does the Ostrel market open?", "every Tuesday"),
                                           ("Who built the Vemmin bridge?", "Anna Kolt"),
                                           ("How many bees does Mira Solden keep?", "forty bees")])
def test_facts_given_in_the_conversation_come_first(model, place, question, fact):
    if place == "system":
        messages = [{"role": "system", "content": NOTES}, {"role": "user", "content": question}]
    elif place == "user":
        messages = [{"role": "user", "content": f"Notes: {NOTES}\n\nQuestion: {question}"}]
    else:
        call = {"id": "c1", "type": "function", "function": {"name": "notes", "arguments": "{}"}}
        messages = [{"role": "user", "content": question}, {"role": "assistant", "content": "", "tool_calls": [call]},
                    {"role": "tool", "tool_call_id": "c1", "content": NOTES}]
    greedy = say(model, messages)
    assert fact in greedy
    # Greedy answers state the notes' sentences as they are: never a join of two of them.
    notes = set(split_sentences(NOTES))
    assert all(s in notes for s in split_sentences(greedy)), greedy
    sampled = [say(model, messages, temperature=1.0, seed=s) for s in range(10)]
    assert sum(fact.split()[-1] in text for text in sampled) >= 8, sampled


def test_a_sentence_leaning_on_the_one_before_is_said_with_it(model):
    messages = [{"role": "user", "content": "Notes: Mars is the fourth planet. It has two small moons, Phobos and "
                                            "Deimos.\n\nWhat are the moons of Mars called?"}]
    assert say(model, messages) == "Mars is the fourth planet. It has two small moons, Phobos and Deimos."


def test_follow_ups_get_a_new_answer(model):
    convo = [{"role": "user", "content": "What is a planet?"}]
    first = say(model, convo)
    assert first.startswith("A planet is")
    convo += [{"role": "assistant", "content": first},
              {"role": "user", "content": "And how is a moon different from a planet?"}]
    second = say(model, convo)
    assert "moon" in second and not set(split_sentences(first)) & set(split_sentences(second))
    convo += [{"role": "assistant", "content": second}, {"role": "user", "content": "Tell me more."}]
    third = say(model, convo)
    assert not set(split_sentences(third)) & (set(split_sentences(first)) | set(split_sentences(second)))


def test_a_user_fact_is_said_back_in_the_second_person(model):
    messages = [{"role": "user", "content": "My cat is called Zorblax. What is my cat called?"}]
    assert say(model, messages) == "Your cat is called Zorblax."


def test_subjects_the_model_does_not_know_get_an_honest_answer(model):
    for question in ("Tell me about the tower of Brell.", "Explain quantum chromodynamics."):
        assert "not" in say(model, [{"role": "user", "content": question}]).split(".")[0]


def test_answers_are_as_long_as_asked(model):
    short = say(model, [{"role": "user", "content": "Briefly, tell me about the planets."}])
    long = [say(model, [{"role": "user", "content": "Tell me everything about the planets and the Moon."}],
                temperature=1.0, seed=s) for s in range(4)]
    assert len(split_sentences(short)) == 1
    assert min(len(split_sentences(t)) for t in long) >= 2 and max(len(t) for t in long) > 3 * len(short)


PHRASES = ("Tomas Grell does not sell clocks, and he mends a lot of them in his shop on Linden Street. "
           "Ants soak up water through their legs.")


@pytest.mark.parametrize("messages", [
    [{"role": "system", "content": NOTES}, {"role": "user", "content": "When does the Ostrel market open?"}],
    [{"role": "user", "content": "Tell me about volcanoes."}],
    [{"role": "system", "content": PHRASES}, {"role": "user", "content": "Tell me everything about Tomas Grell."}],
])
@pytest.mark.parametrize("params", [{"temperature": 1.0}, {"temperature": 1.4, "top_p": 0.9},
                                    {"temperature": 0.6, "top_p": 0.5}])
def test_every_logprob_is_the_probability_sampled_from(model, messages, params):
    """Openers, near-equivalent words and phrases, connectors, joins, closings and early ends included."""
    for seed in range(6):
        gen = model.generate(messages, seed=seed, top_logprobs=3, **params)
        tokens = list(gen)
        vocab = model.vocabulary_for(messages)
        index = {t: i for i, t in enumerate(vocab)}
        for i, tok in enumerate(tokens):
            p = model.next_distribution(messages, [t.text for t in tokens[:i]])
            assert abs(p.sum() - 1) < 1e-9 and (p > 0).all()
            assert tok.logprob == pytest.approx(math.log(p[index[tok.text]]), abs=1e-9)
            assert [t for t, _, _ in tok.top] == [vocab[j] for j in sorted(range(len(p)), key=lambda j: (-p[j], j))[:3]]


def test_uncertainty_shows_where_there_is_a_choice(model):
    messages = [{"role": "system", "content": NOTES}, {"role": "user", "content": "When does the Ostrel market open?"}]
    tokens = list(model.generate(messages, temperature=0, top_logprobs=5))
    probs = {t.text: math.exp(t.logprob) for t in tokens}
    assert probs["The"] < 0.8, "how to begin is a real choice"
    assert probs[" Ostrel"] > 0.95 and probs[" Vemmin"] > 0.95, "the source dictates the names"
    assert probs[" every"] < 0.95, "'every' or 'each' is a choice between near-equivalents"
    texts = {say(model, messages, temperature=1.0, seed=s) for s in range(12)}
    assert len(texts) >= 4, "temperature visibly changes the answer"
    narrow = {say(model, messages, temperature=1.0, top_p=0.3, seed=s) for s in range(12)}
    assert narrow == {say(model, messages)}, "a small top_p keeps to the most likely answer"


def test_a_phrase_may_be_worded_another_way_and_the_sentence_goes_on(model):
    messages = [{"role": "system", "content": PHRASES}, {"role": "user", "content": "What does Tomas Grell do?"}]
    assert say(model, messages) == PHRASES.split(". ")[0] + "."
    sampled = [say(model, messages, temperature=1.0, seed=s) for s in range(40)]
    assert any("doesn't sell clocks" in t for t in sampled) and any("does not sell clocks" in t for t in sampled)
    assert any("lots of them" in t for t in sampled) and any("clocks and he" in t for t in sampled)
    for text in sampled:  # whichever wording it takes, the sentence goes on to its end
        assert "Linden Street" in text, text


# Facts none of whose words has another wording, so that each clause of an answer is one of them.
PLAIN = ["Tomas Grell mends clocks for sailors.", "Juno Farrel invented the umbrella hat.",
         "The Brask company sells wooden bicycles."]


def test_sentences_are_joined_and_closed_whole(model):
    from jupyter_api_kit.local.models.answers import CLOSINGS, CONNECTORS, OPENERS
    from jupyter_api_kit.local.models.tokenizer import pretokenize
    from jupyter_api_kit.local.models.wording import alternatives

    for fact in PLAIN:
        pieces = pretokenize(fact)
        assert all(alternatives(w, pieces[k - 1], pieces[k + 1:])[0] == 1.0 for k, w in enumerate(pieces) if k)
    messages = [{"role": "system", "content": " ".join(PLAIN)},
                {"role": "user", "content": "Tell me everything about Tomas Grell, Juno Farrel and the Brask company."}]
    openers = sorted((t for kind in OPENERS.values() for t, _, _ in kind if t), key=len, reverse=True)
    facts = {f[:-1].lower() for f in PLAIN}
    joined = closed = 0
    for seed in range(30):
        text = say(model, messages, temperature=1.0, seed=seed)
        closing = next((c.strip() for c in CLOSINGS if text.endswith(c.strip())), "")
        closed += bool(closing)
        text = text[:len(text) - len(closing)].strip()
        text = next((text[len(o):].strip() for o in openers if text.startswith(o)), text)
        joined += ", and " in text
        for clause in text.rstrip(".").replace(", and ", ". ").split(". "):
            clause = next((clause[len(c.strip()):].strip() for c in CONNECTORS if clause.startswith(c.strip())), clause)
            assert clause.lower() in facts, (clause, text)
    assert joined >= 3 and closed >= 3


# -- tools -----------------------------------------------------------------------------------------------

WEATHER = {"name": "get_weather", "description": "The current weather in a city.",
           "parameters": {"type": "object", "properties": {"city": {"type": "string"},
                                                           "unit": {"enum": ["celsius", "fahrenheit"]}},
                          "required": ["city", "unit"]}}
FINAL = {"name": "final_result", "description": "The final answer.",
         "parameters": {"type": "object", "properties": {"temperature_c": {"type": "integer"}},
                        "required": ["temperature_c"]}}


def user(text):
    return [{"role": "user", "content": text}]


def test_auto_calls_a_tool_only_for_messages_about_it():
    for text in ("What's the weather in Madrid?", "Will it rain in Oslo?", "Is it snowing in Denver?"):
        assert choose_function(user(text), [WEATHER, FINAL], "auto")["name"] == "get_weather", text
    for text in ("Tell me about volcanoes.", "Hello!", "What is a prime number?", "Write a poem about autumn."):
        assert choose_function(user(text), [WEATHER, FINAL], "auto") is None, text
    assert arguments_for(WEATHER, user("Will it rain in Oslo in fahrenheit?")) == {"city": "Oslo",
                                                                                  "unit": "fahrenheit"}


def test_required_and_named_choices():
    call = {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
    answered = user("Weather in Oslo?") + [{"role": "assistant", "content": "", "tool_calls": [call]},
                                           {"role": "tool", "tool_call_id": "c1", "content": '{"temperature_c": 4}'}]
    assert choose_function(answered, [WEATHER, FINAL], "required")["name"] == "final_result"
    assert choose_function(answered, [WEATHER, FINAL], "auto") is None
    assert arguments_for(FINAL, answered) == {"temperature_c": 4}
    named = {"type": "function", "function": {"name": "get_weather"}}
    assert choose_function(answered, [WEATHER, FINAL], named)["name"] == "get_weather"
    with pytest.raises(ModelInputError):
        choose_function(answered, [WEATHER], {"type": "function", "name": "nope"})


# -- JSON --------------------------------------------------------------------------------------------------

class Color(str, Enum):
    red = "red"
    blue = "blue"


class Node(BaseModel):
    label: str
    children: list[Node] = []


class Order(BaseModel):
    customer: str
    color: Color
    quantity: int
    gift: bool | None
    tree: Node


def test_pydantic_schemas_with_refs_enums_recursion_and_nullables_are_filled_validly():
    from openai.lib._pydantic import to_strict_json_schema

    text = "Ella Fitz orders 3 blue mugs."
    for schema in (Order.model_json_schema(), to_strict_json_schema(Order)):
        value = fill(schema, extractor_for(user(text)))
        jsonschema.validate(value, schema)
        order = Order.model_validate(value)
        assert (order.customer, order.color, order.quantity) == ("Ella Fitz", Color.blue, 3)


def test_a_ref_that_leads_nowhere_is_refused():
    with pytest.raises(ModelInputError):
        fill({"$ref": "#/$defs/Nowhere"}, extractor_for(user("hi")))


def test_json_answers_are_whole_and_shaped_by_the_prompt(model):
    messages = [{"role": "system", "content": 'Reply in JSON like {"name": "Ada", "age": 36}.'},
                {"role": "user", "content": "Tomas Grell is 52."}]
    out = json_answer(messages, "", {"type": "json_object"}, 3, model.count_tokens)
    assert json.loads(out.text) == {"name": "Tomas Grell", "age": 52} and out.finish_reason == "stop"
    assert out.tokens == model.count_tokens(out.text)


# -- moderation -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,flagged", [
    ("I would kill for a cup of coffee", False), ("I want to hurt them", True), ("Shoot me an email", False),
    ("I'm going to punch my neighbour", True), ("My feet are killing me", False), ("I will hurt you", True),
    ("The lion killed a zebra", False), ("He had a heart attack", False)])
def test_moderation_reads_idioms_targets_and_intent(text, flagged):
    result = get_moderation_model().classify(text)
    assert result.flagged is flagged, result.scores
