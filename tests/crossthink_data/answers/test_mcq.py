"""MCQ judging on real AGIEval and MMLU-STEM rows (tests/data/answers): labels, option text, hedges.

Expected verdicts come from each row's gold label: the gold label in any spelling is right,
another label, a label beyond the options and anything naming several labels is wrong.
"""

from __future__ import annotations

import json
import re
import string

import pytest

from crossthink_data.answers import is_equivalent, score

DATA = "tests/data/answers"
THINK = "<think>\nComparing each option against the passage, only one survives elimination.\n</think>\n"


def _rows() -> list[tuple[str, list[str], str]]:
    rows = []
    with open(f"{DATA}/agieval_mcq.jsonl") as handle:
        for line in handle:
            row = json.loads(line)
            rows.append((f"{row['subset']}-{row['index']}", row["options"], row["label"]))
    with open(f"{DATA}/mmlu_stem_sample.jsonl") as handle:
        for line in handle:
            row = json.loads(line)
            rows.append((f"mmlu-{row['line']}", row["choices"], string.ascii_uppercase[row["answer"]]))
    return rows


ROWS = _rows()
IDS = [row[0] for row in ROWS]


def _text(option: str) -> str:
    return re.sub(r"^\([A-Z]\)", "", option).strip()  # AGIEval options carry "(A)"


def _other(options: list[str], gold: str) -> str:
    return next(label for label in string.ascii_uppercase[: len(options)] if label != gold)


@pytest.mark.parametrize(("row_id", "options", "gold"), ROWS, ids=IDS)
def test_gold_label_in_any_spelling_is_right(row_id, options, gold):
    spellings = [gold, gold.lower(), f"({gold})", f"\\text{{{gold}}}", f"{gold}.", f"\\textbf{{({gold})}}"]
    for spelling in spellings:
        assert score(THINK + f"The answer is $\\boxed{{{spelling}}}$.", gold, "mcq", options) == 1.0, spelling


@pytest.mark.parametrize(("row_id", "options", "gold"), ROWS, ids=IDS)
def test_label_with_its_own_option_text_is_right(row_id, options, gold):
    text = _text(options[string.ascii_uppercase.index(gold)])
    assert is_equivalent(gold, f"{gold}. {text}", "mcq", options)
    assert is_equivalent(gold, f"({gold}) {text}", "mcq", options)


@pytest.mark.parametrize(("row_id", "options", "gold"), ROWS, ids=IDS)
def test_wrong_labels_and_hedges_are_wrong(row_id, options, gold):
    other = _other(options, gold)
    beyond = string.ascii_uppercase[len(options)]
    all_labels = string.ascii_uppercase[: len(options)]
    other_text = _text(options[string.ascii_uppercase.index(other)])
    for answer in [
        other,
        f"({other})",
        beyond,  # label outside the options
        f"{gold} or {other}",
        f"{other} or {gold}",
        f"{gold}, {other}",
        f"{gold} and {other}",
        all_labels,  # "ABCD"
        f"{gold}. {other_text}",  # the gold label with another option's text
    ]:
        assert score(THINK + f"\\boxed{{{answer}}}", gold, "mcq", options) == 0.0, answer


def test_hedge_across_two_boxes_is_wrong():
    options = ["(A)2", "(B)4", "(C)9", "(D)10"]  # AGIEval sat-math row 0, gold D
    assert score(THINK + "\\boxed{C} or maybe \\boxed{D}", "D", "mcq", options) == 0.0
    assert score(THINK + "\\boxed{D}", "D", "mcq", options) == 1.0


def test_box_inside_think_only_is_wrong():
    options = ["(A)2", "(B)4", "(C)9", "(D)10"]
    assert score("<think>\nso \\boxed{D}\n</think>\nThat is my answer.", "D", "mcq", options) == 0.0


def test_without_options_any_label_counts_but_hedges_still_fail():
    assert is_equivalent("C", "(c)", "mcq")
    assert is_equivalent("C", "C. Paris", "mcq")
    assert is_equivalent("J", "J", "mcq")  # MMLU-Pro has ten options
    assert not is_equivalent("C", "C or D", "mcq")
    assert not is_equivalent("C", "C, D", "mcq")
    assert not is_equivalent("C", "CD", "mcq")
    assert not is_equivalent("C", "C. D", "mcq")


def test_option_text_alone_is_not_a_label():
    options = ["voltage.", "inductance.", "capacitance.", "flux."]  # MMLU-STEM line 399, gold D
    assert not is_equivalent("D", "flux", "mcq", options)
    assert is_equivalent("D", "D) flux.", "mcq", options)


def test_answer_prefixes_are_accepted():
    assert is_equivalent("B", "Option B", "mcq", ["x", "y"])
    assert is_equivalent("B", "The answer is (B)", "mcq", ["x", "y"])


def test_gold_that_is_not_a_label_is_a_clear_error():
    with pytest.raises(ValueError, match="option label"):
        is_equivalent("Paris", "A", "mcq", ["Paris", "London"])
    # ... which score turns into 0.0 rather than raising
    assert score(THINK + "\\boxed{A}", "Paris", "mcq", ["Paris", "London"]) == 0.0
