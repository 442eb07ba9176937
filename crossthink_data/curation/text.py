"""Text normalisation shared by decontamination and deduplication.

Both stages use datatrove's ``simplify_text`` (lower case, no punctuation, normalised
whitespace and diacritics). Two choices differ from datatrove's defaults, on purpose:

* numbers are kept (``norm_numbers=False``): in math, the numbers *are* the question, and
  "What is 2+3?" must not match "What is 4+5?";
* words are split on whitespace after ``simplify_text`` instead of with spaCy: punctuation is
  already gone at that point, so the tokens are nearly identical and the split is ~20x faster.
"""

from __future__ import annotations

from datatrove.utils.text import TextNormConfig, simplify_text
from datatrove.utils.word_tokenizers import WordTokenizer, load_word_tokenizer

DEFAULT_NORM = TextNormConfig(norm_numbers=False)


class WhitespaceTokenizer(WordTokenizer):
    """Splits already-simplified text on whitespace (datatrove's WordTokenizer interface)."""

    def __init__(self) -> None:
        super().__init__("whitespace")

    def word_tokenize(self, text: str) -> list[str]:
        return text.split()

    def sent_tokenize(self, text: str) -> list[str]:
        return [text]

    def span_tokenize(self, text: str) -> list[tuple[int, int]]:
        return [(0, len(text))]


def make_norm_config(
    numbers: bool = False, lowercase: bool = True, punctuation: bool = True
) -> TextNormConfig:
    """A datatrove TextNormConfig from the three switches our CLIs expose."""
    return TextNormConfig(lowercase=lowercase, remove_punctuation=punctuation, norm_numbers=numbers)


def word_tokenizer(name: str = "whitespace") -> WordTokenizer:
    """``"whitespace"`` (default, fast) or any datatrove language code such as ``"eng"`` (spaCy)."""
    return WhitespaceTokenizer() if name == "whitespace" else load_word_tokenizer(name)


def normalised_words(text: str, norm: TextNormConfig = DEFAULT_NORM, tokenizer: WordTokenizer | None = None):
    """Words of ``text`` after datatrove's normalisation."""
    simplified = simplify_text(text, norm)
    return tokenizer.word_tokenize(simplified) if tokenizer else simplified.split()
