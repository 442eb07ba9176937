"""Plug any QA table in: jsonl/json/csv/parquet files (or a Hub dataset) plus a column mapping.

A user with their own QA file writes a small mapping (a dict or YAML) instead of an adapter::

    name: my_quiz                 # QARecord.source
    files: ["*.jsonl"]            # globs under --from-dir (default: every jsonl/json/csv/parquet)
    hub_id: null                  # or a Hub dataset, with hub_config / hub_split
    license: cc-by-4.0
    question: question            # column with the stem
    options: choices              # column holding a list of options ...
    option_columns: [A, B, C, D]  # ... or one column per option
    answer: answer                # column with the gold
    answer_format: letter         # letter | index (0-based) | text (an option's text, or an open
                                  # answer) | boxed (last \\boxed{} of the column) | auto
    domain: gpr                   # constant, or domain_column: ...
    category: stem                # constant, or category_column: ... (mapped with the MMLU
                                  # subject table when category_map: mmlu)
    subject_column: subject       # optional; or subject: <constant>

Without options the record is open-ended (or math when the domain is ``math``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from crossthink_data.answers.boxes import last_boxed
from crossthink_data.categories import mmlu_category
from crossthink_data.options import OptionLabelError, answer_label, label_index, label_of_text
from crossthink_data.record import CATEGORIES, DOMAINS, QARecord, RecordError

from .base import SourceAdapter, gold_from_index, required_text

ANSWER_FORMATS = ("letter", "index", "text", "boxed", "auto")


@dataclass
class ColumnMapping:
    """Where each QARecord field comes from in a user's table (see the module docstring)."""

    name: str
    question: str = "question"
    answer: str = "answer"
    options: str | None = None
    option_columns: list[str] = field(default_factory=list)
    answer_format: str = "auto"
    domain: str | None = "gpr"
    domain_column: str | None = None
    category: str | None = None
    category_column: str | None = None
    category_map: str | None = None  # "mmlu": map the category column through the MMLU subject table
    subject: str | None = None
    subject_column: str | None = None
    files: list[str] = field(default_factory=lambda: ["**/*.jsonl", "**/*.json", "**/*.csv", "**/*.parquet"])
    hub_id: str | None = None
    hub_config: str | None = None
    hub_split: str = "train"
    license: str = "other"
    commercial_use: bool = True
    citation: str = ""
    description: str = ""

    def __post_init__(self) -> None:
        problems = []
        if not self.name or not str(self.name).strip():
            problems.append("'name' is required")
        if self.answer_format not in ANSWER_FORMATS:
            problems.append(f"answer_format must be one of {ANSWER_FORMATS}, got {self.answer_format!r}")
        if self.options and self.option_columns:
            problems.append("give either 'options' (a list column) or 'option_columns', not both")
        if self.domain_column is None and self.domain not in DOMAINS:
            problems.append(f"domain must be one of {DOMAINS} (or set domain_column), got {self.domain!r}")
        if self.category is not None and self.category not in CATEGORIES:
            problems.append(f"category must be one of {CATEGORIES}, got {self.category!r}")
        if self.category_map not in (None, "mmlu"):
            problems.append(f"category_map can only be 'mmlu', got {self.category_map!r}")
        if isinstance(self.files, str):
            self.files = [self.files]
        if problems:
            raise ValueError("invalid column mapping: " + "; ".join(problems))

    @classmethod
    def from_dict(cls, config: dict[str, Any]) -> ColumnMapping:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(config) - known)
        if unknown:
            raise ValueError(
                f"unknown column-mapping key(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        return cls(**config)


class TableAdapter(SourceAdapter):
    """An adapter built from a :class:`ColumnMapping` instead of code."""

    def __init__(self, mapping: ColumnMapping | dict[str, Any]):
        if isinstance(mapping, dict):
            mapping = ColumnMapping.from_dict(mapping)
        self.mapping = mapping
        self.name = mapping.name
        self.hub_id = mapping.hub_id
        self.hub_config = mapping.hub_config
        self.hub_split = mapping.hub_split
        self.local_patterns = tuple(mapping.files)
        self.license = mapping.license
        self.commercial_use = mapping.commercial_use
        self.citation = mapping.citation
        self.description = mapping.description or f"User table {mapping.name} mapped by column."
        self.domain = mapping.domain or "gpr"

    @classmethod
    def from_dict(cls, config: dict[str, Any]) -> TableAdapter:
        return cls(ColumnMapping.from_dict(config))

    @classmethod
    def from_yaml(cls, path: Path | str) -> TableAdapter:
        import yaml

        config = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        if not isinstance(config, dict):
            raise ValueError(f"{path}: expected a mapping of column-mapping keys")
        return cls.from_dict(config)

    def _options(self, row: dict[str, Any]) -> list[str] | None:
        m = self.mapping
        if m.options:
            value = row.get(m.options)
            if isinstance(value, str):  # a JSON list stored as text (csv)
                try:
                    value = json.loads(value)
                except json.JSONDecodeError as err:
                    raise RecordError(f"options column {m.options!r} is not a list: {value[:60]!r}") from err
            if not isinstance(value, list | tuple):
                raise RecordError(f"options column {m.options!r} is not a list: {value!r}")
            return [str(v).strip() for v in value]
        if m.option_columns:
            missing = [c for c in m.option_columns if c not in row]
            if missing:
                raise RecordError(f"missing option column(s) {missing}")
            return [
                str(row[c]).strip() for c in m.option_columns if row[c] is not None and str(row[c]).strip()
            ]
        return None

    def _gold(self, row: dict[str, Any], options: list[str] | None) -> str:
        m = self.mapping
        if m.answer_format == "index":
            if options is None:
                raise RecordError("answer_format 'index' needs options")
            return gold_from_index(row.get(m.answer), len(options))
        raw = required_text(row, m.answer)
        if m.answer_format == "boxed":
            boxed = last_boxed(raw)
            if boxed is None:
                raise RecordError(f"no \\boxed{{}} final answer in {m.answer!r}")
            raw = boxed
        if options is None:
            if m.answer_format == "letter":
                raise RecordError("answer_format 'letter' needs options")
            return raw
        if m.answer_format == "letter":
            try:
                label = label_index(raw)
            except OptionLabelError as err:
                raise RecordError(str(err)) from err
            if label >= len(options):
                raise RecordError(f"gold label {raw!r} out of range for {len(options)} options")
            return raw.strip().upper()
        if m.answer_format == "text":
            label = label_of_text(raw, options)
            if label is None:
                raise RecordError(f"gold {raw[:60]!r} matches none of the options")
            return label
        # auto / boxed: a label, an index, or an option's text
        if raw.isdigit():
            return gold_from_index(raw, len(options))
        labelled = answer_label(raw, len(options))
        label = labelled[0] if labelled else label_of_text(raw, options)
        if label is None:
            raise RecordError(f"gold {raw[:60]!r} is neither an option label nor an option's text")
        return label

    def to_record(self, row: dict[str, Any]) -> QARecord:
        m = self.mapping
        question = required_text(row, m.question)
        options = self._options(row)
        answer = self._gold(row, options)
        domain = str(row.get(m.domain_column) or "").strip() if m.domain_column else m.domain
        if m.category_column:
            value = row.get(m.category_column)
            category = (
                mmlu_category(value) if m.category_map == "mmlu" else (str(value).strip() if value else None)
            )
        else:
            category = m.category
        if domain == "math":
            category = "math"
        category = category or "other"
        subject = row.get(m.subject_column) if m.subject_column else m.subject
        return QARecord(
            source=self.name,
            domain=domain or "",
            category=category,
            subject=str(subject) if subject not in (None, "") else None,
            question=question,
            options=options,
            answer=answer,
            provenance=self.provenance(),
        )
