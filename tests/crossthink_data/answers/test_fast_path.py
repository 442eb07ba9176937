"""The math fast path: pairs it decides without math-verify, and that it never overrules math-verify.

Hand-written verdicts first (what the notation means); then every pair of a fixed sample of real
MATH-500 golds that the number-vs-other rules decide is also sent to math-verify, whose verdict
must be the same (the fast path is a shortcut, never a second opinion).
"""

from __future__ import annotations

import json
import random

import pytest

from crossthink_data.answers import math_answer
from crossthink_data.answers.closed_form import is_nonconstant
from crossthink_data.answers.math_answer import fast_verdict, number_readings, verifier_form
from crossthink_data.answers.verifier import get_pool
from tests.helpers.paths import TEST_DATA

DATA = TEST_DATA / "answers"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8n^2+4n+1", True),
        ("2k", True),
        ("3R^2", True),
        ("x-x", False),  # constant
        ("(x+1)^2-x^2-2x", False),  # constant: 1
        ("2i", False),  # i may be the imaginary unit
        ("e^2", False),  # e may be Euler's number
        ("ab", False),  # two letters in a row: maybe a word or a unit
        ("6m", True),
        ("5", False),
    ],
)
def test_is_nonconstant(text, expected):
    assert is_nonconstant(text) is expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("90^\\circ", (90.0, 0.5 * 3.141592653589793)),
        ("2516_8", (2516.0, 1358.0)),
        ("29_8", (29.0,)),  # 9 is no base-8 digit
        ("5.4 \\text{ cents}", (5.4,)),
        ("15\\mbox{ cm}^2", (15.0,)),
        ("3 \\text{ thousand}", ()),  # a multiplier, not a unit
        ("\\text{even}", ()),
        ("x=5", ()),
    ],
)
def test_number_readings(raw, expected):
    readings = number_readings(raw, math_answer.canonical(raw))
    assert readings == pytest.approx(expected)


@pytest.mark.parametrize(
    ("gold", "answer", "expected"),
    [
        ("120^\\circ", "10", False),
        ("90^\\circ", "90", None),  # equal under one reading: math-verify decides
        ("\\frac{\\pi}{2}", "90^\\circ", None),  # equal in radians: math-verify decides
        ("2516_8", "60", False),
        ("2516_8", "1358", None),  # the base-8 value: math-verify decides
        ("5.4 \\text{ cents}", "5", False),
        ("2", "\\text{even}", False),
        ("8n^2 + 4n + 1", "59", False),
        ("3", "x", False),
        ("0", "x-x", None),
        ("5", "6 \\text{ m}", False),
        ("6", "6 \\text{ m}", None),
        ("1", "\\sin^2 x + \\cos^2 x", None),
    ],
)
def test_number_vs_other(gold, answer, expected):
    assert fast_verdict(verifier_form(gold), verifier_form(answer)) is expected


def test_decided_pairs_agree_with_math_verify():
    golds = [json.loads(line)["answer"] for line in (DATA / "math500_answers.jsonl").read_text().splitlines()]
    rng = random.Random(10)
    decided = []
    while len(decided) < 120:
        gold, answer = verifier_form(rng.choice(golds)), verifier_form(rng.choice(golds))
        verdict = fast_verdict(gold, answer)
        if (
            verdict is not None
            and math_answer._number_vs_other(
                math_answer.canonical(gold), math_answer.canonical(answer), gold, answer
            )
            is not None
        ):
            decided.append((gold, answer, verdict))
    pool = get_pool()
    disagreements = [(g, a, v) for g, a, v in decided if pool.verify(g, a, 10.0) != v]
    assert disagreements == []
