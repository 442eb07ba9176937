"""Options embedded in a question's text, and the gold label of an answer string.

Several sources (ARC as packaged by MUI-Eval, NVIDIA's CrossThink-QA, NuminaMath's cn_k12
problems) keep MCQ options as lines of the question ("A. Frost", "(B) Ice", "C: Rain", "1. ...").
We split them off so every MCQ record has ``question`` = the stem and ``options`` = a list, as the
templates and filter H expect.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from crossthink_data.record import OPTION_LABELS

# "A. text", "A) text", "(A) text", "A: text", "1. text"; labels must run A, B, C... (or 1, 2, 3...).
_OPTION_LINE = re.compile(r"^\s*(?:\(([A-Za-z]|[1-9])\)\s*|([A-Z]|[1-9])[.):]\s+)(.+?)\s*$")
_OPTIONS_HEADER = re.compile(r"\s*(answer\s+)?(options|choices)\s*:?\s*$", re.IGNORECASE)
# An answer string that names a label: "C", "(C)", "C.", "C. Rain\n\nbecause ...", "C) Rain".
_ANSWER_LABEL = re.compile(r"^\s*\(?([A-Z]|[1-9])(?:\)|[.):](?:\s+|$)|$)")


@dataclass(frozen=True)
class SplitQuestion:
    stem: str
    options: list[str]
    numeric_labels: bool  # the text labelled options 1, 2, 3 ... rather than A, B, C ...


def _label_position(label: str) -> int:
    if label.isdigit():
        return int(label) - 1
    return string.ascii_uppercase.index(label.upper())


def split_options(text: str) -> SplitQuestion | None:
    """Split the trailing option block off ``text``; None when the text ends in no well-formed block.

    A block starts at a line labelled A (or 1), continues B, C, ... (2, 3, ...) in order, one option
    per line (blank lines between options are allowed), and runs to the end of the text. Earlier
    label-like lines (numbered statements in the stem) are left in the stem; anything irregular is
    left alone rather than guessed at.
    """
    lines = text.rstrip().split("\n")
    options: list[str] = []
    numeric = False
    start: int | None = None
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        match = _OPTION_LINE.match(line)
        label = (match.group(1) or match.group(2)) if match else None
        continues = (
            label is not None
            and start is not None
            and label.isdigit() == numeric
            and _label_position(label) == len(options)
        )
        if continues:
            options.append(match.group(3))
        elif label is not None and label.upper() in ("A", "1"):
            start, numeric, options = index, label.isdigit(), [match.group(3)]
        else:
            start, options = None, []
    if start is None or len(options) < 2 or len(options) > len(OPTION_LABELS):
        return None
    stem_lines = lines[:start]
    while stem_lines and (not stem_lines[-1].strip() or _OPTIONS_HEADER.fullmatch(stem_lines[-1])):
        stem_lines.pop()
    stem = "\n".join(stem_lines).strip()
    if not stem:
        return None
    return SplitQuestion(stem=stem, options=options, numeric_labels=numeric)


def answer_label(answer: str, n_options: int) -> tuple[str, str] | None:
    """(label A.., text after the label on the first line) when ``answer`` starts with an option label.

    Numeric labels map to letters (1 -> A). None when the answer does not start with a label of one
    of the ``n_options`` options.
    """
    match = _ANSWER_LABEL.match(answer)
    if match is None:
        return None
    position = _label_position(match.group(1))
    if not 0 <= position < n_options:
        return None
    rest = answer[match.end() :].split("\n", 1)[0].strip()
    return OPTION_LABELS[position], rest


def normalise(text: str) -> str:
    """Whitespace- and case-insensitive form used to compare an answer with an option text."""
    return " ".join(text.split()).casefold().rstrip(".")


def label_of_text(answer: str, options: list[str]) -> str | None:
    """Label of the option whose text equals ``answer`` (normalised), or None."""
    wanted = normalise(answer)
    matches = [i for i, option in enumerate(options) if normalise(option) == wanted]
    return OPTION_LABELS[matches[0]] if len(matches) == 1 else None
