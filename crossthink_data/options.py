"""Option labels and option texts: the one label parser and the one option-text normaliser.

Ingest (``crossthink_data.sources``), filter H (scalar and columnar), the answer checker
(``crossthink_data.answers.choice``), Syn-QA parsing and the eval adapters all read option labels
and compare option texts. They used to do it five ways and disagreed (``"Paris;"`` matched option
``"Paris"`` in filter H but not at ingest); now they all call this module, which imports nothing
from the package (pyarrow only inside the vectorised twin), so every layer may depend on it.

**Labels.** :func:`parse_label_prefix` is the one reading of a label written in front of a text:
``(A)``, ``[A]``, ``A.``, ``A)``, ``A:``, ``A``, a digit ``1.`` (1 -> A), and the full-width
``．``/``、``/``：`` AGIEval ships. Callers choose which forms they accept (splitting options out of
free text is strict, reading a model's answer is lenient) by looking at the parsed fields, not by
writing another regex.

**Option texts.** :func:`option_key` is the one normaliser. Two option texts are the same option
when their keys are equal. The rule:

* case is ignored (``str.lower``; the columnar twin's ``utf8_lower`` agrees on every character
  but U+0130 and letters newer than Python's Unicode tables),
* runs of whitespace count as one space, and a space next to a symbol (anything but a letter,
  digit or ``_``) does not count: ``x + 1`` is ``x+1``, but ``a ab`` is not ``aab`` (a real MMLU
  row has both as options),
* trailing ``. , ; :`` and leading ``, ; :`` are ignored (``"Paris;"`` is ``"Paris"``); every
  other symbol is kept: ``a+b`` is not ``a-b``, ``5!`` is not ``5``, ``6'`` is not ``6`` (a real
  MMLU row), and a leading ``.`` is part of a number (``.5`` is not ``5``).

:func:`option_key_array` computes the same keys over a pyarrow array (tested equal on every
Unicode whitespace and on real rows).
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

OPTION_LABELS = string.ascii_uppercase  # A..Z; MMLU-Pro uses up to J, Syn-QA up to 10 options

# --- labels -----------------------------------------------------------------------------------


class OptionLabelError(ValueError):
    """Not an option label, or an index with no label; the message says which."""


def option_label(index: int) -> str:
    """Label of the option at ``index`` (0 -> "A")."""
    if not 0 <= index < len(OPTION_LABELS):
        raise OptionLabelError(f"option index {index} out of range (at most {len(OPTION_LABELS)} options)")
    return OPTION_LABELS[index]


def label_within(label: object, n_options: int) -> str | None:
    """``label`` upper-cased when it is one of the first ``n_options`` labels ("b", 3 -> "B"), else None."""
    if not isinstance(label, str):
        return None
    label = label.strip().upper()
    if len(label) != 1 or label not in OPTION_LABELS[:n_options]:
        return None
    return label


def label_index(label: str) -> int:
    """Index of an option label ("B" -> 1, " b " -> 1); raises OptionLabelError for anything else."""
    found = label_within(label, len(OPTION_LABELS))
    if found is None:
        raise OptionLabelError(f"{label!r} is not an option label A-Z")
    return OPTION_LABELS.index(found)


# The one label syntax. A plain letter must not run on into a word ("Also" is no label "A").
_LABEL_PREFIX = re.compile(
    r"\s*(?:"
    r"\(\s*(?P<paren>[A-Za-z]|[1-9])\s*\)"
    r"|\[\s*(?P<bracket>[A-Za-z]|[1-9])\s*\]"
    r"|(?P<plain>[A-Za-z]|[1-9])(?![A-Za-z0-9])"
    r")"
)
# What may separate a label from its text: ASCII, the full-width forms and "?" (AGIEval's logiqa
# rows carry "A? text", a full-width separator lost in an encoding round trip).
_SEPARATOR = re.compile(r"[ \t]*(?P<sep>[.):\uff0e\u3001\uff1a\uff09?])")
_SPACE = re.compile(r"\s*")


@dataclass(frozen=True, slots=True)
class LabelPrefix:
    """A label read in front of a text: ``"(b) Rain"`` -> label "B", form "paren", rest "Rain"."""

    label: str  # "A".."Z"; a digit label is mapped (1 -> A) and ``numeric`` is set
    form: str  # "paren" "(A)", "bracket" "[A]" or "plain" "A"
    written: str  # the label character as written ("b", "B", "2")
    after_label: str  # the text right after the label token, untouched
    sep: str  # the separator after a plain label (".", ")", ":", ...), or ""
    spaced: bool  # whitespace follows the label (and its separator), or nothing follows at all
    rest: str  # the text after the label, its separator and whitespace

    @property
    def numeric(self) -> bool:
        return self.written.isdigit()

    @property
    def upper(self) -> bool:
        """The label was written as a capital letter or a digit."""
        return not self.written.islower()


def parse_label_prefix(text: str) -> LabelPrefix | None:
    """The option label ``text`` starts with (after whitespace), or None when it starts with none."""
    match = _LABEL_PREFIX.match(text)
    if match is None:
        return None
    form = next(name for name in ("paren", "bracket", "plain") if match.group(name) is not None)
    written = match.group(form)
    label = OPTION_LABELS[int(written) - 1] if written.isdigit() else written.upper()
    after = text[match.end() :]
    # Only a plain letter has a separator: after "(A)" a "." is the text's own (option "(A).5").
    separator = _SEPARATOR.match(after) if form == "plain" else None
    sep = separator.group("sep") if separator else ""
    tail = after[separator.end() :] if separator else after
    space = _SPACE.match(tail)
    rest = tail[space.end() :]
    return LabelPrefix(
        label=label,
        form=form,
        written=written,
        after_label=after,
        sep=sep,
        spaced=bool(space.group()) or not rest,
        rest=rest.rstrip(),
    )


def bare_label(text: str) -> str | None:
    """A letter label and nothing else ("B", "(b)", "[C]", "B.", "(B)."), upper-cased; else None."""
    prefix = parse_label_prefix(text.strip().rstrip("."))
    if prefix is None or prefix.numeric or prefix.after_label:
        return None
    return prefix.label


def _plain_gold_label(prefix: LabelPrefix) -> bool:
    """A plain gold label: alone ("C", "C."), before ")" ("C)Rain") or before ". "/": " ("C. Rain")."""
    if not prefix.after_label[:1].isspace() and prefix.sep == ")":
        return True
    if not prefix.rest:
        return prefix.sep in ("", ".", ":")
    return prefix.sep in (".", ":") and prefix.spaced and not prefix.after_label[:1].isspace()


def answer_label(answer: str, n_options: int) -> tuple[str, str] | None:
    """(label, text after it on the first line) when a gold ``answer`` starts with a label.

    Golds are written by dataset authors, so only unambiguous forms count: ``C``, ``(C)``, ``C.``,
    ``C) Rain``, ``C. Rain``, ``C: Rain``, ``(C) Rain``, digits too (1 -> A); the label must be a
    capital and be one of the ``n_options`` options ("A lot" and "C3" are no labels).
    """
    prefix = parse_label_prefix(answer)
    if prefix is None or not prefix.upper or prefix.form == "bracket":
        return None
    if prefix.form == "plain" and not _plain_gold_label(prefix):
        return None
    if OPTION_LABELS.index(prefix.label) >= n_options:
        return None
    return prefix.label, prefix.rest.split("\n", 1)[0].strip()


def own_label_text(option: str, index: int, allow_bare: bool = False) -> str | None:
    """The text of option number ``index`` after the label it carries itself, or None if it carries none.

    ``(A) x``, ``[A] x``, ``A. x``, ``A) x``, ``A: x``, ``A? x`` carry label A; a bare ``A x`` only
    with ``allow_bare`` (otherwise "A dog" would lose its article). The label must be option
    ``index``'s own (an option "B. x" in first place carries none) and some text must follow.
    """
    prefix = parse_label_prefix(option)
    if prefix is None or prefix.numeric or prefix.label != OPTION_LABELS[index] or not prefix.rest:
        return None
    if prefix.form == "plain" and not (prefix.upper and (prefix.sep or (allow_bare and prefix.spaced))):
        return None
    return prefix.rest


def strip_own_labels(options: Sequence[Any]) -> list[str]:
    """Options without the labels they carry themselves (AGIEval: ``"(A)5"``, ``" A. They will"``).

    Upstream rows are not uniform, so the rule reads the row as a whole:

    * a label in parentheses at the start of an option (``"(C)x"``) is always a label, whatever its
      letter (some logiqa rows list ``(A), (C), (B), (D)``); the option's position decides its label;
    * any other label (``"A. x"``, ``"A) x"``, ``"A? x"``, and on the first pass a bare ``"A x"``) is
      removed only when *every* option of the row carries a label and this one is its own (so
      "A. Lincoln" among unlabelled options, or "(A)A and B" -> "A and B", keep their text);
    * a row labelled twice (``"(A)A)59"``) loses both labels.

    Whitespace around each option is removed.
    """
    current = [str(option) for option in options]
    first = True
    while current:
        prefixes = [parse_label_prefix(option) for option in current]
        framed = [
            first and p is not None and p.form != "plain" and not p.numeric and bool(p.rest) for p in prefixes
        ]
        own = [own_label_text(option, i, allow_bare=first) for i, option in enumerate(current)]
        row_labelled = all(text is not None or is_framed for text, is_framed in zip(own, framed, strict=True))
        stripped = [
            text if row_labelled and text is not None else (prefix.rest if is_framed else option)
            for option, prefix, text, is_framed in zip(current, prefixes, own, framed, strict=True)
        ]
        if stripped == current:
            break
        current = stripped
        first = False
    return [option.strip() for option in current]


# --- options inside a question's text ---------------------------------------------------------

_OPTIONS_HEADER = re.compile(r"\s*(answer\s+)?(options|choices)\s*:?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class SplitQuestion:
    stem: str
    options: list[str]
    numeric_labels: bool  # the text labelled options 1, 2, 3 ... rather than A, B, C ...


def option_line(line: str) -> LabelPrefix | None:
    """A line that starts an option in free text: ``(a) x``, ``(1) x``, ``A. x``, ``B) x``, ``C: x``, ``1. x``.

    Strict on purpose (it reads question text): a plain label must be a capital or a digit with
    ``.``, ``)`` or ``:`` and a space after it; brackets and bare letters do not count.
    """
    prefix = parse_label_prefix(line)
    if prefix is None or not prefix.rest or prefix.form == "bracket":
        return None
    if prefix.form == "plain" and not (
        prefix.upper
        and prefix.sep in (".", ")", ":")
        and prefix.spaced
        and not prefix.after_label[:1].isspace()
    ):
        return None
    return prefix


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
        prefix = option_line(line)
        continues = (
            prefix is not None
            and start is not None
            and prefix.numeric == numeric
            and OPTION_LABELS.index(prefix.label) == len(options)
        )
        if continues:
            options.append(prefix.rest)
        elif prefix is not None and prefix.label == "A":
            start, numeric, options = index, prefix.numeric, [prefix.rest]
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


# --- option texts -------------------------------------------------------------------------------

LEADING_IGNORED = ",;:"
TRAILING_IGNORED = ".,;:"
# Python's str.split() whitespace (every character with str.isspace()), for the columnar twin.
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_RE2_OTHER_WHITESPACE = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in WHITESPACE if c != " ") + "]"
_RE2_IRREGULAR_SPACE = "  |^ | $|" + _RE2_OTHER_WHITESPACE
# A space next to a symbol (not a letter, digit or "_"); RE2 spells the class with \p{L}\p{N}.
# Only matches that contain a space, so text without such spaces is left untouched (and fast).
_SPACE_BY_SYMBOL = re.compile(r" ([^\w ]) ?|([^\w ]) ")
_RE2_SYMBOL = r"[^\p{L}\p{N}_ ]"
_RE2_SPACE_BY_SYMBOL = f" ({_RE2_SYMBOL}) ?|({_RE2_SYMBOL}) "
_RE2_NEEDS_WORK = f"{_RE2_IRREGULAR_SPACE}| {_RE2_SYMBOL}|{_RE2_SYMBOL} "


def option_key(text: str) -> str:
    """The one comparison form of an option text (see the module docstring for the rule)."""
    collapsed = " ".join(text.lower().split())
    return _SPACE_BY_SYMBOL.sub(r"\1\2", collapsed).lstrip(LEADING_IGNORED).rstrip(TRAILING_IGNORED)


def option_key_array(texts):
    """:func:`option_key` of every string of a pyarrow array (nulls stay null).

    One regex scan finds the rows with something to tidy (runs of whitespace, edge or non-ASCII
    spaces, a space next to a symbol); only those are collapsed and rewritten, which keeps
    filter H at full speed on ordinary option texts.
    """
    import pyarrow.compute as pc

    lowered = pc.utf8_lower(texts)
    needs_work = pc.match_substring_regex(lowered, _RE2_NEEDS_WORK).fill_null(False)
    if pc.any(needs_work).as_py():
        subset = pc.filter(lowered, needs_work)
        irregular = pc.match_substring_regex(subset, _RE2_IRREGULAR_SPACE)
        if pc.any(irregular).as_py():
            collapsed = pc.binary_join(pc.utf8_split_whitespace(pc.utf8_trim_whitespace(subset)), " ")
            subset = pc.if_else(irregular, collapsed, subset)
        subset = pc.replace_substring_regex(subset, _RE2_SPACE_BY_SYMBOL, r"\1\2")
        lowered = pc.replace_with_mask(lowered, needs_work, subset)
    return pc.utf8_rtrim(pc.utf8_ltrim(lowered, LEADING_IGNORED), TRAILING_IGNORED)


def label_of_text(answer: str, options: Sequence[str]) -> str | None:
    """Label of the one option whose text is ``answer`` (by :func:`option_key`), or None."""
    wanted = option_key(answer)
    matches = [i for i, option in enumerate(options) if option_key(option) == wanted]
    return OPTION_LABELS[matches[0]] if len(matches) == 1 else None


def same_option(a: str, b: str) -> bool:
    """Do two texts name the same option (equal :func:`option_key`)?"""
    return a == b or option_key(a) == option_key(b)


def same_option_array(a, b):
    """:func:`same_option` row by row over two pyarrow string arrays (null where either is null).

    Keys are computed only where the raw texts differ: a record's ``answer_text`` is nearly
    always its gold option's exact text.
    """
    import pyarrow.compute as pc

    equal = pc.equal(a, b)
    differ = pc.invert(equal).fill_null(False)
    if pc.any(differ).as_py():
        keys_equal = pc.equal(option_key_array(pc.filter(a, differ)), option_key_array(pc.filter(b, differ)))
        equal = pc.replace_with_mask(equal, differ, keys_equal)
    return equal


def has_duplicate_options(options: Sequence[str]) -> bool:
    """Two options with the same key make a gold label ambiguous."""
    keys = [option_key(option) for option in options]
    return len(set(keys)) != len(keys)


def has_duplicate_options_array(options):
    """:func:`has_duplicate_options` of every row of a pyarrow list<string> array (False for null rows).

    Exact keys are computed only for candidate rows: rows with two options equal once spaces are
    removed (a coarser key: equal option keys are always equal there) and rows with whitespace
    other than the ASCII space. On real MMLU rows that is a handful, so the check runs at the speed of a
    lower-case and a trim.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    flat = options.flatten()
    parents = pc.list_parent_indices(options)
    lowered = pc.utf8_lower(flat)
    coarse = pc.utf8_rtrim(
        pc.utf8_ltrim(pc.replace_substring(lowered, " ", ""), LEADING_IGNORED), TRAILING_IGNORED
    )
    candidates = _rows_with_repeats(parents, coarse)
    irregular = pc.match_substring_regex(lowered, _RE2_OTHER_WHITESPACE).fill_null(False)
    candidates |= set(pc.filter(parents, irregular).to_pylist())
    duplicated: set[int] = set()
    if candidates:
        chosen = pc.is_in(parents, value_set=pa.array(sorted(candidates), parents.type))
        duplicated = _rows_with_repeats(pc.filter(parents, chosen), option_key_array(pc.filter(flat, chosen)))
    rows = pa.array(sorted(duplicated), pa.int64())
    return pc.is_in(pa.array(range(len(options)), pa.int64()), value_set=rows)


def _rows_with_repeats(parents, keys) -> set[int]:
    """Row numbers (``parents``) in which some key occurs twice (hash count over "row\0key")."""
    import pyarrow as pa
    import pyarrow.compute as pc

    joined = pc.binary_join_element_wise(pc.cast(parents, pa.string()), keys.fill_null(""), "\x00")
    counts = pc.value_counts(joined)
    repeated = pc.filter(counts.field("values"), pc.greater(counts.field("counts"), 1)).to_pylist()
    return {int(key.split("\x00", 1)[0]) for key in repeated}
