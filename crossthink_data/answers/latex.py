"""LaTeX presentation clean-up shared by extraction, MCQ, open and math checks.

Only *presentation* is removed here (math delimiters, ``\\left``/``\\right``, spacing commands,
``\\text{}``-style wrappers, ``\\dfrac``): two answers that differ only in these are the same
answer for every kind, so the cheap paths can decide them without a symbolic engine.
"""

from __future__ import annotations

import re

from crossthink_data.answers.boxes import closing_brace

# \text{X}, \textbf{X}, \mathrm{X}, ... -> X, nested braces included (\text{\frac{1}{2}}).
_WRAPPER = re.compile(
    r"\\(?:text|textnormal|textbf|textit|textrm|textsf|texttt|mathrm|mathbf|mathit|mathsf|mathtt|"
    r"mbox|hbox|boldsymbol|bm|operatorname|emph|boxed|fbox)\s*\{"
)
_MAX_UNWRAPS = 100
_MATH_DELIMS = re.compile(r"\\\(|\\\)|\\\[|\\\]|\$")
_LEFT_RIGHT = re.compile(r"\\(?:left|right|bigl|bigr|Bigl|Bigr|big|Big)(?![A-Za-z])\s*")
_THIN_SPACE = re.compile(r"\\[,!](?![A-Za-z])")  # `10,\!080`, `10\,000`: no space at all
_SPACING = re.compile(r"\\(?:;|:|>|quad|qquad|enspace|thinspace|medspace|thickspace)(?![A-Za-z])|\\ |~")
_DISPLAY = re.compile(r"\\(?:displaystyle|textstyle|scriptstyle)(?![A-Za-z])")
_FRAC = re.compile(r"\\[dt]frac(?![A-Za-z])")
_MARKDOWN_BOLD = re.compile(r"\*\*|__")
# `28 percent`, `28 pct`, `28 %`, `28\ \text{percent}` -> `28\%` (after a number; "3 percentage points" stays).
_PERCENT_WORD = re.compile(
    r"(?<=\d)(?:\s|\\[ ,;:!]|~)*"
    r"(?:\\(?:text|textnormal|textrm|mathrm|mbox)\s*\{\s*(?:percent(?:age)?|pct)\.?\s*\}"
    r"|(?:percent(?:age)?|pct)\.?(?![A-Za-z])|(?<!\\)%)(?!\s*points?\b)"
)
_NOT_EQUAL = re.compile(r"!=|\u2260|\\ne(?![A-Za-z])")


def normalize_notation(text: str) -> str:
    """Spell the same answer one way: percent words as ``\\%``, ``!=``/``\\ne``/``\u2260`` as ``\\neq``.

    Applied to both sides before any comparison (and before math-verify sees them).
    """
    if "!=" in text or "\u2260" in text or "\\ne" in text:
        text = _NOT_EQUAL.sub(r"\\neq ", text)
    if "p" in text or "%" in text:
        text = _PERCENT_WORD.sub(r"\\%", text)
    return text


def unwrap_text(text: str) -> str:
    """Replace ``\\text{X}`` and friends by ``X`` (nested, brace-aware, a bounded number of times)."""
    position = 0
    for _ in range(_MAX_UNWRAPS):
        match = _WRAPPER.search(text, position)
        if not match:
            break
        close = closing_brace(text, match.end() - 1)
        if close is None:  # unclosed: leave it, look further on
            position = match.end()
            continue
        text = text[: match.start()] + text[match.end() : close] + text[close + 1 :]
        position = match.start()
    return text


def strip_math_delimiters(text: str) -> str:
    """``$``, ``$$``, ``\\(``/``\\)`` and ``\\[``/``\\]`` replaced by a space."""
    return _MATH_DELIMS.sub(" ", text)


def strip_presentation(text: str) -> str:
    """Remove LaTeX that changes how an answer looks but not what it says; keeps single spaces."""
    text = strip_math_delimiters(text)
    text = _DISPLAY.sub(" ", text)
    text = _LEFT_RIGHT.sub("", text)
    text = _THIN_SPACE.sub("", text)
    text = _SPACING.sub(" ", text)
    text = _FRAC.sub(r"\\frac", text)
    text = normalize_notation(unwrap_text(text))  # `$\boxed{28}$ pct` -> `28 pct` -> `28\%`
    text = _MARKDOWN_BOLD.sub("", text)
    return " ".join(text.split())
