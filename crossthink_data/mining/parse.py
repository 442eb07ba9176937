"""Strict parsing of generator replies into Syn-QA records; everything else becomes a reject.

A reply must be one JSON object ``{"questions": [...]}`` (a single surrounding markdown code
fence is tolerated, nothing else). Raw tabs and line breaks inside its strings are read as their
escaped forms (llama.cpp's server passes them through from the model; strict JSON refuses them);
any other control character, raw or escaped, makes its question unreadable (the same characters
filter H calls garbled). Each question needs a non-empty stem, 4 to 10 distinct
non-empty options, one option letter as ``answer`` and a ``short_answer``. A reply that fails as
a whole (generation error, cut off at ``max_tokens``, not JSON) is one reject; a bad question
inside a good reply is rejected alone. Every reject names its reason, so a user can count them.

:data:`REPLY_SCHEMA` states the same shape as a JSON schema, for servers that constrain their
replies (``--response-format``); it is written from the same limits as :func:`parse_question`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.writers.disk_base import DiskWriter

from crossthink_data.filters import CONTROL_OR_REPLACEMENT
from crossthink_data.mining.generation import MAX_OPTIONS, MIN_OPTIONS
from crossthink_data.options import OPTION_LABELS, has_duplicate_options, label_within
from crossthink_data.record import QARecord, RecordError, to_document

SOURCE = "syn_qa"
SCHEMA_NAME = "syn_qa_questions"
_TEXT = {"type": "string", "minLength": 1}
REPLY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        # No "minItems": the prompt lets the model write no question for a page that supports none,
        # and a constrained server would otherwise force one; the parser counts it as no_questions.
        "questions": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "question": _TEXT,
                    "options": {
                        "type": "array",
                        "items": _TEXT,
                        "minItems": MIN_OPTIONS,
                        "maxItems": MAX_OPTIONS,
                    },
                    "answer": {"type": "string", "enum": list(OPTION_LABELS[:MAX_OPTIONS])},
                    "short_answer": _TEXT,
                },
                "required": ["question", "options", "answer", "short_answer"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["questions"],
    "additionalProperties": False,
}
_FENCE = re.compile(r"^```(?:json|JSON)?\s*\n(?P<body>.*)\n```$", re.S)
_UNREADABLE = re.compile(CONTROL_OR_REPLACEMENT)  # tab, line feed and carriage return are not in it


@dataclass
class Reject:
    """Why (part of) a reply did not become a record."""

    reason: str
    detail: str
    question_index: int | None = None


def strip_fence(text: str) -> str:
    text = text.strip()
    match = _FENCE.match(text)
    return match.group("body").strip() if match else text


def parse_question(item: Any) -> tuple[dict[str, Any] | None, Reject | None]:
    """One question object -> its validated fields, or the reason it is unusable."""
    if not isinstance(item, dict):
        return None, Reject("question_not_object", f"got {type(item).__name__}")
    question, options, answer = item.get("question"), item.get("options"), item.get("answer")
    short_answer = item.get("short_answer")
    if not isinstance(question, str) or not question.strip():
        return None, Reject("missing_question", "question must be a non-empty string")
    if not isinstance(options, list) or not all(isinstance(o, str) and o.strip() for o in options):
        return None, Reject("bad_options", "options must be a list of non-empty strings")
    if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        return None, Reject("option_count", f"{len(options)} options, need {MIN_OPTIONS}-{MAX_OPTIONS}")
    if has_duplicate_options(options):
        return None, Reject("duplicate_options", "two options have the same text")
    if label_within(answer, len(options)) is None:
        return None, Reject(
            "bad_answer_label", f"answer {answer!r} is not one of A-{OPTION_LABELS[len(options) - 1]}"
        )
    if not isinstance(short_answer, str) or not short_answer.strip():
        return None, Reject("missing_short_answer", "short_answer must be a non-empty string")
    if any(_UNREADABLE.search(text) for text in (question, *options, short_answer)):
        return None, Reject(
            "unreadable_text", "a control or replacement character (other than tab or line break)"
        )
    fields = {
        "question": question.strip(),
        "options": [o.strip() for o in options],
        "answer": answer.strip().upper(),
        "short_answer": short_answer.strip(),
    }
    return fields, None


def parse_reply(result: dict[str, Any]) -> tuple[list[dict[str, Any]], list[Reject]]:
    """A rollout result (see :func:`~crossthink_data.mining.generation.generate_questions`)."""
    if not result.get("ok"):
        return [], [Reject("generation_failed", str(result.get("error", "unknown error")))]
    if result.get("finish_reason") == "length":
        return [], [Reject("truncated", "reply cut off at max_tokens")]
    text = result.get("text") or ""
    try:
        payload = json.loads(strip_fence(text), strict=False)  # raw tabs/newlines in strings
    except json.JSONDecodeError as err:
        return [], [Reject("malformed_json", f"{err}: {text[:200]!r}")]
    if not isinstance(payload, dict) or not isinstance(payload.get("questions"), list):
        return [], [Reject("wrong_shape", 'expected {"questions": [...]}')]
    questions, rejects = [], []
    for index, item in enumerate(payload["questions"]):
        fields, reject = parse_question(item)
        if reject is not None:
            reject.question_index = index
            rejects.append(reject)
        else:
            questions.append(fields)
    if not payload["questions"]:
        rejects.append(Reject("no_questions", "the model wrote no questions for this document"))
    return questions, rejects


def records_from_document(document: Document, generator_model: str) -> tuple[list[QARecord], list[Reject]]:
    """All records and rejects of one generated document (its ``rollout_results``)."""
    meta = document.metadata
    records: list[QARecord] = []
    rejects: list[Reject] = []
    for result in meta.get("rollout_results") or [{"ok": False, "error": "no rollout result"}]:
        questions, bad = parse_reply(result)
        rejects += bad
        for index, fields in enumerate(questions):
            provenance = {
                "url": meta.get("url"),
                "warc_record_id": document.id,
                "warc_date": meta.get("date"),
                "generator_model": generator_model,
                "prompt_version": result.get("prompt_version"),
                "category_confidence": meta.get("category_confidence"),
                "question_index": index,
                "short_answer": fields["short_answer"],
            }
            try:
                records.append(
                    QARecord(
                        source=SOURCE,
                        domain="gpr",
                        category=meta.get("category", "other"),
                        question=fields["question"],
                        options=fields["options"],
                        answer=fields["answer"],
                        provenance=provenance,
                    )
                )
            except RecordError as err:
                rejects.append(Reject("invalid_record", str(err), index))
    return records, rejects


class ParseGenerations(PipelineStep):
    """Generated documents in, Syn-QA record documents out; rejects go to ``rejects_writer``.

    Stats: ``documents``, ``records``, and ``reject_<reason>`` for every reason.
    """

    name = "🧾 parse Syn-QA replies"
    type = "✂️ - FORMAT"

    def __init__(self, generator_model: str, rejects_writer: DiskWriter | None = None) -> None:
        super().__init__()
        self.generator_model = generator_model
        self.rejects_writer = rejects_writer

    def _reject_documents(self, document: Document, rejects: list[Reject]) -> Iterator[Document]:
        for number, reject in enumerate(rejects):
            yield Document(
                text=document.metadata.get("rollout_results", [{}])[0].get("text", "") or "",
                id=f"{document.id}/reject/{number}",
                metadata={
                    "filter_reason": reject.reason,
                    "detail": reject.detail,
                    "question_index": reject.question_index,
                    "warc_record_id": document.id,
                    "url": document.metadata.get("url"),
                },
            )

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        import contextlib

        with self.rejects_writer if self.rejects_writer else contextlib.nullcontext() as writer:
            for document in data:
                self.stat_update("documents")
                with self.track_time():
                    records, rejects = records_from_document(document, self.generator_model)
                for reject in rejects:
                    self.stat_update(f"reject_{reject.reason}")
                if writer:
                    for reject_doc in self._reject_documents(document, rejects):
                        writer.write(reject_doc, rank)
                for record in records:
                    self.stat_update("records")
                    yield to_document(record)
