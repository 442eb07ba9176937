"""The QA record: validation messages, stable ids, and the schema that parquet/load_dataset see."""

from __future__ import annotations

import pyarrow as pa
import pytest

from crossthink_data.record import (
    QARecord,
    RecordError,
    arrow_schema,
    features,
    from_document,
    to_document,
)
from tests.helpers.records import ARC_OPTIONS, ARC_QUESTION, arc_record


def test_mcq_record_fills_answer_text_from_the_gold_label():
    record = arc_record(answer="c")
    assert record.answer == "C"
    assert record.answer_text == "Construction workers can wet the ground before driving on it or digging."
    assert record.open_answer == record.answer_text


def test_id_is_stable_and_depends_on_content():
    assert arc_record().id == arc_record().id
    assert arc_record().id != arc_record(answer="B").id
    assert arc_record().id != arc_record(source="mmlu_train").id
    assert len(arc_record().id) == 20


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"question": "  "}, "question must be a non-empty string"),
        ({"answer": "E"}, "MCQ answer must be an option label A-D"),
        ({"answer": "Construction workers"}, "MCQ answer must be an option label"),
        ({"domain": "science"}, "domain must be one of"),
        ({"category": "physics"}, "category must be one of"),
        ({"domain": "math"}, "does not match category"),
        ({"options": ["only one"]}, "at least 2"),
        ({"options": ["a", " ", "c", "d"]}, "every option must be a non-empty string"),
    ],
)
def test_invalid_records_say_what_is_wrong(overrides, message):
    with pytest.raises(RecordError, match=message):
        arc_record(**overrides)


def test_open_math_record_from_gsm8k():
    # GSM8K test row 1 (MIT): the final answer after "####" is 18.
    record = QARecord(
        source="gsm8k",
        domain="math",
        category="math",
        question="Janet's ducks lay 16 eggs per day. ... How much in dollars does she make every day?",
        answer="18",
    )
    assert record.options is None and record.answer_text is None
    assert record.open_answer == "18"
    assert not record.is_mcq


def test_dict_round_trip_keeps_provenance_as_json_string():
    record = arc_record()
    row = record.to_dict()
    assert isinstance(row["provenance"], str) and '"license": "cc-by-sa-4.0"' in row["provenance"]
    assert QARecord.from_dict(row) == record


def test_from_dict_reports_missing_fields_and_bad_provenance():
    with pytest.raises(RecordError, match="missing required field.*answer"):
        QARecord.from_dict({"source": "x", "domain": "gpr", "category": "stem", "question": "Q?"})
    row = arc_record().to_dict() | {"provenance": "{not json"}
    with pytest.raises(RecordError, match="provenance is not valid JSON"):
        QARecord.from_dict(row)


def test_document_round_trip():
    record = arc_record()
    document = to_document(record)
    assert document.text == ARC_QUESTION and document.id == record.id
    assert "question" not in document.metadata
    assert from_document(document) == record


def test_schema_matches_rows_and_features():
    row = arc_record().to_dict()
    table = pa.Table.from_pylist([row], schema=arrow_schema())
    assert table.column("options").to_pylist() == [ARC_OPTIONS]
    templated = features(templated=True)
    assert set(templated) == set(arrow_schema(True).names)
    assert templated["prompt"].feature["role"].dtype == "string"
    assert templated["options"].feature.dtype == "string"
