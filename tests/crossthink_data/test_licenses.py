"""One non-commercial license rule: ``--commercial-only`` drops exactly what the card flags.

The blend used to test ``"-nc" in license`` while the card used a regex that also catches
``noncommercial`` and ``research``: a source under ``fair-noncommercial-research-license`` was kept by
``--commercial-only`` and then flagged "Not for commercial use" on the card of that same blend.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pyarrow as pa
import pytest

from crossthink_data.curation.blends import BlendSpec, non_commercial_sources, sample_blend
from crossthink_data.hub.cards import non_commercial_banner
from crossthink_data.hub.dataset_card import RepoCard
from crossthink_data.hub.stats import ConfigStats
from crossthink_data.licenses import is_non_commercial
from crossthink_data.record import arrow_schema
from crossthink_data.sources import get_source
from crossthink_data.templates import render
from tests.helpers.paths import REPO_ROOT

# Hub license ids and free-text ids, with the answer a reader of the license would give.
LICENSES = [
    ("cc-by-nc-4.0", True),
    ("CC-BY-NC-SA-4.0", True),
    ("nc", True),
    ("fair-noncommercial-research-license", True),  # kept by the old blend rule
    ("cc-by-non-commercial", True),  # kept by the old blend rule
    ("intel-research", True),  # kept by the old blend rule
    ("mit", False),
    ("cc-by-sa-4.0", False),
    ("ncsa", False),  # a permissive license: "nc" must be a whole dash-separated part
    ("apache-2.0", False),
    ("", False),
    (None, False),
]


@pytest.mark.parametrize(("license_id", "flagged"), LICENSES)
def test_the_rule(license_id, flagged):
    assert is_non_commercial(license_id) is flagged


def _pool(test_data: Path, license_id: str) -> pa.Table:
    """Real GSM8K rows split into two web sources with no adapter: ``web_free`` (MIT) and
    ``web_restricted`` (``license_id``), the license only in the rows' provenance."""
    records = [r for r in get_source("gsm8k").records(from_dir=test_data / "curation" / "gsm8k")]
    rows = []
    for i, record in enumerate(records[:20]):
        restricted = i % 2 == 1
        record.source = "web_restricted" if restricted else "web_free"
        record.provenance = {"license": license_id if restricted else "mit"}
        rows.append(render(record, "open"))
    for row in rows:
        if not isinstance(row["provenance"], str):
            row["provenance"] = json.dumps(row["provenance"])
    return pa.Table.from_pylist(rows, schema=arrow_schema(templated=True))


@pytest.mark.parametrize(("license_id", "flagged"), LICENSES[:-2])
def test_commercial_only_drops_exactly_what_the_card_flags(test_data, license_id, flagged):
    pool = _pool(test_data, license_id)
    sources = ["web_free", "web_restricted"]
    assert non_commercial_sources(sources, pool) == (["web_restricted"] if flagged else [])

    kept = set(sample_blend(pool, BlendSpec.load("natural"), commercial_only=True)["source"].to_pylist())
    assert kept == ({"web_free"} if flagged else set(sources))

    stats = {"default": ConfigStats("default", templated=True)}
    stats["default"].update(pool)
    card = RepoCard(
        name="crossthink",
        pretty_name="natural",
        description="two web sources",
        licenses=["mit"],
        source_datasets=[],
        citations=[],
        default_config="blend-natural",
        configs={"blend-natural": ("natural", "mcq")},
        report={},
    )
    banner = non_commercial_banner(card, stats)
    assert ("`web_restricted`" in banner) is flagged
    assert "`web_free`" not in banner


def test_the_rule_lives_in_one_module():
    """No other shipped module spells its own non-commercial test (a regex or an ``"-nc"`` check)."""
    offenders = []
    for package in ("crossthink_data", "crossthink_train", "eval"):
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            if path.name == "licenses.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                spelled = isinstance(node, ast.Constant) and node.value in ("-nc", "nc")
                spelled |= isinstance(node, ast.Constant) and "noncommercial|" in str(node.value)
                defined = isinstance(node, ast.FunctionDef) and node.name == "is_non_commercial"
                if spelled or defined:
                    offenders.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno}")
    assert offenders == []
