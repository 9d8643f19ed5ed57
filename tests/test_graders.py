"""The graders and text metrics the local server grades evals with: checked against hand-computed values
and the metrics' defining properties."""

from __future__ import annotations

import math
import random

import pytest

from jupyter_api_kit.local.evals import metrics as tm
from jupyter_api_kit.local.core.errors import BadRequest
from jupyter_api_kit.local.core.request_models import read
from jupyter_api_kit.local.evals.request import CreateEvalBody
from jupyter_api_kit.local.evals.graders import (TemplateError, check_criteria, cosine, grade, lookup, render,
                                           string_check)


def lcs_reference(a, b) -> int:
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            table[i + 1][j + 1] = table[i][j] + 1 if x == y else max(table[i][j + 1], table[i + 1][j])
    return table[-1][-1]


def test_bit_parallel_lcs_matches_dynamic_programming():
    rng = random.Random(5)
    for _ in range(500):
        a = "".join(rng.choice("abcde") for _ in range(rng.randint(0, 70)))  # past 64: several machine words
        b = "".join(rng.choice("abcde") for _ in range(rng.randint(0, 70)))
        assert tm.lcs_length(a, b) == lcs_reference(a, b)
    assert tm.lcs_length(["the", "cat"], ["a", "cat"]) == 1


@pytest.mark.parametrize("operation, text, reference, expected", [
    ("eq", "Paris", "Paris", True), ("eq", "Paris", "paris", False),
    ("ne", "Paris", "Lima", True), ("ne", "Paris", "Paris", False),
    ("like", "It is Paris.", "Paris", True), ("like", "It is paris.", "Paris", False),
    ("ilike", "IT IS PARIS", "paris", True), ("ilike", "Lima", "paris", False),
])
def test_string_check_operations(operation, text, reference, expected):
    assert string_check(operation, text, reference) is expected


def test_fuzzy_match_is_the_normalized_indel_similarity():
    assert tm.fuzzy_match("kitten", "sitting") == pytest.approx(2 * 4 / 13)
    assert tm.fuzzy_match("", "") == 1.0 and tm.fuzzy_match("abc", "") == 0.0
    assert tm.fuzzy_match("abc", "abc") == 1.0


def test_bleu_properties():
    assert tm.bleu("the cat sat on the mat", "the cat sat on the mat") == pytest.approx(1.0)
    assert tm.bleu("dog", "the cat sat on the mat") < 0.05
    # shorter than the reference: the brevity penalty applies
    short = tm.bleu("the cat sat", "the cat sat on the mat")
    assert 0 < short < tm.bleu("the cat sat on the mat today", "the cat sat on the mat")
    # every n-gram precision is 1, so BLEU is exactly the brevity penalty exp(1 - 6/3)
    assert short == pytest.approx(math.exp(1 - 6 / 3), rel=1e-9)


def test_gleu_is_min_of_precision_and_recall_over_1_to_4_grams():
    # hypothesis "the cat": 3 n-grams, all in the reference; reference "the cat sat": 6 n-grams
    assert tm.gleu("the cat", "the cat sat") == pytest.approx(3 / 6)
    assert tm.gleu("a b", "c d") == 0.0


def test_rouge_scores():
    assert tm.rouge_n("the cat sat", "The cat sat down", 1) == pytest.approx(2 * (1 * 0.75) / 1.75)
    assert tm.rouge_n("the cat sat", "the cat sat down", 2) == pytest.approx(2 * (1 * 2 / 3) / (1 + 2 / 3))
    assert tm.rouge_n("a b c d e", "a b c d e", 5) == 1.0
    assert tm.rouge_n("a b", "a b", 3) == 0.0  # no trigrams at all
    assert tm.rouge_l("police killed the gunman", "the gunman was shot by police") == pytest.approx(0.4)


def test_meteor_rewards_order_and_stems():
    exact = tm.meteor("the cat sat on the mat", "the cat sat on the mat")
    shuffled = tm.meteor("mat the on sat cat the", "the cat sat on the mat")
    stemmed = tm.meteor("the planets orbit", "the planet orbits")
    assert exact > 0.99 and shuffled < exact and stemmed > 0.9
    assert tm.meteor("nothing alike", "completely different") == 0.0


def test_cosine_uses_the_local_embedding_model():
    assert cosine("The planets orbit the sun.", "The planets orbit the sun.") == pytest.approx(1.0)
    assert cosine("The planets orbit the sun.", "A planet orbits a star.") > cosine(
        "The planets orbit the sun.", "Bake the bread slowly.")


def test_templates_render_nested_values_and_fail_clearly():
    spaces = {"item": {"a": {"b": [10, {"c": "x"}]}, "n": 3}, "sample": {"output_text": "hi"}}
    assert render("{{ item.a.b.1.c }}-{{item.n}}-{{sample.output_text}}", spaces) == "x-3-hi"
    assert render("{{item.a.b}}", spaces) == "[10, {\"c\": \"x\"}]"
    assert lookup("item.a.b.0", spaces) == 10
    with pytest.raises(TemplateError, match="item.missing"):
        render("{{item.missing}}", spaces)


def test_grade_text_similarity_against_the_threshold():
    criterion = check_criteria([{"type": "text_similarity", "name": "r", "input": "{{sample.output_text}}",
                                 "reference": "{{item.ref}}", "evaluation_metric": "rouge_1",
                                 "pass_threshold": 0.5}])[0]
    result = grade(criterion, {"item": {"ref": "the cat sat down"}, "sample": {"output_text": "the cat sat"}})
    assert result["passed"] and result["score"] == pytest.approx(0.857143, abs=1e-6)
    assert result["sample"] == {"input": "the cat sat", "reference": "the cat sat down"}
    low = grade(criterion, {"item": {"ref": "dogs bark"}, "sample": {"output_text": "the cat sat"}})
    assert not low["passed"] and low["score"] == 0


@pytest.mark.parametrize("criteria, param", [
    ([], "testing_criteria"),
    (["x"], "testing_criteria[0]"),
    ([{"type": "string_check", "name": "a", "input": "x", "reference": "y"}], "testing_criteria[0].operation"),
    ([{"type": "string_check", "name": "a", "input": "x", "reference": "y", "operation": "eq"},
      {"type": "string_check", "name": "a", "input": "x", "reference": "y", "operation": "eq"}],
     "testing_criteria[1].name"),
    ([{"type": "text_similarity", "name": "a", "input": "x", "reference": "y", "evaluation_metric": "bleu",
       "pass_threshold": 2}], "testing_criteria[0].pass_threshold"),
    ([{"type": "string_check", "name": "a", "input": "{{items.x}}", "reference": "y", "operation": "eq"}],
     "testing_criteria[0].input"),
    ([{"type": "multi", "name": "m"}], "testing_criteria[0].type"),
    ([{"type": "whatever", "name": "m"}], "testing_criteria[0].type"),
])
def test_check_criteria_names_the_bad_parameter(criteria, param):
    # As `POST /evals` reads them: the declared request model first, then the local server's own rules.
    with pytest.raises(BadRequest) as info:
        read(CreateEvalBody, {"data_source_config": {"type": "custom", "item_schema": {"type": "object"}},
                              "testing_criteria": criteria})
        check_criteria(criteria)
    assert info.value.param == param


def test_item_schema_properties_catch_misspelled_variables():
    good = [{"type": "string_check", "name": "a", "input": "{{item.answer}}", "reference": "y", "operation": "eq"}]
    assert check_criteria(good, item_properties={"answer"})[0]["name"] == "a"
    with pytest.raises(BadRequest, match="properties: answer"):
        check_criteria([{**good[0], "input": "{{item.anwser}}"}], item_properties={"answer"})
