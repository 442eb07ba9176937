"""Find the final answer (the last ``\\boxed{}`` after ``</think>``) and check the response format.

Everything here is a linear scan with hard size limits, so a megabyte of model output, thousands
of unclosed boxes or braces nested a thousand deep cost milliseconds, never a hang.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crossthink_data.answers.latex import strip_presentation

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"

MAX_RESPONSE_CHARS = 500_000
"""Longer responses are judged malformed (a 128k-token completion is ~500k characters)."""
MAX_ANSWER_CHARS = 1_000
"""A boxed answer longer than this is not a final answer (MATH's longest gold is ~100 chars)."""
MAX_BRACE_DEPTH = 64
"""Deeper brace nesting after ``</think>`` makes the response malformed (no real answer nests so)."""

_BOX_COMMAND = re.compile(r"\\(?:boxed|fbox)(?![A-Za-z])")
_BRACE_TOKEN = re.compile(r"\\.|[{}]", re.DOTALL)
# `\boxed B`, `\boxed 42`, `\boxed \pi`: one bare token, up to whitespace or a math delimiter.
_BARE_ARGUMENT = re.compile(r"[ \t]*(\\[A-Za-z]+|[^\s$\\{}]+)")


@dataclass(frozen=True, slots=True)
class Box:
    """One ``\\boxed``/``\\fbox`` after ``</think>``; ``content`` is None when its braces never close."""

    content: str | None

    @property
    def well_formed(self) -> bool:
        return self.content is not None


class _TooDeep(Exception):
    pass


def _matching_braces(text: str) -> dict[int, int]:
    """Map each ``{`` position to its matching ``}`` in one pass (escaped ``\\{``/``\\}`` skipped)."""
    pairs: dict[int, int] = {}
    stack: list[int] = []
    for token in _BRACE_TOKEN.finditer(text):
        char = token.group()
        if char == "{":
            stack.append(token.start())
            if len(stack) > MAX_BRACE_DEPTH:
                raise _TooDeep
        elif char == "}" and stack:
            pairs[stack.pop()] = token.start()
    return pairs


def find_boxes(text: str) -> list[Box] | None:
    """All boxes in ``text`` in order; None when ``text`` nests braces deeper than MAX_BRACE_DEPTH."""
    commands = list(_BOX_COMMAND.finditer(text))
    if not commands:
        return []
    try:
        pairs = _matching_braces(text[commands[0].start() :])
    except _TooDeep:
        return None
    offset = commands[0].start()
    boxes = []
    for command in commands:
        position = command.end()
        while position < len(text) and text[position] in " \t\n":
            position += 1
        if position < len(text) and text[position] == "{":
            close = pairs.get(position - offset)
            boxes.append(Box(None if close is None else text[position + 1 : close + offset]))
        else:
            bare = _BARE_ARGUMENT.match(text, command.end())
            boxes.append(Box(bare.group(1) if bare else None))
    return boxes


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

    Returns the raw box content (stripped); None when there is no ``</think>``, no box after it,
    or the response is oversized or absurdly nested.
    """
    section = final_section(response)
    if section is None:
        return None
    boxes = find_boxes(section)
    if not boxes:
        return None
    for box in reversed(boxes):
        if box.well_formed:
            content = box.content.strip()
            return content if 0 < len(content) <= MAX_ANSWER_CHARS else None
    return None


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
