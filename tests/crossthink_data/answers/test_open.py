"""Open-ended short answers: MMLU-STEM gold option texts as T_Open ground truths (tests/data/answers).

T_Open turns an MCQ into an open question whose gold is the text of the gold option; the other
options are realistic wrong answers. Expected verdicts come from which option a response names.
"""

from __future__ import annotations

import json
import re

import pytest

from crossthink_data.answers import is_equivalent, score

THINK = "<think>\nRecall the definition, then apply it to the case in the question.\n</think>\n"


def _rows() -> list[tuple[str, str, str]]:
    rows = []
    with open("tests/data/answers/mmlu_stem_sample.jsonl") as handle:
        for line in handle:
            row = json.loads(line)
            gold = row["choices"][row["answer"]].strip()
            others = [c.strip() for i, c in enumerate(row["choices"]) if i != row["answer"]]
            # filter H keeps open answers of at most 10 words; "of the above" needs the options
            if len(gold.split()) <= 10 and "of the above" not in gold and "of these" not in gold.lower():
                distinct = [
                    o for o in others if re.sub(r"\W", "", o.lower()) != re.sub(r"\W", "", gold.lower())
                ]
                rows.append((f"mmlu-{row['line']}", gold, distinct[0]))
    return rows


ROWS = _rows()


def test_enough_real_rows():
    assert len(ROWS) >= 40


@pytest.mark.parametrize(("row_id", "gold", "other"), ROWS, ids=[r[0] for r in ROWS])
def test_gold_text_with_presentation_changes_is_right(row_id, gold, other):
    for answer in [gold, gold.upper(), f"The {gold}.", f"\\text{{{gold}}}", f'"{gold}"', f"  {gold} !"]:
        assert score(THINK + f"The answer is \\boxed{{{answer}}}", gold, "open") == 1.0, answer


@pytest.mark.parametrize(("row_id", "gold", "other"), ROWS, ids=[r[0] for r in ROWS])
def test_other_option_and_hedges_are_wrong(row_id, gold, other):
    for answer in [
        other,
        f"{gold} or {other}",
        f"{other} or {gold}",
        f"{gold} and {other}",
        f"{gold}, {other}",
    ]:
        assert score(THINK + f"\\boxed{{{answer}}}", gold, "open") == 0.0, answer


@pytest.mark.parametrize(
    ("gold", "answer", "expected"),
    [
        ("4,915", "4915", True),  # MMLU elementary math option, thousands separator
        ("4,915", "4,951", False),
        ("495", "495.0", True),
        ("495", "\\text{495}", True),
        ("27%", "27\\%", True),  # MMLU-STEM line 556 options
        ("27%", "27 percent", True),
        ("27%", "0.27", True),
        ("27%", "18%", False),
        ("$28.75", "28.75", True),  # MMLU line 2750 gold, currency sign
        ("$28.75", "\\$28.75", True),
        ("$28.75", "$27.50", False),
        ("0.93", ".93", True),
        ("0.93", "0.39", False),
        ("-36m", "-36m", True),
        ("-36m", "36m", False),  # the sign is the whole question
        ("1/2", "0.5", True),
        ("3.5", "3, 5", False),  # no digit soup: "3, 5" is not 3.5
        ("35", "3 5", False),
        ("Paris", "Paris or London", False),  # the example: no substring credit
        ("Paris", "the city of Paris", False),
        ("negative gravitropism", "Negative Gravitropism.", True),
        ("negative gravitropism", "positive gravitropism", False),
        ("Archimedes’ principle", "Archimedes' principle", True),  # MMLU line 1821, curly quote
        ("Abstract Syntax Tree (AST)", "abstract syntax tree (AST)", True),
        ("x-ray", "X ray", True),
        ("Washington, D.C.", "washington dc", False),
        ("//", "//.", True),  # MMLU-STEM programming options made of symbols only
        ("**", "the **", True),
        ("**", "*", False),  # "d c" vs "dc": exact after normalisation
    ],
)
def test_open_rules(gold, answer, expected):
    assert is_equivalent(gold, answer, "open") is expected


def test_empty_or_missing_answer_is_wrong():
    assert not is_equivalent("water", "", "open")
    assert not is_equivalent("water", None, "open")
    assert not is_equivalent("water", "the", "open")  # only an article
