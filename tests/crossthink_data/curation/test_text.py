"""Our fast normalisation must give exactly datatrove's ``simplify_text`` (index and filter share hashes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from datatrove.utils.text import TextNormConfig, simplify_text

from crossthink_data.curation.text import DEFAULT_NORM, fast_simplify, words_of

CONFIGS = [
    DEFAULT_NORM,
    TextNormConfig(norm_numbers=False, lowercase=False),
    TextNormConfig(norm_numbers=False, remove_punctuation=False),
    TextNormConfig(),  # datatrove's default (numbers normalised): delegated to simplify_text
]


def _texts(test_data: Path) -> list[str]:
    texts = []
    for path in sorted((test_data / "curation" / "benchmarks").rglob("*.jsonl")):
        for line in path.read_text().splitlines():
            row = json.loads(line)
            texts.append(
                " ".join(str(row.get(k) or "") for k in ("passage", "problem", "question", "options"))
            )
    return texts + [
        "Café naïve résumé ÅNGSTRÖM — “quoted” ‘text’…",
        "ｆｕｌｌ ｗｉｄｔｈ １２３ and x² + y² = z²",
        "\x0b\x0c tab\tnew\nline \x1c\x1d x\u00a0y\u2003z \u0301a",
        "".join(chr(c) for c in range(0x2F0, 0x3000)),  # every combining mark of the first blocks
        "",
    ]


@pytest.mark.parametrize("config", CONFIGS, ids=["ours", "case", "punct", "datatrove-default"])
def test_fast_simplify_equals_datatrove(config: TextNormConfig, test_data: Path) -> None:
    texts = _texts(test_data)
    assert len(texts) > 90
    for text in texts:
        assert fast_simplify(text, config) == simplify_text(text, config), text[:80]
        assert words_of(text, config) == simplify_text(text, config).split()
