"""Our checker vs math-verify on the short-answer cases of math-verify's own test suite.

``tests/data/answers/math_verify_cases.jsonl`` holds the (gold, answer, expected) rows of
math-verify's tests that are short answers and use verify's default options (README there). Each
row's expected verdict is math-verify's authors', not ours. math-verify is run here with its
default ``parse`` + ``verify``; ours is ``is_equivalent(gold, answer, "math")``.
The rows we still get wrong are listed with a reason in docs/answers.md.
"""

from __future__ import annotations

import json

import pytest
from math_verify import parse, verify

from crossthink_data.answers import is_equivalent
from tests.helpers.paths import TEST_DATA

CASES = TEST_DATA / "answers" / "math_verify_cases.jsonl"
ROWS = [json.loads(line) for line in CASES.read_text(encoding="utf-8").splitlines() if line.strip()]

# (file:line of the row in math-verify's tests) -> why our verdict differs from the expected one
KNOWN_MISSES = {
    "tests/test_all.py:70": "decimal comma: 1000,99 is read as a list, not 1000.99",
    "tests/test_all.py:71": "decimal comma: 1,22 is read as a list, not 1.22",
    "tests/test_all.py:87": "decimal comma: 0,111 is read as a list (math-verify misses it too)",
    "tests/test_all.py:463": "the same line as an equation in another form (math-verify misses it too)",
    "tests/test_all.py:466": "the same ellipse with its equation scaled (math-verify misses it too)",
    "tests/test_numina_cases.py:126": "a gold written as two math spans joined by 'or'",
    "tests/test_yujianll.py:12": "math-verify's own verdict, expected 0 (n=2, 3, 4 vs n=1, 2, 3)",
    "tests/test_yujianll.py:14": "math-verify's own verdict, expected 0 (D = (0, 1) vs D = (0, 1.5))",
    "tests/test_yujianll.py:20": "a reordered sum: our worker's LaTeX-only extraction of the box misses it",
    "tests/test_yujianll.py:28": "expected 1 for 1 - 1/e vs 1 + 1/e: they differ, and we say so",
    "tests/test_yujianll.py:30": "a \\pm gold vs the set of both values (math-verify misses it too)",
    "tests/test_yujianll.py:31": "math-verify's own verdict, expected 0 (12:00 vs 1:00 read as ratios)",
}


def _key(row: dict) -> str:
    return f"{row['file']}:{row['line']}"


@pytest.fixture(scope="module")
def verdicts() -> list[tuple[dict, bool, bool]]:
    """(row, ours, math-verify's) for every row."""
    out = []
    for row in ROWS:
        ours = is_equivalent(row["gold"], row["answer"], "math", timeout=5.0)
        theirs = bool(verify(parse(row["gold"]), parse(row["answer"])))
        out.append((row, ours, theirs))
    return out


def test_cases_are_the_short_answer_rows():
    assert len(ROWS) == 135
    assert len({_key(row) for row in ROWS}) == len(ROWS)
    assert all(len(row["gold"]) <= 80 and len(row["answer"]) <= 80 for row in ROWS)


def test_we_agree_with_the_expected_verdicts_at_least_as_often_as_math_verify(verdicts):
    ours = sum(mine == row["expected"] for row, mine, _ in verdicts)
    theirs = sum(other == row["expected"] for row, _, other in verdicts)
    assert ours >= theirs, f"ours {ours} < math-verify {theirs} of {len(verdicts)}"


def test_remaining_differences_are_the_documented_ones(verdicts):
    misses = {_key(row): (row["gold"], row["answer"]) for row, mine, _ in verdicts if mine != row["expected"]}
    assert set(misses) == set(KNOWN_MISSES), misses
