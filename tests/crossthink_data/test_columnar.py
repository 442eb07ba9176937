"""The columnar fast path must give exactly the scalar reference's verdicts and rows on real data."""

from __future__ import annotations

import pyarrow as pa
import pytest

from crossthink_data import columnar
from crossthink_data.columnar import filter_and_render, filter_h_table, render_table
from crossthink_data.filters import RULE_NAMES, RULES, filter_h_failure
from crossthink_data.record import QARecord, arrow_schema
from crossthink_data.templates import render
from tests.helpers.records import math_record, mmlu_rows

EDGE_CASES = [
    QARecord(
        "syn_qa",
        "gpr",
        "stem",
        "What gas do plants absorb for photosynthesis?",
        options=["Carbon dioxide", "Oxygen", "carbon  dioxide.", "Nitrogen"],
        answer="A",
    ),
    QARecord(
        "syn_qa",
        "gpr",
        "stem",
        "What explains the seasons on Earth?",
        options=["Axial tilt", "Distance to the Sun", "Both A and B", "Solar flares"],
        answer="C",
    ),
    QARecord("syn_qa", "gpr", "other", "$$$ ### !!! ??? %%% ^^^", "x"),
    QARecord(
        "syn_qa",
        "gpr",
        "other",
        "Name the ten words used to count in this test question.",
        "one two three four five six seven eight nine ten eleven",
    ),
    QARecord("syn_qa", "gpr", "other", "  What is the capital of France?  ", "  Paris  "),
    math_record("\\frac{1}{2"),
    math_record("See the proof above."),
    math_record("x^5 - x^4 + x^3 - x^2 + x - 1"),
    QARecord(
        "syn_qa",
        "gpr",
        "stem",
        "Which of these units measures force in SI?",
        options=[f"unit {i}" for i in range(10)],
        answer="J",
    ),
]


@pytest.fixture(scope="module")
def records() -> list[QARecord]:
    real = [
        r
        for name in ("college_physics_test.csv", "nutrition_test.csv", "high_school_macroeconomics_test.csv")
        for r in mmlu_rows(name)
    ]
    return real + EDGE_CASES


@pytest.mark.parametrize("template", ["mcq", "open"])
def test_verdicts_match_the_scalar_rules(records, template):
    table = pa.Table.from_pylist([r.to_dict() for r in records], schema=arrow_schema())
    expected = [filter_h_failure(r, template) for r in records]
    assert filter_h_table(table, template).to_pylist() == expected
    assert len(set(expected)) >= 3  # the data exercises several rules, not only "keep"


@pytest.mark.parametrize("template", ["mcq", "open"])
def test_rendered_rows_match_the_scalar_templates(records, template):
    table = pa.Table.from_pylist([r.to_dict() for r in records], schema=arrow_schema())
    kept, rejected = filter_and_render(table, template)
    expected = [render(r, template) for r in records if filter_h_failure(r, template) is None]
    assert kept.to_pylist() == expected
    assert kept.schema == arrow_schema(templated=True)
    assert rejected.num_rows == len(records) - len(expected)
    assert set(rejected.column("filter_reason").to_pylist()) <= {
        filter_h_failure(r, template) for r in records
    } - {None}


def test_sliced_tables_render_the_right_options(records):
    table = pa.Table.from_pylist([r.to_dict() for r in records], schema=arrow_schema()).slice(7, 5)
    rendered = render_table(table, "mcq").to_pylist()
    assert rendered == [render(r, "mcq") for r in records[7:12]]


def test_mcq_rendering_refuses_rows_without_options():
    table = pa.Table.from_pylist([math_record("18").to_dict()], schema=arrow_schema())
    with pytest.raises(ValueError, match="needs options"):
        render_table(table, "mcq")
    with pytest.raises(ValueError, match="unknown template"):
        filter_h_table(table, "essay")


# One record per filter-H rule that this rule, and no earlier one, drops under its template.
WITNESSES: dict[str, tuple[QARecord, str]] = {
    "empty_or_garbled_question": (QARecord("s", "gpr", "other", "Why?", "x"), "open"),
    "empty_or_garbled_answer": (
        QARecord("s", "gpr", "other", "What is the capital of France?", "Par\ufffds"),
        "open",
    ),
    "mcq_without_options": (math_record("18"), "mcq"),
    "gold_not_in_options": (
        QARecord(
            "s",
            "gpr",
            "other",
            "What is the capital of France?",
            "A",
            options=["Paris", "Rome"],
            answer_text="Rome",
        ),
        "mcq",
    ),
    "duplicate_options": (EDGE_CASES[0], "mcq"),
    "option_dependent_stem": (
        QARecord("s", "gpr", "other", "Which of the following is a city?", "A", options=["Paris", "Blue"]),
        "open",
    ),
    "option_dependent_answer": (EDGE_CASES[1], "open"),
    "open_answer_too_long": (EDGE_CASES[3], "open"),
    "math_answer_not_checkable": (math_record("See the proof above."), "open"),
}


def test_every_rule_is_declared_once_with_both_predicates():
    assert list(WITNESSES) == list(RULE_NAMES)  # a new rule needs a witness row here
    for rule in RULES:
        assert set(rule.templates) <= {"mcq", "open"} and rule.templates
        assert callable(rule.passes) and callable(rule.passes_table)


@pytest.mark.parametrize("name", RULE_NAMES)
def test_each_rule_drops_its_witness_in_both_paths(name):
    """Fails when a rule is missing from (or differs in) the scalar or the columnar path."""
    record, template = WITNESSES[name]
    table = pa.Table.from_pylist([record.to_dict()], schema=arrow_schema())
    assert filter_h_failure(record, template) == name
    assert filter_h_table(table, template).to_pylist() == [name]


@pytest.mark.parametrize("name", RULE_NAMES)
def test_columnar_path_reads_the_rule_table(name, monkeypatch):
    """Dropping a rule from RULES drops it from filter_h_table too: no second rule list exists."""
    record, template = WITNESSES[name]
    table = pa.Table.from_pylist([record.to_dict()], schema=arrow_schema())
    monkeypatch.setattr(columnar, "RULES", tuple(rule for rule in RULES if rule.name != name))
    assert filter_h_table(table, template).to_pylist() != [name]
