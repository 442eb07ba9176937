"""Plain numbers (integers, decimals, simple fractions) as exact Fractions, never via eval."""

from __future__ import annotations

import re
from fractions import Fraction

MAX_NUMBER_CHARS = 64
"""Longer digit strings are not parsed (big-int conversion is the one costly step here)."""

_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_LATEX_FRACTION = re.compile(r"([+-]?)\\frac(?:\{(\d+)\}\{(\d+)\}|(\d)(\d)|\{(\d+)\}(\d)|(\d)\{(\d+)\})")
_SLASH_FRACTION = re.compile(r"([+-]?\d+)/(\d+)")


def parse_number(text: str, thousands: bool = False) -> Fraction | None:
    """Exact value of ``text`` if it is a plain number, else None.

    Accepts ``-12``, ``3.50``, ``.5``, ``\\frac{3}{4}``, ``\\frac43``, ``-\\frac{1}{2}``, ``7/8``;
    with ``thousands=True`` also ``1,234,567.5``. Whitespace must already be removed.
    """
    if not text or len(text) > MAX_NUMBER_CHARS:
        return None
    if _DECIMAL.fullmatch(text):
        return Fraction(text)
    if thousands and _THOUSANDS.fullmatch(text):
        return Fraction(text.replace(",", ""))
    match = _LATEX_FRACTION.fullmatch(text)
    if match:
        sign, *parts = match.groups()
        numerator, denominator = (int(p) for p in parts if p is not None)
        return _fraction(numerator, denominator, negative=sign == "-")
    match = _SLASH_FRACTION.fullmatch(text)
    if match:
        return _fraction(int(match.group(1)), int(match.group(2)))
    return None


def _fraction(numerator: int, denominator: int, negative: bool = False) -> Fraction | None:
    if denominator == 0:
        return None
    value = Fraction(numerator, denominator)
    return -value if negative else value
