"""Hostile and huge inputs, time bounds from threads and worker processes, nothing raising.

Each bound is asserted with slack for a loaded CI machine; the point is "about the timeout",
not "minutes". `10^{10^{10}}` really makes sympy compute (it is only stopped by killing its
worker process), so it exercises the hard deadline; `9^{9^{9^{9}}}` is refused before that.
"""

from __future__ import annotations

import multiprocessing
import random
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest

from crossthink_data.answers import (
    MAX_RESPONSE_CHARS,
    check_format,
    extract_answer,
    is_equivalent,
    score,
    score_batch,
    warm_up,
)

THINK = "<think>\nCompute the product, then simplify.\n</think>\n"
SLOW = "10^{10^{10}}"  # sympy evaluates it: a worker must be killed to stop it
TOWER = "9^{9^{9^{9}}}"
SLACK_S = 4.0  # a killed worker is replaced; a loaded CI box may be slow to answer


@pytest.fixture(scope="module", autouse=True)
def started_workers():
    warm_up(2)


def _timed(function, *args, **kwargs):
    start = time.perf_counter()
    value = function(*args, **kwargs)
    return value, time.perf_counter() - start


def test_power_tower_is_wrong_without_reaching_the_verifier():
    value, seconds = _timed(score, THINK + f"\\boxed{{{TOWER}}}", "1", "math")
    assert value == 0.0
    assert seconds < 0.5


def test_slow_expression_is_cut_at_the_timeout():
    value, seconds = _timed(score, THINK + f"\\boxed{{{SLOW}}}", "1", "math", timeout=0.5)
    assert value == 0.0
    assert seconds < 0.5 + SLACK_S


def test_right_answer_after_a_timeout_is_still_right():
    assert score(THINK + f"\\boxed{{{SLOW}}}", "1", "math", timeout=0.5) == 0.0
    assert score(THINK + "\\boxed{(x+2)(x+5)}", "x^2+7x+10", "math", timeout=5.0) == 1.0


def _score_in_this_process(args: tuple[str, str, float]) -> tuple[float, float]:
    response, gold, timeout = args
    start = time.perf_counter()
    return score(response, gold, "math", timeout=timeout), time.perf_counter() - start


def test_bounds_and_verdicts_hold_in_threads():
    """The TRL failure mode: math-verify's signal timeouts silently gave 0.0 off the main thread."""
    jobs = [
        (THINK + "\\boxed{(x+2)(x+5)}", "x^2+7x+10", 5.0),  # needs math-verify, right
        (THINK + "\\boxed{\\sqrt{117}}", "3\\sqrt{13}", 5.0),  # needs math-verify, right
        (THINK + f"\\boxed{{{SLOW}}}", "1", 0.5),  # needs killing
    ]
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(_score_in_this_process, jobs))
    assert [value for value, _ in results] == [1.0, 1.0, 0.0]
    assert results[2][1] < 0.5 + SLACK_S
    assert threading.current_thread() is threading.main_thread()


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_bounds_and_verdicts_hold_in_a_process_pool_worker(start_method):
    jobs = [
        (THINK + "\\boxed{(x+2)(x+5)}", "x^2+7x+10", 5.0),
        (THINK + f"\\boxed{{{SLOW}}}", "1", 0.5),
        (THINK + "\\boxed{5}", "x=5", 5.0),
    ]
    context = multiprocessing.get_context(start_method)
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        results = list(pool.map(_score_in_this_process, jobs))
    assert [value for value, _ in results] == [1.0, 0.0, 1.0]
    assert results[1][1] < 0.5 + SLACK_S


def test_works_inside_a_daemonic_multiprocessing_pool_worker():
    """datatrove's local executor runs steps in multiprocessing.Pool workers, which are daemonic
    and may not start multiprocessing children; our verifier children are plain subprocesses."""
    with multiprocessing.get_context("fork").Pool(1) as pool:
        value, _ = pool.apply(_score_in_this_process, ((THINK + "\\boxed{\\sqrt{117}}", "3\\sqrt{13}", 5.0),))
    assert value == 1.0


@pytest.mark.parametrize(
    "response",
    [
        THINK + "\\boxed{7}" + "x" * (MAX_RESPONSE_CHARS + 1),  # over the size limit
        "<think>" + "a" * 5_000_000 + "</think>\\boxed{7}",  # 5 MB of thinking
        THINK + "\\boxed{" * 200_000,  # a flood of unclosed boxes
        THINK + "\\boxed{" + "{" * 100_000 + "7" + "}" * 100_000 + "}",  # deep nesting
        THINK + "{}" * 200_000 + "\\boxed{7}",  # many flat braces, then a real box (still under the limit)
        THINK + "\\boxed{" + "\\frac{1}{" * 400 + "7" + "}" * 400 + "}",  # nested fractions
        THINK + "\\boxed{" + "7" * 900 + "}",  # a 900-digit "number"
    ],
)
def test_huge_and_nested_inputs_are_fast_and_never_right(response):
    value, seconds = _timed(score, response, "7", "math")
    assert seconds < 1.0
    if "{}" * 10 in response:
        assert value == 1.0  # the braces are noise: the box after them is the answer
    else:
        assert value == 0.0


def test_random_latex_noise_never_raises():
    rng = random.Random(0)
    pieces = [
        "\\boxed{",
        "}",
        "{",
        "\\frac",
        "\\sqrt",
        "^",
        "_",
        "$",
        "\\left(",
        "\\right)",
        "</think>",
        "<think>",
    ]
    pieces += ["x", "1", "-", ",", "\\text{", "\\", "(", ")", "[", "]", "\\pi", "9", " ", "A", "or"]
    for _ in range(300):
        response = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 60)))
        for kind in ("math", "open", "mcq"):
            assert score(response, "B" if kind == "mcq" else "1", kind, ["a", "b", "c"], timeout=0.5) in (
                0.0,
                1.0,
            )
        extract_answer(response)
        check_format(response)


@pytest.mark.parametrize("bad", [None, 12, b"<think></think>\\boxed{1}", {"text": "x"}])
def test_non_string_responses_score_zero(bad):
    assert score(bad, "1", "math") == 0.0


def test_unknown_kind_is_a_caller_error():
    with pytest.raises(ValueError, match="unknown answer kind"):
        score(THINK + "\\boxed{1}", "1", "maths")
    assert score(THINK + "\\boxed{1}", "1", " MATH ") == 1.0


def test_timeout_default_is_configurable(monkeypatch):
    import crossthink_data.answers as answers

    monkeypatch.setattr(answers, "DEFAULT_TIMEOUT_S", 0.3)
    value, seconds = _timed(is_equivalent, "1", SLOW, "math")
    assert value is False
    assert seconds < 0.3 + SLACK_S


def test_score_batch_matches_score_on_a_mixed_batch():
    rows = [
        (THINK + "\\boxed{(x+2)(x+5)}", "x^2+7x+10", "math", None),
        (THINK + "\\boxed{\\sqrt{117}}", "3\\sqrt{13}", "math", None),
        (THINK + "\\boxed{2(k+1)}", "2k+2", "math", None),
        (THINK + "\\boxed{2k+1}", "2k+2", "math", None),
        (THINK + f"\\boxed{{{SLOW}}}", "1", "math", None),
        (THINK + "\\boxed{B}", "B", "mcq", ["x", "y"]),
        (THINK + "\\boxed{C}", "B", "mcq", ["x", "y", "z"]),
        (THINK + "\\boxed{water}", "water", "open", None),
        ("no format \\boxed{water}", "water", "open", None),
    ]
    expected = [1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0]
    responses, golds, kinds, options = map(list, zip(*rows, strict=True))
    assert score_batch(responses, golds, kinds, options, timeout=1.0) == expected
    assert [score(*row, timeout=1.0) for row in rows] == expected
