"""Filter H: keep only questions whose answer a rule-based reward can check (paper, section 2).

The rules are declared once, in :data:`RULES`, in the order they are tried. Each :class:`Rule`
carries its name (counted, and written on every row it drops), the templates and the records it
applies to (the same record can be fine as T_MCQ and unusable as T_Open: "Which of the
following ..."), its scalar predicate on a :class:`~crossthink_data.record.QARecord` and its
vectorised predicate on a pyarrow table. :func:`filter_h_failure` runs the scalar predicates (the
reference); :func:`crossthink_data.columnar.filter_h_table` runs the vectorised ones (the fast
path, ``pyarrow.compute``: C++ and RE2); tests check both give the same verdict on every row and
that every rule has a row only it drops.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import pyarrow as pa
import pyarrow.compute as pc

from crossthink_data.options import (
    OPTION_LABELS,
    OptionLabelError,
    has_duplicate_options,
    has_duplicate_options_array,
    label_index,
    same_option,
    same_option_array,
)
from crossthink_data.record import TEMPLATES, QARecord

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
SYMBOL_CHAR = r"[^\w \n\t\r]|_"  # not a letter, digit or ASCII space
RE2_SYMBOL_CHAR = "[^\\p{L}\\p{N} \n\t\r]"  # the same class as RE2 (pyarrow) spells it
MAX_SYMBOL_SHARE = 0.7
WORD = r"\S+"

_OPTION_DEPENDENT = re.compile(OPTION_DEPENDENT_STEM, re.IGNORECASE)
_OPTION_DEPENDENT_ANSWER = re.compile(OPTION_DEPENDENT_ANSWER, re.IGNORECASE)
_NON_CHECKABLE_MATH = re.compile(NON_CHECKABLE_MATH, re.IGNORECASE)
_PROSE_WORD = re.compile(PROSE_WORD)
_CONTROL_OR_REPLACEMENT = re.compile(CONTROL_OR_REPLACEMENT)
_SYMBOL = re.compile(SYMBOL_CHAR)
_WORD = re.compile(WORD)


# --- the columns a vectorised predicate reads ----------------------------------------------------

# The option labels as a pyarrow array, for the vectorised label lookups (filter H, columnar T_MCQ).
LABEL_ARRAY = pa.array(list(OPTION_LABELS))


class Columns:
    """A record table's columns for the vectorised predicates, each combined or derived once."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table

    def _column(self, name: str) -> pa.Array:
        return self.table.column(name).combine_chunks()

    @cached_property
    def question(self) -> pa.Array:
        return self._column("question")

    @cached_property
    def options(self) -> pa.Array:
        return self._column("options")

    @cached_property
    def answer(self) -> pa.Array:
        return self._column("answer")

    @cached_property
    def answer_text(self) -> pa.Array:
        return self._column("answer_text")

    @cached_property
    def has_options(self) -> pa.Array:
        return pc.is_valid(self.options)

    @cached_property
    def is_math(self) -> pa.Array:
        return pc.equal(self._column("domain"), "math")

    @cached_property
    def open_answer(self) -> pa.Array:
        """:attr:`QARecord.open_answer`: the gold option's text for MCQ rows, the answer otherwise."""
        return pc.if_else(self.has_options, self.answer_text, self.answer).fill_null("")

    def gold(self, template: str) -> pa.Array:
        return self.open_answer if template == "open" else self.answer.fill_null("")


def _option_texts_at(options: pa.Array, index: pa.Array) -> pa.Array:
    """options[i][index[i]] (null where the list is null or the index is out of range)."""
    lengths = pc.list_value_length(options).fill_null(0)
    valid = pc.and_(pc.greater_equal(index, 0), pc.less(index, lengths))
    starts = pc.cast(options.offsets.slice(0, len(options)), pa.int64())
    positions = pc.if_else(valid, pc.add(starts, pc.cast(index, pa.int64())), pa.scalar(None, pa.int64()))
    return pc.take(options.values, positions)


# --- the predicates: scalar (on a QARecord) and vectorised (on Columns), True = keep ------------


def is_garbled(text: str) -> bool:
    """Text a model cannot read: replacement or control characters, or over 70% symbols."""
    if _CONTROL_OR_REPLACEMENT.search(text):
        return True
    return len(_SYMBOL.findall(text)) > MAX_SYMBOL_SHARE * len(text)


def is_garbled_array(text: pa.Array) -> pa.Array:
    """:func:`is_garbled` of every string."""
    control = pc.match_substring_regex(text, CONTROL_OR_REPLACEMENT)
    symbols = pc.count_substring_regex(text, RE2_SYMBOL_CHAR)
    too_many = pc.greater(pc.multiply(symbols, 10), pc.multiply(pc.utf8_length(text), 7))  # > 70% symbols
    return pc.or_(control, too_many)


def question_is_well_formed(record: QARecord, template: str) -> bool:
    return len(record.question.strip()) >= MIN_QUESTION_CHARS and not is_garbled(record.question)


def question_is_well_formed_table(columns: Columns, template: str) -> pa.Array:
    question = columns.question
    short = pc.less(pc.utf8_length(pc.utf8_trim_whitespace(question)), MIN_QUESTION_CHARS)
    return pc.invert(pc.or_(short, is_garbled_array(question)))


def answer_is_well_formed(record: QARecord, template: str) -> bool:
    answer = record.open_answer if template == "open" else record.answer
    return bool(answer.strip()) and "\ufffd" not in answer


def answer_is_well_formed_table(columns: Columns, template: str) -> pa.Array:
    gold = columns.gold(template)
    empty = pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(gold)), 0)
    return pc.invert(pc.or_(empty, pc.match_substring(gold, "\ufffd")))


def never(record: QARecord, template: str) -> bool:
    return False


def never_table(columns: Columns, template: str) -> pa.Array:
    return pa.repeat(pa.scalar(False), columns.table.num_rows)


def gold_among_options(record: QARecord, template: str) -> bool:
    """The gold label names an existing option whose text matches ``answer_text`` (by option_key)."""
    try:
        index = label_index(record.answer)
    except OptionLabelError:
        return False
    if index >= len(record.options):
        return False
    gold_text = record.options[index]
    return record.answer_text is None or same_option(record.answer_text, gold_text)


def gold_among_options_table(columns: Columns, template: str) -> pa.Array:
    label = pc.utf8_upper(pc.utf8_trim_whitespace(columns.answer))
    index = pc.index_in(label, value_set=LABEL_ARRAY).fill_null(-1)
    gold_text = _option_texts_at(columns.options, index)
    answer_text = columns.answer_text
    text_matches = pc.or_kleene(pc.is_null(answer_text), same_option_array(answer_text, gold_text))
    return pc.and_(pc.is_valid(gold_text), text_matches.fill_null(False))


def options_are_distinct(record: QARecord, template: str) -> bool:
    """Two options with the same text (by option_key) make the gold label ambiguous."""
    return not has_duplicate_options(record.options)


def options_are_distinct_table(columns: Columns, template: str) -> pa.Array:
    return pc.invert(has_duplicate_options_array(columns.options))


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


def stem_is_self_contained_table(columns: Columns, template: str) -> pa.Array:
    return pc.invert(pc.match_substring_regex(columns.question, OPTION_DEPENDENT_STEM, ignore_case=True))


def answer_is_self_contained(record: QARecord, template: str) -> bool:
    """A gold option like "All of the above" or "Both A and C" means nothing once options are gone."""
    return _OPTION_DEPENDENT_ANSWER.search(record.open_answer) is None


def answer_is_self_contained_table(columns: Columns, template: str) -> pa.Array:
    return pc.invert(pc.match_substring_regex(columns.open_answer, OPTION_DEPENDENT_ANSWER, ignore_case=True))


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def open_answer_is_short(record: QARecord, template: str) -> bool:
    """Open-ended answers longer than 10 words cannot be checked by exact/numeric match."""
    return word_count(record.open_answer) <= MAX_OPEN_ANSWER_WORDS


def open_answer_is_short_table(columns: Columns, template: str) -> pa.Array:
    return pc.less_equal(pc.count_substring_regex(columns.open_answer, WORD), MAX_OPEN_ANSWER_WORDS)


def math_answer_is_checkable(record: QARecord, template: str) -> bool:
    """A math answer must be one short final value: no prose, as many { as }, bounded length."""
    answer = record.open_answer.strip()
    return (
        0 < len(answer) <= MAX_MATH_ANSWER_CHARS
        and answer.count("{") == answer.count("}")
        and _NON_CHECKABLE_MATH.search(answer) is None
        and len(_PROSE_WORD.findall(answer)) <= MAX_OPEN_ANSWER_WORDS
    )


def math_answer_is_checkable_table(columns: Columns, template: str) -> pa.Array:
    answer = pc.utf8_trim_whitespace(columns.open_answer)
    length = pc.utf8_length(answer)
    return pc.and_(
        pc.and_(pc.greater(length, 0), pc.less_equal(length, MAX_MATH_ANSWER_CHARS)),
        pc.and_(
            pc.equal(pc.count_substring(answer, "{"), pc.count_substring(answer, "}")),
            pc.and_(
                pc.invert(pc.match_substring_regex(answer, NON_CHECKABLE_MATH, ignore_case=True)),
                pc.less_equal(pc.count_substring_regex(answer, PROSE_WORD), MAX_OPEN_ANSWER_WORDS),
            ),
        ),
    )


# --- which records a rule applies to (within its templates), scalar and vectorised --------------


@dataclass(frozen=True, slots=True)
class Records:
    """A kind of record a rule applies to: ``test`` on a QARecord, ``mask`` on Columns (None: all)."""

    name: str
    test: Callable[[QARecord], bool]
    mask: Callable[[Columns], pa.Array] | None


ALL = Records("all", lambda record: True, None)
WITH_OPTIONS = Records("with options", lambda record: record.is_mcq, lambda c: c.has_options)
WITHOUT_OPTIONS = Records(
    "without options", lambda record: not record.is_mcq, lambda c: pc.invert(c.has_options)
)
GENERAL = Records("general-purpose", lambda record: record.domain != "math", lambda c: pc.invert(c.is_math))
MATH = Records("math", lambda record: record.domain == "math", lambda c: c.is_math)


@dataclass(frozen=True, slots=True)
class Rule:
    """A named filter-H rule: a row it applies to is kept only when ``passes`` (scalar) or
    ``passes_table`` (vectorised, one bool per row) holds."""

    name: str
    templates: tuple[str, ...]
    records: Records
    passes: Callable[[QARecord, str], bool]
    passes_table: Callable[[Columns, str], pa.Array]
    why: str

    def applies(self, record: QARecord, template: str) -> bool:
        return template in self.templates and self.records.test(record)

    def fails_table(self, columns: Columns, template: str) -> pa.Array:
        """Per row of ``columns``: does this rule drop it under ``template`` (never null)?"""
        if template not in self.templates:
            return never_table(columns, template)
        fails = pc.invert(self.passes_table(columns, template))
        if self.records.mask is not None:
            fails = pc.and_(self.records.mask(columns), fails)
        return fails.fill_null(False)


BOTH = TEMPLATES  # ("mcq", "open")
RULES: tuple[Rule, ...] = (
    Rule(
        "empty_or_garbled_question",
        BOTH,
        ALL,
        question_is_well_formed,
        question_is_well_formed_table,
        "question too short or unreadable",
    ),
    Rule(
        "empty_or_garbled_answer",
        BOTH,
        ALL,
        answer_is_well_formed,
        answer_is_well_formed_table,
        "gold answer empty or unreadable",
    ),
    Rule(
        "mcq_without_options",
        ("mcq",),
        WITHOUT_OPTIONS,
        never,
        never_table,
        "T_MCQ needs a record with options",
    ),
    Rule(
        "gold_not_in_options",
        ("mcq",),
        WITH_OPTIONS,
        gold_among_options,
        gold_among_options_table,
        "gold label does not name its option",
    ),
    Rule(
        "duplicate_options",
        ("mcq",),
        WITH_OPTIONS,
        options_are_distinct,
        options_are_distinct_table,
        "two options have the same text",
    ),
    Rule(
        "option_dependent_stem",
        ("open",),
        WITH_OPTIONS,
        stem_is_self_contained,
        stem_is_self_contained_table,
        "stem refers to its options",
    ),
    Rule(
        "option_dependent_answer",
        ("open",),
        WITH_OPTIONS,
        answer_is_self_contained,
        answer_is_self_contained_table,
        "gold refers to other options",
    ),
    Rule(
        "open_answer_too_long",
        ("open",),
        GENERAL,
        open_answer_is_short,
        open_answer_is_short_table,
        "open answer longer than 10 words",
    ),
    Rule(
        "math_answer_not_checkable",
        ("open",),
        MATH,
        math_answer_is_checkable,
        math_answer_is_checkable_table,
        "math answer not one short value",
    ),
)
RULE_NAMES: tuple[str, ...] = tuple(rule.name for rule in RULES)


def filter_h_failure(record: QARecord, template: str) -> str | None:
    """Name of the first filter-H rule the record breaks under ``template``, or None to keep it."""
    for rule in RULES:
        if rule.applies(record, template) and not rule.passes(record, template):
            return rule.name
    return None
