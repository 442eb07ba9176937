"""LaTeX presentation clean-up shared by extraction, MCQ, open and math checks.

Only *presentation* is removed here (math delimiters, ``\\left``/``\\right``, spacing commands,
``\\text{}``-style wrappers, ``\\dfrac``): two answers that differ only in these are the same
answer for every kind, so the cheap paths can decide them without a symbolic engine.
"""

from __future__ import annotations

import re

# \text{X}, \textbf{X}, \mathrm{X}, ... -> X (innermost first, applied until stable).
_WRAPPER = re.compile(
    r"\\(?:text|textbf|textit|textrm|textsf|texttt|mathrm|mathbf|mathit|mathsf|mathtt|"
    r"mbox|hbox|boldsymbol|bm|operatorname|emph|boxed|fbox)\s*\{([^{}]*)\}"
)
_MATH_DELIMS = re.compile(r"\\\(|\\\)|\\\[|\\\]|\$")
_LEFT_RIGHT = re.compile(r"\\(?:left|right|bigl|bigr|Bigl|Bigr|big|Big)(?![A-Za-z])\s*")
_THIN_SPACE = re.compile(r"\\[,!](?![A-Za-z])")  # `10,\!080`, `10\,000`: no space at all
_SPACING = re.compile(r"\\(?:;|:|>|quad|qquad|enspace|thinspace|medspace|thickspace)(?![A-Za-z])|\\ |~")
_DISPLAY = re.compile(r"\\(?:displaystyle|textstyle|scriptstyle)(?![A-Za-z])")
_FRAC = re.compile(r"\\[dt]frac(?![A-Za-z])")
_MARKDOWN_BOLD = re.compile(r"\*\*|__")
_MAX_UNWRAP_ROUNDS = 8


def unwrap_text(text: str) -> str:
    """Replace ``\\text{X}`` and friends by ``X`` (nested ones too, a bounded number of rounds)."""
    for _ in range(_MAX_UNWRAP_ROUNDS):
        unwrapped = _WRAPPER.sub(r"\1", text)
        if unwrapped == text:
            break
        text = unwrapped
    return text


def strip_presentation(text: str) -> str:
    """Remove LaTeX that changes how an answer looks but not what it says; keeps single spaces."""
    text = _MATH_DELIMS.sub(" ", text)
    text = _DISPLAY.sub(" ", text)
    text = _LEFT_RIGHT.sub("", text)
    text = _THIN_SPACE.sub("", text)
    text = _SPACING.sub(" ", text)
    text = _FRAC.sub(r"\\frac", text)
    text = unwrap_text(text)
    text = _MARKDOWN_BOLD.sub("", text)
    return " ".join(text.split())
