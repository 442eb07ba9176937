"""The one answer checker shared by the GRPO reward, the difficulty filter and the lighteval metric.

```python
from crossthink_data.answers import extract_answer, check_format, is_equivalent, score
score(response, gold, kind, options)  # 1.0 iff check_format(response) and the boxed answer is gold
score_batch(responses, golds, kinds, options, require_format=False)  # the answer alone, the paper's way
```

The answer-only path reads :func:`extract_final_answer`: the last ``\\boxed{}`` after ``</think>``
when there is one, else the last ``\\boxed{}`` of the response (the paper's reading, for a base
model without ``<think>`` too).

``kind`` is ``"mcq"`` (gold = option label), ``"open"`` (gold = short answer) or ``"math"``.
Model output is never executed; every call returns within ``timeout`` seconds of wall-clock time
(default :data:`DEFAULT_TIMEOUT_S`, or ``CROSSTHINK_ANSWER_TIMEOUT``) from any thread or process,
and a timeout is a wrong answer; :func:`score_batch` of n rows within n times that. The one wait not
charged is the first start of each math-verify child of a process (:func:`warm_up` does it ahead;
see :mod:`crossthink_data.answers.verifier`). See docs/answers.md for the rules.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from crossthink_data.answers.boxes import last_boxed
from crossthink_data.answers.choice import mcq_equivalent
from crossthink_data.answers.extraction import (
    MAX_ANSWER_CHARS,
    MAX_BRACE_DEPTH,
    MAX_RESPONSE_CHARS,
    THINK_CLOSE,
    THINK_OPEN,
    check_format,
    extract_answer,
    final_section,
)
from crossthink_data.answers.math_answer import math_equivalent, needs_verifier, verdict_cache
from crossthink_data.answers.short_answer import open_equivalent
from crossthink_data.answers.verifier import get_pool, shutdown

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "KINDS",
    "MAX_ANSWER_CHARS",
    "MAX_BRACE_DEPTH",
    "MAX_RESPONSE_CHARS",
    "THINK_CLOSE",
    "THINK_OPEN",
    "clear_cache",
    "check_format",
    "extract_answer",
    "extract_final_answer",
    "is_equivalent",
    "score",
    "score_batch",
    "shutdown",
    "warm_up",
]

logger = logging.getLogger(__name__)

KINDS = ("mcq", "open", "math")
DEFAULT_TIMEOUT_S = float(os.environ.get("CROSSTHINK_ANSWER_TIMEOUT", "1.0"))
_warned: set[str] = set()


def _check_kind(kind: str) -> str:
    normalized = kind.strip().lower() if isinstance(kind, str) else kind
    if normalized not in KINDS:
        raise ValueError(f"unknown answer kind {kind!r}; expected one of {', '.join(KINDS)}")
    return normalized


def is_equivalent(
    gold: str,
    answer: str | None,
    kind: str,
    options: Sequence[str] | None = None,
    *,
    timeout: float | None = None,
) -> bool:
    """Does the extracted ``answer`` match ``gold`` under the rules of ``kind``?

    ``options`` (MCQ only) bounds the valid labels and lets "B. <option text>" be checked.
    Raises ValueError for an unknown ``kind`` or an MCQ gold that is not a label.
    """
    kind = _check_kind(kind)
    if answer is None or not isinstance(answer, str) or not answer.strip() or len(answer) > MAX_ANSWER_CHARS:
        return False
    gold = str(gold)
    if kind == "mcq":
        return mcq_equivalent(gold, answer, list(options) if options is not None else None)
    if kind == "open":
        return open_equivalent(gold, answer)
    return math_equivalent(gold, answer, DEFAULT_TIMEOUT_S if timeout is None else timeout)


def score(
    response: str, gold: str, kind: str, options: Sequence[str] | None = None, *, timeout: float | None = None
) -> float:
    """1.0 iff the response has the format and its final answer matches ``gold``, else 0.0.

    Model output can never make this raise (bad input, timeouts and verifier crashes are 0.0);
    only a caller's unknown ``kind`` raises ValueError, because silently zeroing every reward
    of a misconfigured run is worse than stopping it.
    """
    return _judge(response, gold, _check_kind(kind), options, timeout, require_format=True)


def extract_final_answer(response: str) -> str | None:
    """The answer-only reading (the paper's protocol): the last ``\\boxed{}`` after ``</think>`` when
    the response has a ``</think>``, else the last ``\\boxed{}`` anywhere in it.

    The paper reads every model's final answer from ``\\boxed{}``, its baseline (Qwen2.5-7B base,
    which writes no ``<think>`` block) included; the strict reading (:func:`extract_answer`, used by
    :func:`score`) requires ``</think>``.
    """
    if not isinstance(response, str) or len(response) > MAX_RESPONSE_CHARS:
        return None
    section = final_section(response)
    return last_boxed(response if section is None else section)


def _answer_of(response: str, require_format: bool) -> str | None:
    return extract_answer(response) if require_format else extract_final_answer(response)


def _judge(
    response: str,
    gold: str,
    kind: str,
    options: Sequence[str] | None,
    timeout: float | None,
    require_format: bool,
) -> float:
    try:
        if require_format and not check_format(response):
            return 0.0
        answer = _answer_of(response, require_format)
        return 1.0 if is_equivalent(gold, answer, kind, options, timeout=timeout) else 0.0
    except Exception as err:  # noqa: BLE001 - the contract is "never raises"
        _warn_once(f"{type(err).__name__}: {err}")
        return 0.0


def score_batch(
    responses: Sequence[str],
    golds: Sequence[str],
    kinds: Sequence[str],
    options: Sequence[Sequence[str] | None] | None = None,
    *,
    timeout: float | None = None,
    require_format: bool = True,
    parallel: int | None = None,
) -> list[float]:
    """:func:`score` for many rows: cheap rows inline, math-verify rows spread over worker processes.

    ``require_format=False`` scores the answer alone, read by :func:`extract_final_answer` (the
    paper's protocol: ``boxed_accuracy`` and the difficulty filter). ``parallel`` caps
    the concurrent math-verify children (default: the pool size, at most 4).
    """
    count = len(responses)
    if not (len(golds) == len(kinds) == count and (options is None or len(options) == count)):
        raise ValueError("responses, golds, kinds (and options) must have the same length")
    options = options if options is not None else [None] * count
    kinds = [_check_kind(kind) for kind in kinds]
    scores: list[float] = [0.0] * count
    slow: list[int] = []
    for index, (response, gold, kind) in enumerate(zip(responses, golds, kinds, strict=True)):
        if kind == "math" and _needs_verifier(response, gold, require_format):
            slow.append(index)
        else:
            scores[index] = _judge(response, gold, kind, options[index], timeout, require_format)

    def judge(index: int) -> float:
        return _judge(responses[index], golds[index], kinds[index], options[index], timeout, require_format)

    if len(slow) <= 1:
        for index in slow:
            scores[index] = judge(index)
        return scores
    # no more threads than children: a thread waiting for a child would spend its own budget waiting
    workers = min(len(slow), parallel or get_pool().max_children, get_pool().max_children)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="crossthink-verify") as executor:
        for index, value in zip(slow, executor.map(judge, slow), strict=True):
            scores[index] = value
    return scores


def _needs_verifier(response: str, gold: str, require_format: bool) -> bool:
    try:
        if require_format and not check_format(response):
            return False
        answer = _answer_of(response, require_format)
        return answer is not None and len(answer) <= MAX_ANSWER_CHARS and needs_verifier(str(gold), answer)
    except Exception:  # noqa: BLE001 - judged (and logged) by _judge
        return False


def warm_up(children: int = 1) -> str:
    """Start math-verify children ahead of time; returns math-verify's version.

    A child's start (~0.6 s, importing sympy) is not charged to any call's timeout, but calling
    this once at setup keeps the first math comparisons from waiting for it.
    """
    return get_pool().warm_up(children)


def clear_cache() -> None:
    """Forget remembered math-verify verdicts (benchmarks measure cold)."""
    verdict_cache.clear()


def _warn_once(message: str) -> None:
    if message not in _warned and len(_warned) < 100:
        _warned.add(message)
        logger.warning("answer checker judged a response wrong after an error: %s", message)
