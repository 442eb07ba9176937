"""Multiple-choice answers: exactly one option label, optionally followed by that option's text.

Hedges are wrong by construction: the label must be the first thing in the answer and whatever
follows it must be the labelled option's own text, so "A or B", "A, B", "ABCD" and
"B. <text of C>" all fail, as does a label beyond the listed options.
"""

from __future__ import annotations

import re
import string

from crossthink_data.answers.latex import strip_presentation

LABELS = string.ascii_uppercase

_PREFIX = re.compile(
    r"(?:the\s+)?(?:correct\s+)?(?:answer|option|choice)\s*(?:is\s*)?[:\-]?\s*", re.IGNORECASE
)
_LABEL = re.compile(r"\(\s*([A-Za-z])\s*\)|\[\s*([A-Za-z])\s*\]|([A-Za-z])(?![A-Za-z0-9])")
_SEPARATOR = re.compile(r"\s*[.:)\-\u2013\u2014]\s*")
_LIST_JOINER = re.compile(r"(?:[,/&;+]|(?:and|or)\b)", re.IGNORECASE)
_OUTER_PUNCTUATION = " \t\n.,;:!?'\"`"
# AGIEval-style options carry their own label: "(A)5(√3 + 1)", "A. Paris", "A) Paris".
_OPTION_OWN_LABEL = re.compile(r"\s*(?:\(\s*[A-Za-z]\s*\)|[A-Za-z]\s*[.):])\s*")


def parse_label(answer: str, options: list[str] | None = None) -> str | None:
    """The single option label an answer names, upper-cased; None if it names none or several."""
    text = strip_presentation(answer).strip()
    prefix = _PREFIX.match(text)
    if prefix:
        text = text[prefix.end() :]
    match = _LABEL.match(text)
    if not match:
        return None
    label = next(group for group in match.groups() if group is not None).upper()
    if options is not None and LABELS.index(label) >= len(options):
        return None
    rest = text[match.end() :].strip().rstrip(".").strip()
    if not rest:
        return label
    if _LIST_JOINER.match(rest):
        return None  # "A, B", "A or B", "A/B", "A & B"
    separator = _SEPARATOR.match(rest)
    if not separator:
        return label if _names_option(rest, label, options, had_separator=False) else None
    # "(A) -1": the "-" may be a separator or the option's own sign; either reading may match.
    after = rest[separator.end() :]
    if _names_option(after, label, options, had_separator=True) or (
        options is not None and _names_option(rest, label, options, had_separator=False)
    ):
        return label
    return None


def _names_option(text: str, label: str, options: list[str] | None, had_separator: bool) -> bool:
    """Is ``text`` (what follows the label) the labelled option's own text?"""
    if not re.search(r"[^\W_]", text):
        return True  # only punctuation after the label: "B)", "(B)."
    if options is None:
        # Without options only "B. something" is checkable as one label: the text must not be a label.
        return had_separator and parse_label_only(text) is None
    option = options[LABELS.index(label)]
    own_label = _OPTION_OWN_LABEL.match(option)
    candidates = {option_key(option)}
    if own_label:
        candidates.add(option_key(option[own_label.end() :]))
    return option_key(text) in candidates


def option_key(text: str) -> str:
    """Option text for comparison: case and spacing ignored, but every symbol kept (a+b is not a-b)."""
    return "".join(strip_presentation(text).lower().split()).strip(_OUTER_PUNCTUATION)


def parse_label_only(text: str) -> str | None:
    """A bare label ("B", "(b)", "[C]") and nothing else, else None."""
    match = _LABEL.fullmatch(strip_presentation(text).strip().rstrip("."))
    if not match:
        return None
    return next(group for group in match.groups() if group is not None).upper()


def mcq_equivalent(gold: str, answer: str, options: list[str] | None = None) -> bool:
    """True iff ``answer`` names exactly one label, within ``options``, and it is ``gold``'s label."""
    gold_label = parse_label_only(gold)
    if gold_label is None:
        raise ValueError(f"MCQ gold must be an option label like 'B', got {gold!r}")
    return parse_label(answer, options) == gold_label
