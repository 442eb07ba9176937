"""Braces and boxes: the one reader of ``\\boxed{...}`` for gold solutions (ingest) and model answers.

Ingest (``crossthink_data.sources``) takes a gold answer from a worked solution with
:func:`last_boxed`; the reward, the difficulty filter and the evaluation read the model's final
answer with the same function (via ``extraction.extract_answer``), so a gold and an answer written
the same way are read the same way.

Rules, as LaTeX reads the text:

- **Escapes.** A backslash and the character after it are one unit: ``\\{`` and ``\\}`` are
  literal braces (content, never structure), and ``\\\\`` (a line break) is one unit, so in
  ``\\boxed{a\\\\}b}`` the ``}`` after ``\\\\`` closes the box: its content is ``a\\\\``.
- **Braced argument.** ``\\boxed{...}`` (spaces, tabs or newlines may come before ``{``): the content
  up to the matching ``}``; nested groups are matched. A box whose ``{`` never closes is not
  well formed and is skipped.
- **Unbraced argument.** ``\\boxed\\pi`` / ``\\boxed \\pi``: one control word (``\\pi``).
  ``\\boxed 5`` / ``\\boxed B``: the run of plain characters up to a space, ``$``, a backslash or
  a brace (``\\boxed 42`` gives ``42``; TeX would box only the ``4``, but the writer means 42).
- **Which box.** The last well-formed box; its content is stripped, and an empty or over-long
  (> :data:`MAX_ANSWER_CHARS`) content means no answer.
- **Bounds.** One linear pass; brace nesting deeper than :data:`MAX_BRACE_DEPTH` means no answer,
  so hostile text costs milliseconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

MAX_ANSWER_CHARS = 1_000
"""A boxed answer longer than this is not a final answer (MATH's longest gold is ~100 chars)."""
MAX_BRACE_DEPTH = 64
"""Deeper brace nesting makes a box unreadable (no real answer nests so)."""

_BOX_COMMAND = re.compile(r"\\(?:boxed|fbox)(?![A-Za-z])")
_BRACE_TOKEN = re.compile(r"\\.|[{}]", re.DOTALL)  # an escape unit, or a structural brace
_BARE_ARGUMENT = re.compile(r"[ \t]*(\\[A-Za-z]+|[^\s$\\{}]+)")
_SPACE_BEFORE_BRACE = " \t\n"


class TooDeep(Exception):
    """Braces nest deeper than the scan's ``max_depth``."""


def brace_pairs(text: str, start: int = 0, max_depth: int | None = None) -> Iterator[tuple[int, int]]:
    """``(open, close)`` index of every brace group from ``start`` on, in the order they close.

    The one brace scanner: escapes are read by the rule in the module docstring, a ``}`` with
    no open group is ignored, and :class:`TooDeep` is raised past ``max_depth`` open groups.
    """
    stack: list[int] = []
    for token in _BRACE_TOKEN.finditer(text, start):
        char = token.group()
        if char == "{":
            stack.append(token.start())
            if max_depth is not None and len(stack) > max_depth:
                raise TooDeep
        elif char == "}" and stack:
            yield stack.pop(), token.start()


def closing_brace(text: str, open_index: int) -> int | None:
    """Index of the ``}`` that closes the ``{`` at ``open_index``; None if it never closes."""
    for opened, closed in brace_pairs(text, open_index):
        if opened == open_index:
            return closed
    return None


@dataclass(frozen=True, slots=True)
class Box:
    """One ``\\boxed``/``\\fbox``; ``content`` is None when its braces never close."""

    content: str | None

    @property
    def well_formed(self) -> bool:
        return self.content is not None


def find_boxes(text: str) -> list[Box] | None:
    """All boxes in ``text`` in order; None when ``text`` nests braces deeper than MAX_BRACE_DEPTH."""
    commands = list(_BOX_COMMAND.finditer(text))
    if not commands:
        return []
    try:
        pairs = dict(brace_pairs(text, commands[0].start(), MAX_BRACE_DEPTH))
    except TooDeep:
        return None
    boxes = []
    for command in commands:
        position = command.end()
        while position < len(text) and text[position] in _SPACE_BEFORE_BRACE:
            position += 1
        if position < len(text) and text[position] == "{":
            close = pairs.get(position)
            boxes.append(Box(None if close is None else text[position + 1 : close]))
        else:
            bare = _BARE_ARGUMENT.match(text, command.end())
            boxes.append(Box(bare.group(1) if bare else None))
    return boxes


def last_boxed(text: str | None) -> str | None:
    """Content of the last well-formed box in ``text`` (stripped), or None (see the module rules)."""
    if not isinstance(text, str):
        return None
    for box in reversed(find_boxes(text) or []):
        if box.well_formed:
            content = box.content.strip()
            return content if 0 < len(content) <= MAX_ANSWER_CHARS else None
    return None
