"""Filter H: keep only questions whose answer a rule-based reward can check (paper, section 2).

Each rule is a named predicate so that every dropped row is counted and written to a rejects
file under the name of the rule that dropped it. Rules apply per template, because the same
record can be fine as T_MCQ and unusable as T_Open ("Which of the following ...").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from crossthink_data.record import QARecord, label_index

MAX_OPEN_ANSWER_WORDS = 10
MAX_MATH_ANSWER_CHARS = 120
MIN_QUESTION_CHARS = 10

# The patterns below are plain strings in the syntax both Python's `re` and RE2 (pyarrow.compute,
# used by crossthink_data.columnar) accept, so the scalar and the columnar filter agree.

# Stems that only make sense next to their options; the paper drops these from T_Open.
OPTION_DEPENDENT_STEM = "|".join(
    [
        r"\b(which|what|who|where|when)\s+(one\s+)?of\s+the\s+(following|above|below|options|choices|statements|answers|alternatives)\b",
        r"\bof\s+the\s+(following|options|choices)\s*,",
        r"\bthe\s+following\s+(is|are|statements?|options?|choices?|best|most|would|could|can|does|do|was|were|correctly)\b",
        r"\b(all|none|both|neither)\s+of\s+the\s+(above|these|options|choices|following|answers)\b",
        r"\b(the\s+)?(options|choices|answers|alternatives)\s+(above|below|given|listed|provided)\b",
        r"\b(above|below|given|listed)\s+(options|choices|answers|alternatives)\b",
        r"\b(select|choose|pick|identify)\s+(the\s+)?(best|correct|most\s+appropriate|right)\s+(option|choice|answer|alternative)\b",
        r"\bexcept\s*[:?]?\s*$",
    ]
)
# Gold option texts that only mean something next to the other options ("All of the above", "A and C").
OPTION_DEPENDENT_ANSWER = "|".join(
    [
        r"^\s*(all|none|both|neither)\s+of\s+(the\s+)?(above|these|those|them|options|choices|statements|answers)",
        r"^\s*(both\s+)?\(?[a-j]\)?\s*(,\s*\(?[a-j]\)?\s*)*(and|&|or)\s+\(?[a-j]\)?(\W|$)",
        r"^\s*(only\s+)?(options?|choices?|statements?)\s+\(?[a-j1-9ivx]+\)?(\W|$)",
    ]
)
# Math answers that are not one checkable value (proofs, explanations, prose).
NON_CHECKABLE_MATH = (
    r"\b(proof|prove|proven|shown|see\s+(above|below|explanation)|explanation|answers?\s+(vary|may\s+vary)|"
    r"not\s+possible\s+to|cannot\s+be\s+determined|no\s+solution\s+exists)\b"
)
# Prose words in a LaTeX answer: letters not part of a command (\frac, \begin), two or more long.
PROSE_WORD = r"(?:^|[^\\A-Za-z])[A-Za-z]{2,}"
CONTROL_OR_REPLACEMENT = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]"
SYMBOL_CHAR = r"[^\w \n\t\r]|_"  # not a letter, digit or ASCII space; RE2 spells it [^\p{L}\p{N} \n\t\r]
MAX_SYMBOL_SHARE = 0.7
WORD = r"\S+"

_OPTION_DEPENDENT = re.compile(OPTION_DEPENDENT_STEM, re.IGNORECASE)
_OPTION_DEPENDENT_ANSWER = re.compile(OPTION_DEPENDENT_ANSWER, re.IGNORECASE)
_NON_CHECKABLE_MATH = re.compile(NON_CHECKABLE_MATH, re.IGNORECASE)
_PROSE_WORD = re.compile(PROSE_WORD)
_CONTROL_OR_REPLACEMENT = re.compile(CONTROL_OR_REPLACEMENT)
_SYMBOL = re.compile(SYMBOL_CHAR)
_WORD = re.compile(WORD)


@dataclass(frozen=True, slots=True)
class Rule:
    """A named filter-H rule: ``passes(record, template)`` is True when the row may be kept."""

    name: str
    applies: Callable[[QARecord, str], bool]
    passes: Callable[[QARecord, str], bool]
    why: str


def _normalise_option(text: str) -> str:
    return " ".join(text.lower().split()).strip(" .;,")


def is_garbled(text: str) -> bool:
    """Text a model cannot read: replacement or control characters, or over 70% symbols."""
    if _CONTROL_OR_REPLACEMENT.search(text):
        return True
    return len(_SYMBOL.findall(text)) > MAX_SYMBOL_SHARE * len(text)


def question_is_well_formed(record: QARecord, template: str) -> bool:
    return len(record.question.strip()) >= MIN_QUESTION_CHARS and not is_garbled(record.question)


def answer_is_well_formed(record: QARecord, template: str) -> bool:
    answer = record.open_answer if template == "open" else record.answer
    return bool(answer.strip()) and "\ufffd" not in answer


def gold_among_options(record: QARecord, template: str) -> bool:
    """The gold label names an existing option whose text matches ``answer_text``."""
    try:
        index = label_index(record.answer)
    except ValueError:
        return False
    if index >= len(record.options):
        return False
    gold_text = record.options[index]
    return record.answer_text is None or _normalise_option(record.answer_text) == _normalise_option(gold_text)


def options_are_distinct(record: QARecord, template: str) -> bool:
    """Two options with the same text make the gold label ambiguous."""
    normalised = [_normalise_option(option) for option in record.options]
    return len(set(normalised)) == len(normalised)


# Every option-dependent pattern contains one of these words: a cheap test before the regex.
_OPTION_HINTS = (
    "following",
    "above",
    "below",
    "option",
    "choice",
    "answer",
    "alternative",
    "statement",
    "except",
)


def stem_is_self_contained(record: QARecord, template: str) -> bool:
    """T_Open removes the options, so the stem must not refer to them."""
    lowered = record.question.lower()
    if not any(hint in lowered for hint in _OPTION_HINTS):
        return True
    return _OPTION_DEPENDENT.search(record.question) is None


def answer_is_self_contained(record: QARecord, template: str) -> bool:
    """A gold option like "All of the above" or "Both A and C" means nothing once options are gone."""
    return _OPTION_DEPENDENT_ANSWER.search(record.open_answer) is None


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def open_answer_is_short(record: QARecord, template: str) -> bool:
    """Open-ended answers longer than 10 words cannot be checked by exact/numeric match."""
    return word_count(record.open_answer) <= MAX_OPEN_ANSWER_WORDS


def math_answer_is_checkable(record: QARecord, template: str) -> bool:
    """A math answer must be one short final value: no prose, as many { as }, bounded length."""
    answer = record.open_answer.strip()
    return (
        0 < len(answer) <= MAX_MATH_ANSWER_CHARS
        and answer.count("{") == answer.count("}")
        and _NON_CHECKABLE_MATH.search(answer) is None
        and len(_PROSE_WORD.findall(answer)) <= MAX_OPEN_ANSWER_WORDS
    )


def _always(record: QARecord, template: str) -> bool:
    return True


def _mcq_template(record: QARecord, template: str) -> bool:
    return template == "mcq"


def _open_from_mcq(record: QARecord, template: str) -> bool:
    return template == "open" and record.is_mcq


def _open_general(record: QARecord, template: str) -> bool:
    return template == "open" and record.domain != "math"


def _open_math(record: QARecord, template: str) -> bool:
    return template == "open" and record.domain == "math"


def _needs_options(record: QARecord, template: str) -> bool:
    return template == "mcq" and not record.is_mcq


RULES: tuple[Rule, ...] = (
    Rule("empty_or_garbled_question", _always, question_is_well_formed, "question too short or unreadable"),
    Rule("empty_or_garbled_answer", _always, answer_is_well_formed, "gold answer empty or unreadable"),
    Rule("mcq_without_options", _needs_options, lambda r, t: False, "T_MCQ needs a record with options"),
    Rule("gold_not_in_options", _mcq_template, gold_among_options, "gold label does not name its option"),
    Rule("duplicate_options", _mcq_template, options_are_distinct, "two options have the same text"),
    Rule("option_dependent_stem", _open_from_mcq, stem_is_self_contained, "stem refers to its options"),
    Rule("option_dependent_answer", _open_from_mcq, answer_is_self_contained, "gold refers to other options"),
    Rule("open_answer_too_long", _open_general, open_answer_is_short, "open answer longer than 10 words"),
    Rule(
        "math_answer_not_checkable", _open_math, math_answer_is_checkable, "math answer not one short value"
    ),
)
RULE_NAMES: tuple[str, ...] = tuple(rule.name for rule in RULES)


def filter_h_failure(record: QARecord, template: str) -> str | None:
    """Name of the first filter-H rule the record breaks under ``template``, or None to keep it."""
    for rule in RULES:
        if rule.applies(record, template) and not rule.passes(record, template):
            return rule.name
    return None
