"""Extraction of the final answer and the format rule, on real model-output shapes.

Expected values are the box contents written in each case, never produced by the code.
"""

from __future__ import annotations

import pytest

from crossthink_data.answers import check_format, extract_answer

THINK = "<think>\nThe tower's height h satisfies tan 60 = h/x, so x = h/sqrt(3). Checking option (A)...\n</think>\n"


@pytest.mark.parametrize(
    ("tail", "expected"),
    [
        ("The answer is $\\boxed{B}$.", "B"),
        ("\\boxed{\\text{B}}", "\\text{B}"),
        ("\\boxed{(B)}", "(B)"),
        ("\\fbox{C}", "C"),
        ("Final: \\boxed B", "B"),
        ("Final: $\\boxed 42$", "42"),
        ("\\boxed{\\frac{\\sqrt{3}}{3}}", "\\frac{\\sqrt{3}}{3}"),
        ("\\boxed{\\left( 3, \\frac{\\pi}{2} \\right)}", "\\left( 3, \\frac{\\pi}{2} \\right)"),
        (
            "\\boxed{\\begin{pmatrix} -1/3 \\\\ 2/3 \\end{pmatrix}}",
            "\\begin{pmatrix} -1/3 \\\\ 2/3 \\end{pmatrix}",
        ),
        ("\\boxed{\\{1, 2\\}}", "\\{1, 2\\}"),
        ("First \\boxed{12}, after checking the sign: \\boxed{-12}", "-12"),
        ("\\boxed{5} and some closing words.", "5"),
        ("\\boxed {7}", "7"),
    ],
)
def test_extracts_last_box_after_think(tail, expected):
    assert extract_answer(THINK + tail) == expected


@pytest.mark.parametrize(
    "response",
    [
        "<think>\nSo it is \\boxed{B}.\n</think>\nI am sure about the above.",  # box only inside think
        "<think>\nLet me think about \\boxed{B}",  # no </think>: truncated
        "The answer is \\boxed{B}.",  # no think at all
        THINK + "The answer is \\boxed{}.",  # empty box
        THINK + "The answer is \\boxed{B",  # unclosed box
        THINK + "\\boxed{" + "{" * 200 + "1" + "}" * 200 + "}",  # nesting deeper than any answer
    ],
)
def test_no_answer_extracted(response):
    assert extract_answer(response) is None


def test_skips_an_unclosed_last_box_but_format_fails():
    response = THINK + "\\boxed{B} and also \\boxed{C"
    assert extract_answer(response) == "B"
    assert not check_format(response)


@pytest.mark.parametrize(
    "response",
    [
        THINK + "The answer is $\\boxed{B}$.",
        "  \n" + THINK + "\\boxed{\\dfrac{14}{3}}",
        "<think></think>\\boxed{4}",  # an empty thinking block is still well formed
        THINK + "\\boxed{B}. To confirm: $\\boxed{\\text{B}}$",  # the same answer twice
        THINK + "\\fbox{27}",
        THINK + "\\boxed 27",
    ],
)
def test_format_holds(response):
    assert check_format(response)


@pytest.mark.parametrize(
    "response",
    [
        "<think>\nSo it is \\boxed{B}.\n</think>\nI am sure about the above.",  # box only inside think
        "<think>\nreasoning without an end \\boxed{B}",  # missing </think>
        "reasoning\n</think>\n\\boxed{B}",  # missing <think>
        "Preamble first. " + THINK + "\\boxed{B}",  # think is not the first thing
        THINK + "<think>again</think>\\boxed{B}",  # two think blocks
        "<think>a</think><think>b</think>\\boxed{B}",
        THINK + "\\boxed{A} or \\boxed{B}",  # a hedge across two boxes
        THINK + "\\boxed{}",
        THINK + "\\boxed{   }",
        THINK + "no box here, the answer is B",
        THINK + "\\boxed{B",
        THINK + "\\boxed{" + "x" * 2000 + "}",  # not a final answer
        "</think><think>\\boxed{B}",  # tags in the wrong order
    ],
)
def test_format_fails(response):
    assert not check_format(response)


@pytest.mark.parametrize("value", [None, 42, b"<think></think>\\boxed{1}", ["<think>"]])
def test_non_string_input_is_no_answer(value):
    assert extract_answer(value) is None
    assert not check_format(value)
