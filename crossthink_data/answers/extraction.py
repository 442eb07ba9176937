"""Find the final answer (the last ``\\boxed{}`` after ``</think>``) and check the response format.

Boxes are read by :mod:`crossthink_data.answers.boxes` (shared with ingest). Everything here is a
linear scan with hard size limits, so a megabyte of model output, thousands of unclosed boxes or
braces nested a thousand deep cost milliseconds, never a hang.
"""

from __future__ import annotations

from crossthink_data.answers.boxes import MAX_ANSWER_CHARS, MAX_BRACE_DEPTH, find_boxes, last_boxed
from crossthink_data.answers.latex import strip_presentation

__all__ = [
    "MAX_ANSWER_CHARS",
    "MAX_BRACE_DEPTH",
    "MAX_RESPONSE_CHARS",
    "THINK_CLOSE",
    "THINK_OPEN",
    "check_format",
    "extract_answer",
    "final_section",
]

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"

MAX_RESPONSE_CHARS = 500_000
"""Longer responses are judged malformed (a 128k-token completion is ~500k characters)."""


def final_section(response: str) -> str | None:
    """Text after the last ``</think>``, or None when there is none (or the input is oversized)."""
    if not isinstance(response, str) or len(response) > MAX_RESPONSE_CHARS:
        return None
    end = response.rfind(THINK_CLOSE)
    if end < 0:
        return None
    return response[end + len(THINK_CLOSE) :]


def extract_answer(response: str) -> str | None:
    """Content of the last well-formed ``\\boxed{...}`` (or ``\\fbox``) after the last ``</think>``.

    Returns the raw box content (stripped) read by :func:`~crossthink_data.answers.boxes.last_boxed`,
    the same reader ingest uses for gold solutions; None when there is no ``</think>``, no box
    after it, or the response is oversized or absurdly nested.
    """
    section = final_section(response)
    return None if section is None else last_boxed(section)


def check_format(response: str) -> bool:
    """True iff the response is ``<think>...</think>`` (one block, first thing) then a non-empty box.

    Every box after ``</think>`` must be closed, non-empty and say the same thing: a response
    that boxes two different answers (``\\boxed{A} or \\boxed{B}``) hedges and fails the format.
    """
    if not isinstance(response, str) or len(response) > MAX_RESPONSE_CHARS:
        return False
    if not response.lstrip().startswith(THINK_OPEN):
        return False
    if response.count(THINK_OPEN) != 1 or response.count(THINK_CLOSE) != 1:
        return False
    section = final_section(response)
    boxes = find_boxes(section) if section is not None else None
    if not boxes:
        return False
    answers = set()
    for box in boxes:
        if not box.well_formed:
            return False
        content = box.content.strip()
        if not content or len(content) > MAX_ANSWER_CHARS:
            return False
        answers.add(strip_presentation(content).replace(" ", ""))
    return len(answers) == 1 and "" not in answers
