"""Parsing replies as real servers send them: raw control characters inside JSON strings.

llama.cpp's server passes the model's tokens through, so a line break or a tab the model writes
inside a string arrives raw, which strict JSON refuses. The replies below are written by hand in
that shape (the Python escapes ``\\n``/``\\t`` put the raw characters into the reply text).
"""

from __future__ import annotations

import json

import jsonschema
import pytest
from datatrove.data import Document

from crossthink_data.mining.generation import USER_TEMPLATE
from crossthink_data.mining.parse import REPLY_SCHEMA, parse_reply, records_from_document

RAW_REPLY = (
    '{"questions": [\n'
    '  {"question": "\tWhich gas do plants take in?\nPick the one used in photosynthesis.\n",\n'
    '   "options": ["Oxygen", "Carbon\tdioxide", "Nitrogen", "Helium"],\n'
    '   "answer": "B", "short_answer": "carbon dioxide"}\n'
    "]}"
)


def _stop(text: str) -> dict:
    return {"ok": True, "text": text, "finish_reason": "stop"}


def test_the_hand_written_reply_really_holds_raw_control_characters():
    with pytest.raises(json.JSONDecodeError, match="Invalid control character"):
        json.loads(RAW_REPLY)


def test_raw_line_breaks_and_tabs_inside_strings_parse_like_their_escapes():
    questions, rejects = parse_reply(_stop(RAW_REPLY))
    assert rejects == []
    assert questions == [
        {
            "question": "Which gas do plants take in?\nPick the one used in photosynthesis.",
            "options": ["Oxygen", "Carbon\tdioxide", "Nitrogen", "Helium"],
            "answer": "B",
            "short_answer": "carbon dioxide",
        }
    ]
    escaped = json.dumps(json.loads(RAW_REPLY, strict=False))  # the same reply as strict JSON
    assert "\t" not in escaped and "\n" not in escaped
    assert parse_reply(_stop(escaped)) == (questions, [])


def test_a_raw_control_reply_becomes_a_record():
    document = Document(
        text="page", id="doc-1", metadata={"category": "stem", "rollout_results": [_stop(RAW_REPLY)]}
    )
    records, rejects = records_from_document(document, "m")
    assert rejects == []
    assert [(r.question, r.answer, r.answer_text) for r in records] == [
        ("Which gas do plants take in?\nPick the one used in photosynthesis.", "B", "Carbon\tdioxide")
    ]


@pytest.mark.parametrize("raw", [True, False], ids=["raw", "escaped"])
@pytest.mark.parametrize("where", ["question", "option", "short_answer"])
@pytest.mark.parametrize("char", ["\x01", "\x1b", "\x7f", "\ufffd"])
def test_other_control_characters_make_only_their_question_unreadable(raw, where, char):
    good = {"question": "Which is even?", "options": ["1", "2", "3", "5"], "answer": "B", "short_answer": "2"}
    bad = {**good, "question": "Which is odd?", "answer": "A", "short_answer": "1"}
    if where == "question":
        bad["question"] = f"Which is{char} odd?"
    elif where == "option":
        bad["options"] = ["1", f"2{char}", "4", "6"]
    else:
        bad["short_answer"] = f"1{char}"
    text = json.dumps({"questions": [bad, good]}, ensure_ascii=not raw)
    if raw:  # json.dumps escapes C0 characters even with ensure_ascii=False
        text = text.replace("\\u0001", "\x01").replace("\\u001b", "\x1b")
    assert (char in text) == raw
    questions, rejects = parse_reply(_stop(text))
    assert [q["question"] for q in questions] == ["Which is even?"]
    assert [(r.reason, r.question_index) for r in rejects] == [("unreadable_text", 0)]


def test_the_schema_allows_an_empty_list_because_the_prompt_asks_for_none_when_a_page_has_none():
    """No ``minItems`` on ``questions``: under constrained decoding it would force the model to write
    a question for a page the prompt tells it to skip. The parser counts the empty reply instead."""
    assert "possibly none" in USER_TEMPLATE
    jsonschema.validate({"questions": []}, REPLY_SCHEMA)
    assert "minItems" not in REPLY_SCHEMA["properties"]["questions"]
    assert [r.reason for r in parse_reply(_stop('{"questions": []}'))[1]] == ["no_questions"]
