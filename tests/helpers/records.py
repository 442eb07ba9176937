"""Record builders shared by the record, template, filter and columnar tests (real rows where possible)."""

from __future__ import annotations

import csv

from crossthink_data.record import QARecord
from tests.helpers.paths import TEST_DATA

DATA = TEST_DATA / "foundation"

# A real ARC-Challenge train row (AI2 ARC, CC BY-SA 4.0; ../shared/data/training_standins).
ARC_QUESTION = (
    "Directions Read the information about wind erosion then answer the question. Wind can cause erosion "
    "that changes the surface of the Earth. Wind erosion can have negative effects on the environment by "
    "removing soil and polluting the air during dust storms. What is one way to prevent wind erosion?"
)


ARC_OPTIONS = [
    "People can drive off-road bikes across the desert.",
    "Ranchers can let their cattle graze in areas with little plant growth.",
    "Construction workers can wet the ground before driving on it or digging.",
    "Farmers can remove all plant material in the soil between plant growing seasons.",
]


def arc_record(**overrides) -> QARecord:
    fields = dict(
        source="arc_challenge",
        domain="gpr",
        category="stem",
        question=ARC_QUESTION,
        options=list(ARC_OPTIONS),
        answer="C",
        provenance={"upstream": "ai2_arc", "license": "cc-by-sa-4.0"},
    )
    fields.update(overrides)
    return QARecord(**fields)


def mmlu_rows(name: str) -> list[QARecord]:
    with open(DATA / name, newline="") as handle:
        return [
            QARecord(
                source="mmlu_test",
                domain="gpr",
                category="stem",
                question=row["question"],
                options=[row[f"choice{i}"] for i in range(4)],
                answer="ABCD"[int(row["answer"])],
            )
            for row in csv.DictReader(handle)
        ]


def math_record(answer: str, question: str = "Compute the value described in the problem.") -> QARecord:
    return QARecord(source="math_train", domain="math", category="math", question=question, answer=answer)
