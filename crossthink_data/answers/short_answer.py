"""Open-ended short answers: normalised exact match, numbers compared by value, no partial credit."""

from __future__ import annotations

import re
import unicodedata
from fractions import Fraction

from crossthink_data.answers.latex import strip_presentation, unwrap_text
from crossthink_data.answers.numeric import parse_number

_ARTICLES = re.compile(r"\b(?:a|an|the)\b")
_SURROUNDING = " \t\n.,;:!?'\"`()[]{}<>«»\u201c\u201d\u2018\u2019*_"
_THOUSANDS_COMMA = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
# Words and numbers; "3.5", "1/2" and "-36" stay one token, "3, 5" is two, "x-ray" is "x ray".
_TOKEN = re.compile(r"(?<![^\W_])-?\d+(?:[./]\d+)*%?|[^\W_]+|%")
_PERCENT_SPACE = re.compile(r"\s*(?:%|percent)$")
_SIGN_SPACE = re.compile(r"^([+-])\s+(?=[\d.])")
_CURRENCY = re.compile(r"^(?:\\\$|\$|usd|€|£)\s*")


def _base(text: str) -> str:
    text = strip_presentation(text).replace("\\%", "%").replace("\\$", "$")
    text = unicodedata.normalize("NFKC", text).lower()
    text = _ARTICLES.sub(" ", _strip_surrounding(text))
    return _strip_surrounding(" ".join(text.split()))


def _strip_surrounding(text: str) -> str:
    """Strip punctuation around an answer, but keep the point of ".5"."""
    text = text.rstrip(_SURROUNDING)
    stripped = text.lstrip(_SURROUNDING)
    if stripped[:1].isdigit() and text[len(text) - len(stripped) - 1 : len(text) - len(stripped)] == ".":
        return "." + stripped
    return stripped


def normalize_text(text: str) -> str:
    """Case, articles, punctuation and whitespace removed: "The Eiffel-Tower." -> "eiffel tower"."""
    return " ".join(_TOKEN.findall(_THOUSANDS_COMMA.sub("", _base(text))))


def as_number(text: str) -> tuple[Fraction, bool] | None:
    """(value, is_percent) for "1,000", "$3.50", "50%", "1/2"; None for anything that is not a number."""
    text = _SIGN_SPACE.sub(r"\1", _PERCENT_SPACE.sub("%", _CURRENCY.sub("", _base(text))))
    if " " in text:
        return None
    percent = text.endswith("%")
    value = parse_number(text.rstrip("%"), thousands=True)
    return None if value is None else (value, percent)


def open_equivalent(gold: str, answer: str) -> bool:
    """Numbers by value (a percentage may be given as its number or its fraction), text exactly."""
    gold_number, answer_number = as_number(gold), as_number(answer)
    if (gold_number is None) != (answer_number is None):
        return False
    if gold_number is not None and answer_number is not None:
        (gold_value, gold_pct), (value, pct) = gold_number, answer_number
        if value == gold_value:
            return True
        return (gold_pct and not pct and value == gold_value / 100) or (
            pct and not gold_pct and value / 100 == gold_value
        )
    gold_text = normalize_text(gold)
    if not gold_text:  # a gold made of symbols only ("//", "**" in MMLU programming questions)
        return bool(_symbol_key(gold)) and _symbol_key(answer) == _symbol_key(gold)
    return normalize_text(answer) == gold_text


def _symbol_key(text: str) -> str:
    """Symbols kept, only case, spaces, articles and sentence punctuation dropped."""
    text = _ARTICLES.sub(" ", unwrap_text(text).replace("$", " ").lower())
    return "".join(text.split()).strip(".,;:!?'\"`")
