"""Math judging on the real MATH-500 and AMC23 golds (tests/data/answers).

Expected verdicts come from mathematics: the gold itself, or a rewriting of it worked out by
hand, is right; a different value (worked out by hand) is wrong. Cases the fast path cannot
decide go to math-verify in a worker process, so these also test that path end to end.
"""

from __future__ import annotations

import json
import re
from fractions import Fraction

import pytest

from crossthink_data.answers import is_equivalent, score

THINK = "<think>\nLet me set up the equation and solve it step by step. $x^2 - 5x + 6 = 0$.\n</think>\n"


def _jsonl(name: str) -> list[dict]:
    with open(f"tests/data/answers/{name}") as handle:
        return [json.loads(line) for line in handle]


MATH500 = _jsonl("math500_answers.jsonl")
MATH500_GOLDS = {row["answer"] for row in MATH500}
AMC23 = _jsonl("amc23_answers.jsonl")
INTEGER_GOLDS = [row["answer"] for row in MATH500 if re.fullmatch(r"-?\d+", row["answer"])]


@pytest.mark.parametrize("row", MATH500, ids=[row["unique_id"] for row in MATH500])
def test_every_math500_gold_boxed_verbatim_is_right(row):
    response = THINK + f"Therefore the final answer is $\\boxed{{{row['answer']}}}$."
    assert score(response, row["answer"], "math") == 1.0


@pytest.mark.parametrize("gold", INTEGER_GOLDS[:150])
def test_integer_gold_off_by_one_is_wrong(gold):
    wrong = str(int(gold) + 1)
    assert score(THINK + f"\\boxed{{{wrong}}}", gold, "math") == 0.0


@pytest.mark.parametrize("row", AMC23, ids=[f"amc23-{row['id']}" for row in AMC23])
def test_amc23_float_golds(row):
    gold = str(row["answer"])  # stored as 27.0
    value = int(row["answer"])
    assert score(THINK + f"\\boxed{{{value}}}", gold, "math") == 1.0
    assert score(THINK + f"\\boxed{{{value - 2}}}", gold, "math") == 0.0
    assert score(THINK + f"\\boxed{{{value}.5}}", gold, "math") == 0.0


# (gold from MATH-500, an equivalent answer written by hand)
EQUIVALENT = [
    ("\\frac{14}{3}", "\\dfrac{28}{6}"),
    ("\\frac{14}{3}", "14/3"),
    ("\\frac43", "\\frac{4}{3}"),
    ("\\frac 59", "5/9"),
    ("1.25", "\\frac{5}{4}"),
    ("0.15", "\\frac{3}{20}"),
    ("\\left( 3, \\frac{\\pi}{2} \\right)", "(3, \\frac{\\pi}{2})"),
    ("\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\pi/2)"),
    ("3\\sqrt{13}", "\\sqrt{117}"),
    ("11\\sqrt2", "\\sqrt{242}"),
    ("\\frac{\\sqrt{3}}{3}", "\\frac{1}{\\sqrt{3}}"),
    ("90^\\circ", "90"),
    ("120^\\circ", "120^{\\circ}"),
    ("x=5", "5"),
    ("1,-2", "-2, 1"),
    ("3, 5, 7", "7,5,3"),
    ("6 - 5i", "6-5i"),
    ("(3,4]", "(3, 4]"),
    ("(-\\infty, 0]", "\\left(-\\infty,0\\right]"),
    ("x^3+3x-6", "-6+3x+x^3"),
    ("2k+2", "2(k+1)"),
    ("(a+5)(b+2)", "ab+2a+5b+10"),
    (".0000672", "6.72\\times 10^{-5}"),
    ("10,\\!080", "10080"),
    ("11,\\! 111,\\! 111,\\! 100", "11111111100"),
    ("\\$32,\\!348", "32348"),
    ("864 \\mbox{ inches}^2", "864"),
    ("5.4 \\text{ cents}", "5.4"),
    ("\\text{Evelyn}", "Evelyn"),
    ("\\text{east}", "East"),
    ("\\text{(C)}", "C"),
    ("\\text{(E)}", "(E)"),
    ("2516_8", "2516_{8}"),
    (
        "\\begin{pmatrix} -1/3 \\\\ 2/3 \\\\ 5/3 \\end{pmatrix}",
        "\\begin{pmatrix} -\\frac13 \\\\ \\frac23 \\\\ \\frac53 \\end{pmatrix}",
    ),
    ("\\dfrac{17}{50}", "0.34"),
    ("-\\frac{\\pi}{6}", "-\\pi/6"),
    ("288 \\pi", "288\\pi"),
]

# (gold from MATH-500, a different answer written by hand)
DIFFERENT = [
    ("\\frac{14}{3}", "\\frac{3}{14}"),
    ("\\frac{14}{3}", "4.6667"),  # a rounding, not the value
    ("3\\sqrt{13}", "13\\sqrt{3}"),
    ("\\frac{\\sqrt{3}}{3}", "\\sqrt{3}"),
    ("-\\frac{\\pi}{6}", "\\frac{\\pi}{6}"),
    ("(3,4]", "[3,4]"),
    ("(-\\infty, 0]", "(-\\infty, 0)"),
    ("1,-2", "1,2"),
    ("6 - 5i", "6+5i"),
    ("x^3+3x-6", "x^3+3x+6"),
    ("p - q", "q - p"),
    ("90^\\circ", "45^\\circ"),
    ("\\text{Evelyn}", "Bob"),
    ("\\text{(C)}", "D"),
    ("\\text{(C)}", "C or D"),
    ("\\left( 3, \\frac{\\pi}{2} \\right)", "3"),  # a number for a point
    ("(6,31,-1)", "(6,31,1)"),
    (
        "\\begin{pmatrix} -2 \\\\ -14 \\\\ -7 \\end{pmatrix}",
        "\\begin{pmatrix} 2 \\\\ 14 \\\\ 7 \\end{pmatrix}",
    ),
    ("10,\\!080", "10800"),
    ("1.25", "1.52"),
    ("2k+2", "2k+1"),
    ("\\frac{243}{625}", "\\frac{625}{243}"),
    ("70 \\sqrt{2}", "7\\sqrt{20}"),
]


@pytest.mark.parametrize(("gold", "answer"), EQUIVALENT)
def test_equivalent_forms_are_right(gold, answer):
    assert gold in MATH500_GOLDS, "cases must use real MATH-500 golds"
    assert is_equivalent(gold, answer, "math", timeout=5.0)


@pytest.mark.parametrize(("gold", "answer"), DIFFERENT)
def test_different_values_are_wrong(gold, answer):
    assert gold in MATH500_GOLDS, "cases must use real MATH-500 golds"
    assert not is_equivalent(gold, answer, "math", timeout=5.0)


def test_fraction_golds_in_other_notations():
    """Every MATH-500 gold that is a plain \\frac{a}{b}: a/b is right, b/a and a/(b+1) are wrong."""
    cases = [
        (row["answer"], *map(int, m.groups()))
        for row in MATH500
        if (m := re.fullmatch(r"\\frac\{(\d+)\}\{(\d+)\}", row["answer"]))
    ]
    assert len(cases) >= 30
    for gold, a, b in cases:
        assert is_equivalent(gold, f"{a}/{b}", "math"), gold
        if Fraction(a, b) != Fraction(b, a):
            assert not is_equivalent(gold, f"\\frac{{{b}}}{{{a}}}", "math"), gold
        assert not is_equivalent(gold, f"\\frac{{{a}}}{{{b + 1}}}", "math"), gold


@pytest.mark.parametrize(
    "response",
    [
        "<think>\nSo \\boxed{27}\n</think>\nDone.",  # the box only inside think
        "<think>\nSolving... the answer is \\boxed{27}",  # missing </think>
        "<think>a</think>\n<think>b</think>\n\\boxed{27}",  # two think blocks
        THINK + "\\boxed{27} or \\boxed{28}",  # hedge across boxes
        THINK + "\\boxed{26} \\boxed{27}",
        "\\boxed{27}",  # no reasoning block at all
    ],
)
def test_right_value_in_a_broken_format_scores_zero(response):
    assert score(response, "27.0", "math") == 0.0  # AMC23 problem 0's gold


def test_repeated_same_box_is_fine():
    assert score(THINK + "\\boxed{27}. Double-checking: $\\boxed{27}$", "27.0", "math") == 1.0
