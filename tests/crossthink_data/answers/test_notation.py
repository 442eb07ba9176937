"""Answer notation: the same answer spelled another way is the same answer (issue 10, item 8).

Expected verdicts are written by hand from what the notation means.
"""

from __future__ import annotations

import pytest

from crossthink_data.answers import is_equivalent
from crossthink_data.answers.latex import normalize_notation


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("28 percent", "28\\%"),
        ("28 pct", "28\\%"),
        ("28pct.", "28\\%"),
        ("28 percentage", "28\\%"),
        ("28\\ \\text{percent}", "28\\%"),
        ("28\\textnormal{ pct}", "28\\%"),
        ("3 percentage points", "3 percentage points"),  # a difference of percentages, not a percentage
        ("the percent sign", "the percent sign"),  # no number before it
        ("x != 5", "x \\neq  5"),
        ("x\\ne5", "x\\neq 5"),
        ("x \u2260 5", "x \\neq  5"),
        ("x \\neq 5", "x \\neq 5"),
        ("\\neg p", "\\neg p"),
    ],
)
def test_normalize_notation(text, expected):
    assert normalize_notation(text) == expected


@pytest.mark.parametrize(
    ("gold", "answer", "expected"),
    [
        ("28\\%", "28 percent", True),
        ("28\\%", "28 pct", True),
        ("28\\%", "28\\ \\text{percent}", True),
        ("28\\%", "28\\textnormal{ percent}", True),
        ("28\\%", "0.28", True),
        ("0.28", "28 pct", True),
        ("28\\%", "29 percent", False),
        ("28\\%", "28 pct of 50", False),
        ("x \\neq 5", "x != 5", True),
        ("x \\neq 5", "x \u2260 5", True),
        ("x \\ne 5", "x \\neq 5", True),
        ("x \\neq 5", "x = 5", False),
        ("x \\neq 5", "x != 6", False),
        ("5\\textnormal{ cm}", "5", True),
        ("5\\textnormal{ cm}", "5 \\text{ cm}", True),
        ("12\\textnormal{ m}^2", "13", False),
        ("\\textnormal{Evelyn}", "\\text{Evelyn}", True),
        ("\\textnormal{Evelyn}", "Briana", False),
    ],
)
def test_math_notation(gold, answer, expected):
    assert is_equivalent(gold, answer, "math", timeout=5.0) is expected


@pytest.mark.parametrize(
    ("gold", "answer", "expected"),
    [
        ("28%", "28 pct", True),
        ("28%", "28 percent", True),
        ("28%", "27 pct", False),
        ("x \\neq 5", "x != 5", True),
        ("x \\neq 5", "x = 5", False),
        ("\\textnormal{Paris}", "Paris", True),
    ],
)
def test_open_notation(gold, answer, expected):
    assert is_equivalent(gold, answer, "open") is expected
