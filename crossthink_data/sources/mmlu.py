"""MMLU auxiliary train: the paper's "MMLU [Train]" source (99,842 rows in its Table 1).

Upstream
    Hub ``cais/mmlu``, config ``auxiliary_train``, split ``train`` (99,842 rows). License MIT.
    Row schema: ``question`` (str), ``subject`` (str; empty for auxiliary_train), ``choices``
    (list of 4 str), ``answer`` (int, 0-based index of the gold choice). Some revisions of the
    parquet wrap each row in a struct column ``train`` holding those four fields; both are read.
Local layout (``from_dir``)
    The original release's headerless CSVs, ``data/auxiliary_train/<file>.csv`` or ``<file>.csv``
    directly under ``from_dir``: columns question, choice A, B, C, D, answer letter. The file name
    (``science_elementary``, ``race``, ...) becomes ``subject``.
Mapping
    question -> question; choices -> options; answer index -> label A-D (gold text from the
    option). Category: the MMLU table for a real MMLU subject, else by auxiliary_train file (ARC,
    OBQA and the science exams are STEM; RACE and MCTest reading comprehension are "other"; the law
    set is humanities). Hub rows have an empty subject, so they get "other": by the sizes of the
    original files the auxiliary_train mix is mostly RACE reading comprehension, which MMLU's
    table would file under "other"; a later classifier can refine it. Domain ``gpr``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from crossthink_data import storage
from crossthink_data.categories import mmlu_category
from crossthink_data.options import OptionLabelError, label_index
from crossthink_data.record import QARecord, RecordError

from .base import SourceAdapter, gold_from_index, required_text
from .readers import text_lines

MMLU_CITATION = """@article{hendryckstest2021,
  title={Measuring Massive Multitask Language Understanding},
  author={Dan Hendrycks and Collin Burns and Steven Basart and Andy Zou and Mantas Mazeika and Dawn Song and Jacob Steinhardt},
  journal={Proceedings of the International Conference on Learning Representations (ICLR)},
  year={2021}
}"""


class MMLUAuxiliaryTrain(SourceAdapter):
    name = "mmlu_train"
    hub_id = "cais/mmlu"
    hub_config = "auxiliary_train"
    hub_split = "train"
    local_patterns = ("*.csv", "data/auxiliary_train/*.csv", "auxiliary_train/*.csv")
    license = "mit"
    commercial_use = True
    citation = MMLU_CITATION
    domain = "gpr"
    description = (
        "MMLU auxiliary train (cais/mmlu, config auxiliary_train): ~100k four-way multiple-choice "
        "questions that MMLU collected from ARC, OpenBookQA, MCTest, RACE and science exams. Upstream "
        "rows have question, subject, choices (4) and answer (0-based index); we keep the question as "
        "the stem, the choices as options and map the index to its label A-D. Category follows the "
        "MMLU subject table, or the auxiliary file the row comes from (science sets: STEM; reading "
        "comprehension: other)."
    )

    def read_local_file(self, path: str) -> Iterator[dict[str, Any]]:
        """Headerless CSV rows (question, A, B, C, D, answer letter) in the Hub schema."""
        subject = storage.basename(path).rsplit(".", 1)[0]
        for fields in csv.reader(text_lines(path)):
            if not fields:
                continue
            question, *choices, letter = fields if len(fields) >= 3 else (*fields, "")
            try:
                answer: Any = label_index(letter)
            except OptionLabelError:
                answer = letter  # left for to_record to reject with its reason
            yield {"question": question, "subject": subject, "choices": choices, "answer": answer}

    def to_record(self, row: dict[str, Any]) -> QARecord:
        if isinstance(row.get("train"), dict):  # parquet revisions nesting the row in a struct
            row = row["train"]
        question = required_text(row, "question")
        choices = row.get("choices")
        if not isinstance(choices, list | tuple) or len(choices) < 2:
            raise RecordError(f"'choices' must be a list of at least 2 options, got {choices!r}")
        options = [str(c).strip() for c in choices]
        if any(not o for o in options):
            raise RecordError("empty option in 'choices'")
        answer = gold_from_index(row.get("answer"), len(options))
        subject = (row.get("subject") or "").strip() or None
        return QARecord(
            source=self.name,
            domain=self.domain,
            category=mmlu_category(subject),
            subject=subject,
            question=question,
            options=options,
            answer=answer,
            provenance=self.provenance(),
        )
