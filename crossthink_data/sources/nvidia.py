"""NVIDIA's released Nemotron-CrossThink data: CrossThink-QA (synthetic general-purpose QA from
Common Crawl and books) and CrossThink-Math (persona-driven synthetic math).

Upstream
    Hub ``nvidia/Nemotron-CrossThink``, config ``default`` with splits ``train_qa`` (187,496 rows,
    file ``Data/Nemotron-CrossThink-QA.jsonl``) and ``train_math`` (99,880 rows,
    ``Data/Nemotron-CrossThink-Math.jsonl``). License CC-BY-4.0.
    Row schema (veRL style), as found in code that reads these files (two independent public
    loaders agree; no row was available to inspect here, so confidence is moderate):
    ``data_source`` (str), ``prompt`` (chat messages with the templated prompt), ``reward_model``
    = ``{"style": "rule", "ground_truth": str}``, ``meta_data`` = ``{"question": str, "index": int,
    ...}``. We read the question from ``meta_data.question`` (falling back to a top-level
    ``question`` as some mirrors have it) and the gold from ``reward_model.ground_truth`` (falling
    back to top-level ``ground_truth``/``answer``/``reference_answer``; a gold stored as
    ``\\boxed{...}`` is unwrapped).
    The Hub repo's two files have different columns, so the default loader reads one file per
    split (``data_files``) instead of letting ``datasets`` infer one schema from both.
Local layout (``from_dir``)
    ``Data/Nemotron-CrossThink-QA.jsonl`` / ``Data/Nemotron-CrossThink-Math.jsonl`` (or the file
    directly under ``from_dir``).
Mapping
    QA: MCQ questions embed their options ("A. ...", "(A) ..." lines): they are split into
    ``options`` and a gold given as a label ("B", "(B)", "B. text") or as an option's text becomes
    that label; a gold matching no option is rejected. Questions without an option block become
    open-ended records. Domain ``gpr``; category from ``meta_data.category``/``subject`` via the
    MMLU table when present, else ``other``.
    Math: ``meta_data.question`` -> question, ``ground_truth`` -> answer; domain/category ``math``.
    Rows of our own ``blend-<name>-verl`` configs (:mod:`crossthink_data.verl`) carry every record
    field in ``extra_info``; either adapter reads them back into exactly the records they came from.
"""

from __future__ import annotations

from typing import Any

from crossthink_data.answers.boxes import last_boxed
from crossthink_data.categories import mmlu_category
from crossthink_data.options import answer_label, label_of_text, split_options
from crossthink_data.paper import PAPER_CITATION
from crossthink_data.record import QARecord, RecordError
from crossthink_data.verl import record_fields

from .base import SourceAdapter, scalar_text


def _field(row: dict[str, Any], nested: str, key: str, *fallbacks: str) -> str:
    """Non-empty text at ``row[nested][key]``, else the first non-empty top-level fallback."""
    inner = row.get(nested)
    candidates = [inner.get(key) if isinstance(inner, dict) else None] + [row.get(f) for f in fallbacks]
    names = " / ".join([f"{nested}.{key}", *fallbacks])
    for value in candidates:
        if value is not None and scalar_text(value, names):
            return scalar_text(value, names)
    raise RecordError(f"missing or empty {names}")


class _CrossThinkBase(SourceAdapter):
    hub_id = "nvidia/Nemotron-CrossThink"
    hub_config = None
    license = "cc-by-4.0"
    citation = PAPER_CITATION

    def to_record(self, row: dict[str, Any]) -> QARecord:
        """A row of our veRL export is rebuilt from its ``extra_info``; NVIDIA's rows are mapped."""
        ours = record_fields(row)
        if ours is not None:
            return QARecord.from_dict(ours)
        return self.upstream_record(row)

    def upstream_record(self, row: dict[str, Any]) -> QARecord:
        raise NotImplementedError

    def _question(self, row: dict[str, Any]) -> str:
        return _field(row, "meta_data", "question", "question", "problem")

    def _gold(self, row: dict[str, Any]) -> str:
        gold = _field(row, "reward_model", "ground_truth", "ground_truth", "answer", "reference_answer")
        if gold.lstrip("$ ").startswith("\\boxed"):  # a gold stored boxed: keep what is inside
            gold = last_boxed(gold) or gold
        return gold

    def _provenance(self, row: dict[str, Any]) -> dict[str, Any]:
        meta = row.get("meta_data") if isinstance(row.get("meta_data"), dict) else {}
        return self.provenance(upstream_id=meta.get("index"), data_source=row.get("data_source"))


class CrossThinkQA(_CrossThinkBase):
    name = "crossthink_qa"
    hub_split = "train_qa"
    hub_data_files = "Data/Nemotron-CrossThink-QA.jsonl"
    local_patterns = ("Data/Nemotron-CrossThink-QA.jsonl", "Nemotron-CrossThink-QA.jsonl")
    domain = "gpr"
    description = (
        "Nemotron-CrossThink-QA (nvidia/Nemotron-CrossThink, split train_qa, CC-BY-4.0): synthetic "
        "general-purpose reasoning questions generated from Common Crawl and books across STEM, "
        "humanities and social sciences. Rows carry the question in meta_data and the gold in "
        "reward_model.ground_truth; options embedded in the question are split off into an MCQ."
    )

    def upstream_record(self, row: dict[str, Any]) -> QARecord:
        text, gold = self._question(row), self._gold(row)
        meta = row.get("meta_data") if isinstance(row.get("meta_data"), dict) else {}
        subject = meta.get("subject") or meta.get("category") or None
        category = mmlu_category(subject) if subject else "other"
        split = split_options(text)
        if split is None:
            return QARecord(
                source=self.name,
                domain=self.domain,
                category=category,
                subject=subject,
                question=text,
                answer=gold,
                provenance=self._provenance(row),
            )
        labelled = answer_label(gold, len(split.options))
        label = labelled[0] if labelled is not None else label_of_text(gold, split.options)
        if label is None:
            raise RecordError(f"gold {gold[:60]!r} matches none of the {len(split.options)} options")
        return QARecord(
            source=self.name,
            domain=self.domain,
            category=category,
            subject=subject,
            question=split.stem,
            options=split.options,
            answer=label,
            provenance=self._provenance(row),
        )


class CrossThinkMath(_CrossThinkBase):
    name = "crossthink_math"
    hub_split = "train_math"
    hub_data_files = "Data/Nemotron-CrossThink-Math.jsonl"
    local_patterns = ("Data/Nemotron-CrossThink-Math.jsonl", "Nemotron-CrossThink-Math.jsonl")
    domain = "math"
    description = (
        "Nemotron-CrossThink-Math (nvidia/Nemotron-CrossThink, split train_math, CC-BY-4.0): "
        "persona-driven synthetic math problems with final answers. Rows carry the question in "
        "meta_data and the gold in reward_model.ground_truth."
    )

    def upstream_record(self, row: dict[str, Any]) -> QARecord:
        return QARecord(
            source=self.name,
            domain=self.domain,
            category="math",
            question=self._question(row),
            answer=self._gold(row),
            provenance=self._provenance(row),
        )
