"""The one QA record every source, miner, filter, template and exporter shares.

Mined (Common Crawl) and open-source QA become a :class:`QARecord` before anything else touches
them, so filter H, templates, curation and the Hub export each handle exactly one shape. The same
fields travel through datatrove as ``Document.metadata`` and land in parquet as columns.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from crossthink_data.options import OPTION_LABELS, label_index, label_within

DOMAINS = ("gpr", "math")
CATEGORIES = ("stem", "humanities", "social_sciences", "other", "math")
TEMPLATES = ("mcq", "open")
KINDS = ("mcq", "open", "math")

RECORD_FIELDS = (
    "id",
    "source",
    "domain",
    "category",
    "subject",
    "question",
    "options",
    "answer",
    "answer_text",
    "provenance",
)
TEMPLATED_FIELDS = ("template", "kind", "prompt", "ground_truth")


class RecordError(ValueError):
    """A row that cannot become a QARecord; the message names the field and the problem."""


def record_id(source: str, question: str, options: list[str] | None, answer: str) -> str:
    """Stable id: the same source, question, options and answer always hash to the same id."""
    payload = json.dumps([source, question, options or [], answer], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:20]


@dataclass(slots=True)
class QARecord:
    """One verifiable question. ``answer`` is the option label for MCQ, the short answer otherwise."""

    source: str
    domain: str
    category: str
    question: str
    answer: str
    options: list[str] | None = None
    answer_text: str | None = None
    subject: str | None = None
    provenance: dict[str, Any] = field(default_factory=dict)
    id: str = ""

    def __post_init__(self) -> None:
        problems = validate(self)
        if problems:
            raise RecordError(f"invalid record from source {self.source!r}: " + "; ".join(problems))
        if self.options is not None:
            self.answer = self.answer.strip().upper()
        if self.options is not None and self.answer_text is None:
            self.answer_text = self.options[label_index(self.answer)]
        if not self.id:
            self.id = record_id(self.source, self.question, self.options, self.answer)

    @property
    def is_mcq(self) -> bool:
        return self.options is not None

    @property
    def open_answer(self) -> str:
        """What T_Open asks for: the gold option's text for an MCQ, the answer otherwise."""
        return (self.answer_text if self.is_mcq else self.answer) or ""

    def to_dict(self) -> dict[str, Any]:
        """Plain dict with ``provenance`` as a JSON string (the parquet column type)."""
        return {
            "id": self.id,
            "source": self.source,
            "domain": self.domain,
            "category": self.category,
            "subject": self.subject,
            "question": self.question,
            "options": list(self.options) if self.options is not None else None,
            "answer": self.answer,
            "answer_text": self.answer_text,
            "provenance": json.dumps(self.provenance, ensure_ascii=False, sort_keys=True),
        }

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> QARecord:
        """Inverse of :meth:`to_dict`; accepts provenance as dict or JSON string, ignores extra keys."""
        missing = [name for name in ("source", "domain", "category", "question", "answer") if name not in row]
        if missing:
            raise RecordError(f"row is missing required field(s): {', '.join(missing)}")
        provenance = row.get("provenance") or {}
        if isinstance(provenance, str):
            try:
                provenance = json.loads(provenance)
            except json.JSONDecodeError as err:
                raise RecordError(f"provenance is not valid JSON: {err}") from err
        options = row.get("options")
        return cls(
            source=row["source"],
            domain=row["domain"],
            category=row["category"],
            question=row["question"],
            answer=row["answer"],
            options=list(options) if options is not None else None,
            answer_text=row.get("answer_text"),
            subject=row.get("subject"),
            provenance=dict(provenance),
            id=row.get("id") or "",
        )


def validate(record: QARecord) -> list[str]:
    """Every problem with a record, as readable messages (empty list: valid)."""
    problems: list[str] = []
    for name in ("source", "question", "answer"):
        value = getattr(record, name)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{name} must be a non-empty string, got {value!r}")
    if record.domain not in DOMAINS:
        problems.append(f"domain must be one of {DOMAINS}, got {record.domain!r}")
    if record.category not in CATEGORIES:
        problems.append(f"category must be one of {CATEGORIES}, got {record.category!r}")
    if (record.domain == "math") != (record.category == "math"):
        problems.append(f"domain {record.domain!r} does not match category {record.category!r}")
    if record.options is not None:
        if not isinstance(record.options, list) or len(record.options) < 2:
            problems.append("options must be a list of at least 2 strings (or None for open questions)")
        elif len(record.options) > len(OPTION_LABELS):
            problems.append(f"at most {len(OPTION_LABELS)} options, got {len(record.options)}")
        elif any(not isinstance(o, str) or not o.strip() for o in record.options):
            problems.append("every option must be a non-empty string")
        elif isinstance(record.answer, str) and label_within(record.answer, len(record.options)) is None:
            problems.append(
                f"MCQ answer must be an option label A-{OPTION_LABELS[len(record.options) - 1]}, "
                f"got {record.answer!r}"
            )
    if not isinstance(record.provenance, dict):
        problems.append("provenance must be a dict")
    return problems


def arrow_schema(templated: bool = False):
    """pyarrow schema of the record (and of a templated row when ``templated``)."""
    import pyarrow as pa

    fields = [
        pa.field("id", pa.string()),
        pa.field("source", pa.string()),
        pa.field("domain", pa.string()),
        pa.field("category", pa.string()),
        pa.field("subject", pa.string()),
        pa.field("question", pa.string()),
        pa.field("options", pa.list_(pa.string())),
        pa.field("answer", pa.string()),
        pa.field("answer_text", pa.string()),
        pa.field("provenance", pa.string()),
    ]
    if templated:
        message = pa.struct([pa.field("content", pa.string()), pa.field("role", pa.string())])
        fields += [
            pa.field("template", pa.string()),
            pa.field("kind", pa.string()),
            pa.field("prompt", pa.list_(message)),
            pa.field("ground_truth", pa.string()),
        ]
    return pa.schema(fields)


def features(templated: bool = False):
    """``datasets.Features`` matching :func:`arrow_schema` (what ``load_dataset`` gives back)."""
    from datasets import Features

    return Features.from_arrow_schema(arrow_schema(templated))


def to_document(record: QARecord):
    """A datatrove Document carrying the record: text is the question, metadata the fields."""
    from datatrove.data import Document

    row = record.to_dict()
    metadata = {k: v for k, v in row.items() if k not in ("id", "question")}
    return Document(text=record.question, id=record.id, metadata=metadata)


def from_document(document) -> QARecord:
    """Inverse of :func:`to_document` (extra metadata such as template columns is ignored)."""
    row = dict(document.metadata)
    row["question"] = document.text
    row["id"] = document.id
    return QARecord.from_dict(row)
