"""Filter H on real MMLU and MATH-500 rows: each rule keeps what it should and names what it drops."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from crossthink_data.filters import RULE_NAMES, filter_h_failure, is_garbled
from crossthink_data.record import QARecord
from tests.helpers.paths import TEST_DATA
from tests.helpers.records import math_record, mmlu_rows

DATA = TEST_DATA / "foundation"


def mmlu_row(name: str, question_start: str) -> QARecord:
    """The first real MMLU record whose question starts with ``question_start`` (MMLU repeats some rows)."""
    matches = [r for r in mmlu_rows(name) if r.question.startswith(question_start)]
    assert matches, f"no row starts with {question_start!r}"
    return matches[0]


def test_rule_names_are_unique_and_documented():
    assert len(set(RULE_NAMES)) == len(RULE_NAMES)
    assert "gold_not_in_options" in RULE_NAMES and "option_dependent_stem" in RULE_NAMES


def test_which_of_the_following_is_kept_as_mcq_but_dropped_as_open():
    record = mmlu_row("college_physics_test.csv", "Which of the following is true about any system")
    assert record.question.startswith("Which of the following is true")
    assert filter_h_failure(record, "mcq") is None
    assert filter_h_failure(record, "open") == "option_dependent_stem"


def test_of_the_following_comma_is_option_dependent():
    record = mmlu_row("college_physics_test.csv", "White light is normally incident on a puddle")
    assert "Of the following, the most strongly reflected" in record.question
    assert filter_h_failure(record, "open") == "option_dependent_stem"


def test_all_of_the_above_gold_is_dropped_from_open():
    record = mmlu_row("nutrition_test.csv", "Which of the following contributes to vitamin B12 deficiency")
    assert record.answer_text == "All of the above"
    assert filter_h_failure(record, "mcq") is None
    assert filter_h_failure(record, "open") == "option_dependent_stem"
    # Even behind a self-contained stem, such a gold is meaningless without its options.
    record.question = "What contributes to vitamin B12 deficiency in older adults?"
    assert filter_h_failure(record, "open") == "option_dependent_answer"


@pytest.mark.parametrize(
    "gold", ["None of these", "Both A and C", "A, B and D", "(b) or (c)", "options 1 and 2"]
)
def test_option_dependent_golds(gold):
    record = QARecord(
        "syn_qa",
        "gpr",
        "stem",
        "What explains the seasons on Earth?",
        options=["Axial tilt", "Distance to the Sun", gold, "Solar flares"],
        answer="C",
    )
    assert filter_h_failure(record, "open") == "option_dependent_answer"


@pytest.mark.parametrize("gold", ["Andes", "Bohr model", "Oxygen and hydrogen", "Option pricing theory"])
def test_self_contained_golds_that_look_alike_are_kept(gold):
    record = QARecord(
        "syn_qa",
        "gpr",
        "stem",
        "Give the name asked for by this test question.",
        options=[gold, "Alps", "Urals", "Atlas"],
        answer="A",
    )
    assert filter_h_failure(record, "open") is None


def test_long_open_answer_is_dropped():
    record = mmlu_row("college_physics_test.csv", "The quantum efficiency of a photon detector")
    # gold B: "an average of 10 times, with an rms deviation of about 3" is 12 words.
    assert len(record.answer_text.split()) == 12
    assert filter_h_failure(record, "open") == "open_answer_too_long"
    assert filter_h_failure(record, "mcq") is None


def test_ten_word_answer_is_kept_eleven_is_not():
    ten = "one two three four five six seven eight nine ten"
    question = "Name the ten words used to count in this test question."
    assert filter_h_failure(QARecord("s", "gpr", "other", question, ten), "open") is None
    eleven = QARecord("s", "gpr", "other", question, ten + " eleven")
    assert filter_h_failure(eleven, "open") == "open_answer_too_long"


def test_self_contained_mcq_passes_both_templates():
    record = mmlu_row("high_school_macroeconomics_test.csv", "Suppose that an expansionary fiscal policy")
    assert "following" not in record.question.lower()
    assert filter_h_failure(record, "mcq") is None
    assert filter_h_failure(record, "open") in (None, "open_answer_too_long")


def test_real_mmlu_files_drop_counts_are_plausible():
    counts = Counter(filter_h_failure(r, "open") for r in mmlu_rows("college_physics_test.csv"))
    which_of = sum(
        "which of the following" in r.question.lower() for r in mmlu_rows("college_physics_test.csv")
    )
    assert which_of == 28
    assert counts["option_dependent_stem"] >= which_of
    assert counts[None] > 0
    assert all(filter_h_failure(r, "mcq") is None for r in mmlu_rows("college_physics_test.csv"))


def test_gold_must_name_its_option():
    record = mmlu_row("college_physics_test.csv", "Which of the following is true about any system")
    record.answer_text = "Something that is not option C"
    assert filter_h_failure(record, "mcq") == "gold_not_in_options"


def test_duplicate_options_are_ambiguous():
    record = QARecord(
        "syn_qa",
        "gpr",
        "stem",
        "What gas do plants absorb for photosynthesis?",
        options=["Carbon dioxide", "Oxygen", "carbon dioxide.", "Nitrogen"],
        answer="A",
    )
    assert filter_h_failure(record, "mcq") == "duplicate_options"


def test_open_record_cannot_be_rendered_as_mcq():
    assert filter_h_failure(math_record("18"), "mcq") == "mcq_without_options"


def test_all_real_math500_answers_are_checkable():
    rows = [json.loads(line) for line in (DATA / "math500_first120.jsonl").read_text().splitlines()]
    assert len(rows) == 120
    failures = [r["answer"] for r in rows if filter_h_failure(math_record(r["answer"], r["problem"]), "open")]
    assert failures == []


@pytest.mark.parametrize(
    "answer",
    [
        "See the proof above.",
        "The answer depends on the reader and there is no single number that could describe it well",
        "\\frac{1}{2",
        "x" * 200,
    ],
)
def test_non_checkable_math_answers_are_dropped(answer):
    assert filter_h_failure(math_record(answer), "open") == "math_answer_not_checkable"


def test_garbled_and_empty_text():
    assert is_garbled("The grantor \x80\x94grantee index")  # real MMLU mojibake (C1 control chars)
    assert is_garbled("caf\ufffd au lait")
    assert is_garbled("$$$ ### !!! ???")
    assert not is_garbled("What is the capital of France?")
    short = QARecord("s", "gpr", "other", "Keynes", options=["a", "b"], answer="A")
    assert filter_h_failure(short, "mcq") == "empty_or_garbled_question"
