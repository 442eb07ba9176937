"""Multiple-choice answers: exactly one option label, optionally followed by that option's text.

Hedges are wrong by construction: the label must be the first thing in the answer and whatever
follows it must be the labelled option's own text, so "A or B", "A, B", "ABCD" and
"B. <text of C>" all fail, as does a label beyond the listed options.

Labels and option texts are read by :mod:`crossthink_data.options` (the parser and normaliser
ingest, filter H and eval share); this module adds what only a model's answer needs: LaTeX
presentation is removed first, "the answer is" prefixes are skipped, and hedges are refused.
"""

from __future__ import annotations

import re

from crossthink_data.answers.latex import strip_presentation
from crossthink_data.options import OPTION_LABELS, bare_label, option_key, own_label_text, parse_label_prefix

_PREFIX = re.compile(
    r"(?:the\s+)?(?:correct\s+)?(?:answer|option|choice)\s*(?:is\s*)?[:\-]?\s*", re.IGNORECASE
)
# What may stand between a label and its option text in an answer ("B) x", "(B) - x", "B — x").
_SEPARATOR = re.compile(r"\s*[.:)\-\u2013\u2014]\s*")
_LIST_JOINER = re.compile(r"(?:[,/&;+]|(?:and|or)\b)", re.IGNORECASE)


def parse_label(answer: str, options: list[str] | None = None) -> str | None:
    """The single option label an answer names, upper-cased; None if it names none or several."""
    text = strip_presentation(answer).strip()
    prefix = _PREFIX.match(text)
    if prefix:
        text = text[prefix.end() :]
    label_prefix = parse_label_prefix(text)
    if label_prefix is None or label_prefix.numeric:
        return None
    label = label_prefix.label
    if options is not None and OPTION_LABELS.index(label) >= len(options):
        return None
    rest = label_prefix.after_label.strip().rstrip(".").strip()
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
    option = options[OPTION_LABELS.index(label)]
    candidates = {answer_text_key(option)}
    unlabelled = own_label_text(option, OPTION_LABELS.index(label))
    if unlabelled is not None:
        candidates.add(answer_text_key(unlabelled))  # AGIEval-style "(A)5(√3 + 1)", "A. Paris"
    return answer_text_key(text) in candidates


def answer_text_key(text: str) -> str:
    """:func:`crossthink_data.options.option_key` of a model's text with its LaTeX presentation removed.

    Named apart from ``option_key`` on purpose: ``option_key`` compares option texts as datasets write
    them (``\\text{Paris}`` is not ``Paris`` there), this one reads a model's answer, where the LaTeX
    wrapping is presentation (``\\text{Paris}`` names option ``Paris``).
    """
    return option_key(strip_presentation(text))


def parse_label_only(text: str) -> str | None:
    """A bare label ("B", "(b)", "[C]") and nothing else, else None."""
    return bare_label(strip_presentation(text))


def mcq_equivalent(gold: str, answer: str, options: list[str] | None = None) -> bool:
    """True iff ``answer`` names exactly one label, within ``options``, and it is ``gold``'s label."""
    gold_label = parse_label_only(gold)
    if gold_label is None:
        raise ValueError(f"MCQ gold must be an option label like 'B', got {gold!r}")
    return parse_label(answer, options) == gold_label
