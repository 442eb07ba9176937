"""The answer-only path (the paper's protocol) against the strict reward (format AND answer).

The paper reads every model's final answer from ``\\boxed{}``, its baseline Qwen2.5-7B *base*
(which writes no ``<think>`` block) included. ``score_batch(..., require_format=False)`` reads the
last box after ``</think>`` when there is one, else the last box of the whole response; ``score``
stays strict.
"""

from __future__ import annotations

import pytest

from crossthink_data.answers import extract_final_answer, is_equivalent, score, score_batch

BASELINE_MATH = "We compute 1 + 1 step by step. The answer is $\\boxed{2}$."
BASELINE_MCQ = "Option B matches the definition, so the answer is \\boxed{B}."
ASY_OPTIONS = ["41", "42", "43", "44"]


def _answer_only(responses, golds, kinds, options=None):
    return score_batch(responses, golds, kinds, options, require_format=False)


def test_a_baseline_response_without_think_scores_on_the_answer_alone():
    """Finding 1 of issue 16: both gave 0.0 on the answer-only path before."""
    assert _answer_only([BASELINE_MATH, BASELINE_MCQ], ["2", "B"], ["math", "mcq"], [None, ASY_OPTIONS]) == [
        1.0,
        1.0,
    ]
    assert score(BASELINE_MATH, "2", "math") == 0.0
    assert score(BASELINE_MCQ, "B", "mcq", ASY_OPTIONS) == 0.0


def test_after_think_only_the_final_section_counts():
    """With a </think>, a box inside the reasoning is a draft, not the answer."""
    drafted = "<think>First guess \\boxed{3}, then check.</think> No final box here."
    final = "<think>First guess \\boxed{3}, then check.</think> So \\boxed{2}."
    assert extract_final_answer(drafted) is None
    assert extract_final_answer(final) == "2"
    assert _answer_only([drafted, final], ["3", "2"], ["math", "math"]) == [0.0, 1.0]


def test_last_box_of_a_response_without_think_wins():
    response = "Maybe \\boxed{3}? No: recomputing gives \\boxed{2}."
    assert _answer_only([response, response], ["2", "3"], ["math", "math"]) == [1.0, 0.0]


def test_a_wrong_or_missing_box_still_fails_answer_only():
    assert _answer_only(["The answer is 2."], ["2"], ["math"]) == [0.0]
    assert _answer_only(["\\boxed{C}"], ["B"], ["mcq"], [ASY_OPTIONS]) == [0.0]


@pytest.mark.parametrize("answer", ["B", "B. 42", "B) 42", "(B) 42", "B: 42"])
def test_mcq_gold_label_accepts_label_or_label_plus_description(answer):
    """The paper's MCQ gold holds the label and its description: either form is right."""
    assert is_equivalent("B", answer, "mcq", ASY_OPTIONS)
    response = f"<think>42 is the only one that fits.</think> \\boxed{{{answer}}}"
    assert score(response, "B", "mcq", ASY_OPTIONS) == 1.0
    assert _answer_only([f"So \\boxed{{{answer}}}."], ["B"], ["mcq"], [ASY_OPTIONS]) == [1.0]


@pytest.mark.parametrize("answer", ["B. 43", "B) 41", "A. 42"])
def test_mcq_label_with_another_options_description_is_wrong(answer):
    assert not is_equivalent("B", answer, "mcq", ASY_OPTIONS)
