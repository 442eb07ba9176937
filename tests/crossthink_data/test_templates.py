"""T_MCQ and T_Open on real rows: what the model sees and what the reward compares with."""

from __future__ import annotations

import pytest

from crossthink_data.record import QARecord
from crossthink_data.templates import render, render_mcq, render_open
from tests.helpers.records import ARC_OPTIONS, arc_record


def user_message(row: dict) -> str:
    assert [m["role"] for m in row["prompt"]] == ["user"]
    return row["prompt"][0]["content"]


def test_mcq_keeps_lettered_options_and_asks_for_think_and_boxed_letter():
    row = render_mcq(arc_record())
    text = user_message(row)
    for letter, option in zip("ABCD", ARC_OPTIONS):
        assert f"\n{letter}. {option}" in text
    assert "<think>" in text and "</think>" in text and "\\boxed{}" in text
    assert "letter" in text
    assert row["ground_truth"] == "C" and row["kind"] == "mcq" and row["template"] == "mcq"
    assert row["options"] == ARC_OPTIONS and row["id"] == arc_record().id


def test_open_removes_options_and_uses_gold_text():
    row = render_open(arc_record())
    text = user_message(row)
    assert not any(option in text for option in ARC_OPTIONS)
    assert "\nA. " not in text
    assert row["ground_truth"] == "Construction workers can wet the ground before driving on it or digging."
    assert row["kind"] == "open" and row["template"] == "open"


def test_open_math_question_is_kind_math():
    # MATH-500 row 2 (MIT): answer "p - q".
    record = QARecord(
        source="math_train",
        domain="math",
        category="math",
        question="Find a way to write the double sum in terms of $p$ and $q.$",
        answer="p - q",
    )
    row = render(record, "open")
    assert row["kind"] == "math" and row["ground_truth"] == "p - q"
    assert "$p$ and $q.$" in user_message(row)
    assert "simplest form" in user_message(row)


def test_render_rejects_unknown_template_and_mcq_without_options():
    with pytest.raises(ValueError, match="unknown template 'essay'"):
        render(arc_record(), "essay")
    with pytest.raises(ValueError, match="has no options"):
        render_mcq(QARecord("gsm8k", "math", "math", "How many eggs are left over?", "9"))


def test_ten_options_get_letters_a_to_j():
    options = [f"value {i}" for i in range(10)]
    row = render_mcq(QARecord("mmlu_pro", "gpr", "stem", "Pick the right value here.", "J", options=options))
    assert "\nJ. value 9" in user_message(row)
    assert row["ground_truth"] == "J"
