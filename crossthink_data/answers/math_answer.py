"""Math answers: a cheap exact fast path, then math-verify (symbolic) in a bounded child process.

The fast path only decides what it can decide for sure: two answers that are the same string
after removing LaTeX presentation, two plain numbers (exactly equal, or clearly different), and
a number (also with degrees, a unit or a base subscript) against a clearly different number, a
non-constant expression of plain letters or words. Everything else (expressions, intervals,
sets, percentages) goes to math-verify, so its conventions hold; near-equal decimals go there
too, because math-verify rounds floats. A rule that says "different" is only added when it holds
under every way math-verify may read the answer (tests/crossthink_data/answers/test_fast_path.py checks it).
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from fractions import Fraction

from crossthink_data.answers.choice import parse_label_only
from crossthink_data.answers.closed_form import constant_value, is_nonconstant
from crossthink_data.answers.latex import normalize_notation, strip_math_delimiters, strip_presentation
from crossthink_data.answers.numeric import parse_number
from crossthink_data.answers.short_answer import normalize_text
from crossthink_data.answers.verifier import VerifierTimeout, get_pool

MAX_EXPONENT_NESTING = 2
"""``a^{b^{c}}`` is fine, ``9^{9^{9^{9}}}`` is not: a tower this deep is wrong unless the gold has one."""
VERDICT_CACHE_SIZE = 65_536
"""GRPO rollouts of one prompt repeat final answers; remember math-verify's definite verdicts."""

_NEAR = Fraction(1, 10_000)
_SINGLE_CHAR_GROUP = re.compile(r"([_^])\{(\w)\}")  # 2516_{8} -> 2516_8, x^{2} -> x^2
_WORDS_ONLY = re.compile(r"\\(?:text|textbf|mathrm|mbox)\{\s*[A-Za-z][A-Za-z ,'-]+\}")
_CHOICE_GOLD = re.compile(r"\([A-Z]\)")
_EXPONENT = re.compile(r"\^\s*\{?")
_DEGREES = re.compile(r"(.+)\^(?:\\circ|\{\\circ\})")  # canonical form: 90^\circ
_BASE = re.compile(r"(\d+)_\{?(\d+)\}?")  # canonical form: 2516_8, 1010_{10}
_UNIT = re.compile(  # raw form: 5.4 \text{ cents}, 15\mbox{ cm}^2
    r"(.+?)\s*(?:\\[,;:! ]\s*)*\\(?:text|textnormal|textrm|mbox|mathrm)\s*\{\s*([A-Za-z][A-Za-z ]*)\}"
    r"(?:\s*\^\s*\{?\s*[23]\s*\}?)?"
)
_DIVIDE_BY_ZERO = re.compile(r"\\[dt]?frac\{[^{}]*\}\{0+(?:\.0*)?\}|/\s*0+(?![\d.])")
MAX_TOWER_BITS = 1 << 20
"""An integer power tower is evaluated exactly up to a million bits (``2^{2^{2^{2^{2}}}}`` = ``2^{65536}``)."""
_HUGE = object()  # a tower of integers past MAX_TOWER_BITS: larger than any that was evaluated
_MULTIPLIER_WORDS = frozenset(
    {"hundred", "thousand", "million", "billion", "trillion", "dozen", "percent", "pct"}
)


def canonical(answer: str) -> str:
    """Presentation-free form used for the exact fast path: no LaTeX dressing, no spaces, no final dot."""
    form = strip_presentation(answer).replace(" ", "").rstrip(".")
    return _SINGLE_CHAR_GROUP.sub(r"\1\2", form)


def fast_verdict(gold: str, answer: str) -> bool | None:
    """True/False when decidable without a symbolic engine, None when math-verify must decide."""
    gold_form, answer_form = canonical(gold), canonical(answer)
    if not answer_form:
        return False
    if gold_form == answer_form:
        return True
    if _DIVIDE_BY_ZERO.search(gold_form) or _DIVIDE_BY_ZERO.search(answer_form):
        return False  # sympy makes every x/0 the same ``zoo``: 1/0 would equal 2/0
    towers = _tower_verdict(gold_form, answer_form)
    if towers is not None:
        return towers
    if _WORDS_ONLY.fullmatch(gold.strip()):  # \text{Evelyn}, \text{even}: words, not symbols
        return normalize_text(answer) == normalize_text(gold)
    gold_label = parse_label_only(gold) if _CHOICE_GOLD.fullmatch(gold_form) else None
    if gold_label is not None:  # MATH's multiple-choice golds: \text{(C)}
        return parse_label_only(answer) == gold_label
    gold_value, value = parse_number(gold_form), parse_number(answer_form)
    if gold_value is not None and value is not None:
        if gold_value == value:
            return True
        exact = "." not in gold_form and "." not in answer_form
        if exact or abs(gold_value - value) > _NEAR * max(1, abs(gold_value)):
            return False
        return None  # 0.333333 vs 1/3: math-verify's rounding rule decides
    return _clearly_different(gold_form, answer_form, gold, answer)


def _tower_verdict(gold_form: str, answer_form: str) -> bool | None:
    """Two integers or power towers of integers (``2^{2^{2^{2^2}}}``, ``2^{65536}``), compared
    exactly; None when either is something else, or both are too large to evaluate."""
    gold, answer = integer_tower(gold_form), integer_tower(answer_form)
    if gold is None or answer is None or (gold is _HUGE and answer is _HUGE):
        return None
    if gold is _HUGE or answer is _HUGE:
        return False  # one is past MAX_TOWER_BITS, the other is not
    return gold == answer


def integer_tower(form: str):
    """The value of ``form`` when it is a non-negative integer or a power tower of them (``a^{b^{c}}``,
    ``a^b`` with a one-digit ``b``), :data:`_HUGE` past :data:`MAX_TOWER_BITS`, else None."""
    if form.isdigit():
        return int(form)
    head, caret, rest = form.partition("^")
    if not caret or not head.isdigit() or not rest:
        return None
    if rest[0] == "{" and rest[-1] == "}" and _balanced(rest[1:-1]):
        exponent = integer_tower(rest[1:-1])
    else:
        exponent = int(rest) if len(rest) == 1 and rest.isdigit() else None
    base = int(head)
    if exponent is None or (base == 0 and exponent == 0):
        return None
    if base in (0, 1):
        return base
    if exponent is _HUGE or exponent.bit_length() > 32 or exponent * math.log2(base) > MAX_TOWER_BITS:
        return _HUGE
    return base**exponent


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += (char == "{") - (char == "}")
        if depth < 0:
            return False
    return depth == 0


def _clearly_different(gold_form: str, answer_form: str, gold: str = "", answer: str = "") -> bool | None:
    """False when the two cannot be equal (different constants, a number vs a tuple), else None."""
    gold_value, value = constant_value(gold_form), constant_value(answer_form)
    if gold_value is not None and value is not None:
        if abs(gold_value - value) > float(_NEAR) * max(1.0, abs(gold_value), abs(value)):
            return False
        return None  # equal-looking constants: math-verify confirms (and applies its rounding)
    if (gold_value is not None and _is_structured(answer_form)) or (
        value is not None and _is_structured(gold_form)
    ):
        return False
    return _number_vs_other(gold_form, answer_form, gold, answer)


def _number_vs_other(gold_form: str, answer_form: str, gold: str, answer: str) -> bool | None:
    """False for a number (with degrees, a unit or a base subscript) against a clearly different one,
    against a non-constant expression (``8n^2+4n+1``) or against words (``\\text{even}``).

    math-verify reads ``90^\\circ`` as 90, ``5.4 \\text{ cents}`` as 5.4 and ``2516_8`` as 2516; the
    other readings a version could choose (radians, the base-8 value) are kept too, and the pair is
    only decided when it differs under every reading. Plain letters are symbols to math-verify, so a
    non-constant expression of them never equals a number.
    """
    gold_readings, readings = number_readings(gold, gold_form), number_readings(answer, answer_form)
    if gold_readings and readings:
        return False if all(_apart(g, a) for g in gold_readings for a in readings) else None
    if (gold_readings and _not_a_number(answer)) or (readings and _not_a_number(gold)):
        return False
    return None


def number_readings(raw: str, form: str) -> tuple[float, ...]:
    """The values math-verify may read a number-like answer as; empty when it is not number-like."""
    value = constant_value(form)
    if value is not None:
        return (value,)
    match = _DEGREES.fullmatch(form)
    if match and (value := constant_value(match.group(1))) is not None:
        return (value, value * math.pi / 180)
    match = _BASE.fullmatch(form)
    if match:
        digits, base = match.group(1), int(match.group(2))
        readings = [float(digits)]
        if 2 <= base <= 36 and all(int(digit, 36) < base for digit in digits):
            readings.append(float(int(digits, base)))
        return tuple(readings)
    match = _UNIT.fullmatch(raw.strip())
    if match and match.group(2).strip().lower() not in _MULTIPLIER_WORDS:
        value = constant_value(canonical(match.group(1)))
        if value is not None:
            return (value,)
    return ()


def _not_a_number(raw: str) -> bool:
    """Words (``\\text{even}``) or a provably non-constant expression of plain letters."""
    return bool(_WORDS_ONLY.fullmatch(raw.strip())) or is_nonconstant(raw.replace(" ", ""))


def _apart(a: float, b: float) -> bool:
    return abs(a - b) > float(_NEAR) * max(1.0, abs(a), abs(b))


def _is_structured(form: str) -> bool:
    """A matrix, a union of sets, or a bracketed list with a top-level comma (tuple, interval)."""
    if form.startswith("\\begin{") or "\\cup" in form:
        return True
    if len(form) < 3 or form[0] not in "([" or form[-1] not in ")]":
        return False
    depth = 0
    for char in form[1:-1]:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            return True
    return False


def exponent_nesting(text: str) -> int:
    """How deep exponents nest: ``x^2`` -> 1, ``2^{2^{x}}`` -> 2 (counted over braces, linear)."""
    depth, deepest, stack = 0, 0, []
    brace = 0
    i = 0
    while i < len(text):
        char = text[i]
        if char == "^":
            if i + 1 < len(text) and text[i + 1] == "{":
                depth += 1
                stack.append(brace)
                brace += 1
                i += 1
            else:
                deepest = max(deepest, depth + 1)
        elif char == "{":
            brace += 1
        elif char == "}":
            brace -= 1
            if stack and stack[-1] == brace:
                stack.pop()
                depth -= 1
        deepest = max(deepest, depth)
        i += 1
    return deepest


class _VerdictCache:
    """A small thread-safe LRU of (gold, answer) -> verdict."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, str], bool] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> bool | None:
        with self._lock:
            verdict = self._items.get(key)
            if verdict is not None:
                self._items.move_to_end(key)
            return verdict

    def put(self, key: tuple[str, str], verdict: bool) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._items[key] = verdict
            if len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


verdict_cache = _VerdictCache(VERDICT_CACHE_SIZE)


def verifier_form(text: str) -> str:
    """What math-verify is given: one notation (``28 pct`` -> ``28\\%``), no math delimiters.

    Both sides are wrapped in ``\\boxed{}`` for math-verify, where a ``$`` would break its parse.
    """
    return strip_math_delimiters(normalize_notation(text)).strip()


def needs_verifier(gold: str, answer: str) -> bool:
    """True when only math-verify can tell (the fast path and the guards could not)."""
    gold, answer = verifier_form(gold), verifier_form(answer)
    return fast_verdict(gold, answer) is None and not _rejected_by_guard(gold, answer)


def _rejected_by_guard(gold: str, answer: str) -> bool:
    if "^" not in answer:
        return False
    return exponent_nesting(answer) > max(MAX_EXPONENT_NESTING, exponent_nesting(gold))


def math_equivalent(gold: str, answer: str, timeout_s: float) -> bool:
    """Is ``answer`` the same mathematical object as ``gold``? Wrong on timeout."""
    gold, answer = verifier_form(gold), verifier_form(answer)
    verdict = fast_verdict(gold, answer)
    if verdict is not None:
        return verdict
    if _rejected_by_guard(gold, answer):
        return False
    key = (gold, answer)
    cached = verdict_cache.get(key)
    if cached is not None:
        return cached
    try:
        verdict = get_pool().verify(gold, answer, timeout_s)
    except VerifierTimeout:
        return False
    verdict_cache.put(key, verdict)
    return verdict
