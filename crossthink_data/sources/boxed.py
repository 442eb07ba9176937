"""The final answer of a LaTeX solution: the content of its last ``\\boxed{...}``.

MATH and NuminaMath put the gold answer in ``\\boxed{}`` (sometimes ``\\fbox{}``) at the end of the
worked solution, and the content often nests braces (``\\boxed{\\frac{1}{2}}``), so a regex cannot
find the closing brace: we scan and count.
"""

from __future__ import annotations

_BOX_COMMANDS = ("\\boxed", "\\fbox")


def last_boxed(text: str | None) -> str | None:
    """Content of the last ``\\boxed{...}`` / ``\\fbox{...}`` in ``text``, or None if there is none.

    Nested braces are matched; escaped braces (``\\{``, ``\\}``) are content, not structure. The
    brace-less form ``\\boxed 5`` yields the next token. An unclosed or empty box yields None.
    """
    if not text:
        return None
    start = max(text.rfind(command) for command in _BOX_COMMANDS)
    if start < 0:
        return None
    command = next(c for c in _BOX_COMMANDS if text.startswith(c, start))
    i = start + len(command)
    if i < len(text) and text[i] == " " and not text.startswith("{", i + 1):
        token = text[i + 1 :].split()[0] if text[i + 1 :].split() else ""
        token = token.split("$")[0]
        return token or None
    while i < len(text) and text[i].isspace():
        i += 1
    if i >= len(text) or text[i] != "{":
        return None
    depth = 0
    content_start = i + 1
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and text[i + 1] in "{}":
            i += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                content = text[content_start:i].strip()
                return content or None
        i += 1
    return None
