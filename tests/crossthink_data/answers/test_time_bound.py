"""Every ``score`` call returns within its budget, and a batch within its size times the budget
(issue 18, finding 9), on the adversarial math pairs that found the overruns.

Before: ``10^{10^{10^{10}}}`` against ``+1`` and ``9^{9^{9}}`` against ``+1`` took 2.0-2.4 s on a 2 s
budget (the deadline started after the wait for a child and did not count killing it); a batch of 8
took 9.3 s; ``2^{2^{2^{2^{2}}}}`` against ``2^{65536}`` scored 0 (the tower guard refused an equal
answer) and ``\\frac{1}{0}`` matched ``\\frac{2}{0}`` (sympy's ``zoo`` equals itself).
"""

from __future__ import annotations

import time

import pytest

from crossthink_data.answers import score, score_batch, warm_up
from crossthink_data.answers.verifier import get_pool

THINK = "<think>\nWork it out.\n</think>\n"
BUDGET_S = 2.0

# (gold, answer, verdict): the verdict is the mathematical one (a timeout is "wrong", which is the
# right verdict for every unequal pair here).
PAIRS = [
    ("x^2+7x+10", "(x+2)(x+5)", 1.0),  # an ordinary pair that needs math-verify
    ("10^{10^{10^{10}}}", "10^{10^{10^{10}}}+1", 0.0),
    ("10^{10^{10^{10}}}+1", "10^{10^{10^{10}}}", 0.0),
    ("9^{9^{9}}", "9^{9^{9}}+1", 0.0),
    ("9^{9^{9}}", "9^{9^{9}}", 1.0),
    ("2^{65536}", "2^{2^{2^{2^{2}}}}", 1.0),
    ("2^{2^{2^{2^{2}}}}", "2^{65536}", 1.0),
    ("2^{65536}", "2^{2^{2^{2^{2}}}}+1", 0.0),
    ("10^{10^{10^{10}}}", "7", 0.0),
    ("\\frac{2}{0}", "\\frac{1}{0}", 0.0),
    ("\\frac{1}{0}", "\\frac{2}{0}", 0.0),
    ("\\frac{1}{0}", "\\frac{1}{0}", 1.0),
]


@pytest.fixture(scope="module", autouse=True)
def started_children():
    """Each child's first start (importing sympy) is the one wait not charged to a call."""
    warm_up(get_pool().max_children)


def _response(answer: str) -> str:
    return THINK + "The answer is \\boxed{" + answer + "}."


@pytest.mark.parametrize(("gold", "answer", "verdict"), PAIRS, ids=[f"{g} vs {a}" for g, a, _ in PAIRS])
def test_every_score_call_returns_within_its_budget(gold: str, answer: str, verdict: float) -> None:
    start = time.monotonic()
    value = score(_response(answer), gold, "math", timeout=BUDGET_S)
    elapsed = time.monotonic() - start

    assert elapsed <= BUDGET_S, f"{elapsed:.2f} s on a {BUDGET_S} s budget"
    assert value == verdict


def test_back_to_back_timeouts_stay_within_the_budget() -> None:
    """Two killed children in a row: the next calls wait for a replacement inside their budget."""
    slow = ("10^{10^{10^{10}}}", "10^{10^{10^{10}}}+1")
    for _ in range(4):
        start = time.monotonic()
        assert score(_response(slow[1]), slow[0], "math", timeout=BUDGET_S) == 0.0
        assert time.monotonic() - start <= BUDGET_S


def test_a_right_answer_is_right_again_once_killed_children_are_replaced() -> None:
    """The price of the bound: a killed child's replacement starts in the background, and a call
    that finds every child still starting waits for it inside its budget (on a loaded machine the
    start can take longer than the budget: that call is judged wrong, as a timeout is)."""
    slow = ("10^{10^{10^{10}}}", "10^{10^{10^{10}}}+1")
    for _ in range(2):
        score(_response(slow[1]), slow[0], "math", timeout=BUDGET_S)
    warm_up(get_pool().max_children)  # waits for the replacements (not charged to any call)
    assert score(_response("(x+2)(x+5)"), "x^2+7x+10", "math", timeout=BUDGET_S) == 1.0


def test_a_batch_takes_at_most_its_size_times_the_budget() -> None:
    pairs = PAIRS[:8]
    start = time.monotonic()
    values = score_batch(
        [_response(a) for _, a, _ in pairs], [g for g, _, _ in pairs], ["math"] * len(pairs), timeout=BUDGET_S
    )
    elapsed = time.monotonic() - start

    assert elapsed <= len(pairs) * BUDGET_S, f"{elapsed:.2f} s for {len(pairs)} rows"
    assert values == [v for _, _, v in pairs]
