"""Approximate value of a constant LaTeX expression (``3\\sqrt{13}``, ``-\\frac{\\pi}{6}``, ``2^{10}``).

Used only to prove two answers *different* cheaply: when both sides are constants whose values
differ clearly, no symbolic engine can find them equal, so math-verify need not be asked. The
grammar is deliberately small (numbers, ``+ - \\cdot \\times / ^``, ``\\frac``, ``\\sqrt``, ``\\pi``,
parentheses and implicit products); anything else (``i``, ``e``, units, degrees, percent, commas,
mixed numbers like ``1\\frac{4}{5}``) returns None and math-verify decides. Single letters are
free variables only for :func:`is_nonconstant` (``8n^2+4n+1`` is not a number).
A recursive-descent parser over a bounded input: nothing is ever evaluated as code.
"""

from __future__ import annotations

import math
import re

MAX_CHARS = 200
MAX_EXPONENT = 64.0
MAX_MAGNITUDE = 1e100

_TOKEN = re.compile(
    r"\d+\.?\d*|\.\d+|\\frac|\\dfrac|\\tfrac|\\sqrt|\\pi|\\cdot|\\times|[-+*/^(){}\[\]]|[A-Za-z]"
)
NOT_VARIABLES = frozenset("eEiIjJ")
"""Letters math-verify (or a later version) may read as constants (e, i, j): never free variables."""


class _Reject(Exception):
    pass


def constant_value(text: str) -> float | None:
    """Value of a constant expression in the small grammar above, else None."""
    tokens = _tokens(text)
    return None if tokens is None else _evaluate(tokens, None)


def is_nonconstant(text: str) -> bool:
    """True when ``text`` is a polynomial-like expression in free variables that is provably not constant.

    Variables are single letters (never e, i, j; never two letters in a row, which may be a word or
    a unit); the expression is evaluated at two points and must take two clearly different
    values, which a constant cannot. False whenever that cannot be shown.
    """
    tokens = _tokens(text)
    if tokens is None:
        return False
    letters = {token for token in tokens if token.isalpha()}
    if not letters or letters & NOT_VARIABLES:
        return False
    if any(a.isalpha() and b.isalpha() for a, b in zip(tokens, tokens[1:], strict=False)):
        return False
    ordered = sorted(letters)
    first = _evaluate(list(tokens), {name: 1.37 + 0.61 * k for k, name in enumerate(ordered)})
    second = _evaluate(list(tokens), {name: 2.93 + 0.47 * k for k, name in enumerate(ordered)})
    if first is None or second is None:
        return False
    return abs(first - second) > 1e-6 * max(1.0, abs(first), abs(second))


def _tokens(text: str) -> list[str] | None:
    if not text or len(text) > MAX_CHARS:
        return None
    tokens = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            return None
        tokens.append(match.group())
        position = match.end()
    return tokens


def _evaluate(tokens: list[str], variables: dict[str, float] | None) -> float | None:
    parser = _Parser(tokens, variables)
    try:
        value = parser.expression()
        if parser.position != len(tokens) or not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
            return None
        return value
    except (_Reject, OverflowError, ZeroDivisionError, ValueError):
        return None


class _Parser:
    def __init__(self, tokens: list[str], variables: dict[str, float] | None = None) -> None:
        self.tokens = tokens
        self.variables = variables or {}
        self.position = 0
        self.depth = 0

    def peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise _Reject
        self.position += 1
        return token

    def expression(self) -> float:
        self.depth += 1
        if self.depth > 32:
            raise _Reject
        value = self.term()
        while self.peek() in ("+", "-"):
            value = value + self.term() if self.take() == "+" else value - self.term()
        self.depth -= 1
        return value

    def term(self) -> float:
        value = self.signed()
        while True:
            token = self.peek()
            if token in ("*", "\\cdot", "\\times", "/"):
                self.take()
                operand = self.signed()
                value = value / operand if token == "/" else value * operand
            elif token is not None and (
                token in ("(", "\\frac", "\\dfrac", "\\tfrac", "\\sqrt", "\\pi") or token in self.variables
            ):
                if token.endswith("frac") and _is_number(self.tokens[self.position - 1]):
                    raise _Reject  # 1\frac{4}{5}: a mixed number or a product? let math-verify decide
                value *= self.power()  # implicit product: 3\sqrt{13}, 2\pi, (a)(b)
            else:
                return value

    def signed(self) -> float:
        if self.peek() == "-":
            self.take()
            return -self.signed()
        if self.peek() == "+":
            self.take()
            return self.signed()
        return self.power()

    def power(self) -> float:
        base = self.atom()
        if self.peek() != "^":
            return base
        self.take()
        if self.peek() == "{":
            self.take()
            exponent = self.expression()
            self.take("}")
        else:
            token = self.take()
            if not token.isdigit():
                raise _Reject
            exponent = float(token[0])  # x^23 is x^2 then 3 in LaTeX
            if len(token) > 1:
                raise _Reject
        if abs(exponent) > MAX_EXPONENT or (base < 0 and exponent != int(exponent)):
            raise _Reject
        return base**exponent

    def atom(self) -> float:
        token = self.take()
        if _is_number(token):
            return float(token)
        if token == "\\pi":
            return math.pi
        if token in self.variables:
            return self.variables[token]
        if token in ("(", "{"):
            value = self.expression()
            self.take(")" if token == "(" else "}")
            return value
        if token in ("\\frac", "\\dfrac", "\\tfrac"):
            numerator = self.argument()
            return numerator / self.argument()
        if token == "\\sqrt":
            if self.peek() == "[":
                raise _Reject
            radicand = self.argument()
            if radicand < 0:
                raise _Reject
            return math.sqrt(radicand)
        raise _Reject

    def argument(self) -> float:
        """A LaTeX argument: ``{expr}`` or a single digit (``\\frac43``, ``\\sqrt2``)."""
        token = self.peek()
        if token == "{":
            self.take()
            value = self.expression()
            self.take("}")
            return value
        if token is not None and token.isdigit():
            self.take()
            if len(token) > 1:  # \frac43 lexes as "43": split off the first digit
                self.tokens.insert(self.position, token[1:])
            return float(token[0])
        raise _Reject


def _is_number(token: str) -> bool:
    return token[:1].isdigit() or (token[:1] == "." and token[1:2].isdigit())
