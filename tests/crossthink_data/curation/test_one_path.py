"""One path: the single-stage commands are the build's stages, and only ``build`` and ``export``
write the one repo with its one card.

The stage commands run one by one on a work folder, then ``export --recipe`` writes a repo; ``build``
with the same recipe on the same work folder then finds every stage finished (the same folders,
reports and fingerprints) and writes the same repo, card included. Before, ``sources``, ``blend`` and
``export`` wrote one Hub folder per subset with its own card, a second output model beside the build.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from crossthink_data.cli import app
from crossthink_data.curation.demo import DEMO_BENCHMARKS
from crossthink_data.sources import DEMO_SOURCES
from tests.helpers.paths import REPO_ROOT

SOURCES = ("gsm8k", "arc_challenge")
PAGES = DEMO_SOURCES["gsm8k"].parent / "common_crawl"  # the shipped Common Crawl pages


def cli(*args: object) -> str:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, f"{args}\n{result.output}\n{result.exception!r}"
    return result.output


def card_rows(repo: Path) -> dict[str, int]:
    """``config -> num_examples`` from the YAML header of the repo's card (read with yaml, not our code)."""
    header = yaml.safe_load((repo / "README.md").read_text(encoding="utf-8").split("---")[1])
    return {i["config_name"]: i["splits"][0]["num_examples"] for i in header["dataset_info"]}


@pytest.fixture(scope="module")
def stages_then_build(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("one_path")
    recipe = root / "recipe.yaml"
    recipe.write_text(
        yaml.safe_dump(
            {
                "name": "crossthink",
                "sources": [{"name": s, "from_dir": str(DEMO_SOURCES[s])} for s in SOURCES],
                "mine": {"input": str(PAGES), "limit": 8},
                "decontaminate": {"benchmarks": str(DEMO_BENCHMARKS)},
                "dedup": {},
                "blends": ["crossthink", "natural"],
            }
        )
    )
    work = root / "work"
    printed = {}
    for source in SOURCES:
        printed[source] = cli("sources", source, "--from-dir", DEMO_SOURCES[source], "-o", work)
    printed["mine"] = cli("mine", "-i", PAGES, "-o", work / "mining", "--until", "domain", "--limit", 8)
    printed["decontaminate"] = cli("decontaminate", "--benchmarks", DEMO_BENCHMARKS, "-o", work)
    printed["dedup"] = cli("dedup", "-o", work)
    for blend in ("crossthink", "natural"):
        printed[blend] = cli("blend", blend, "-o", work)
    cli("export", work, "-o", root / "exported", "--recipe", recipe)
    stamps = {p: p.stat().st_mtime_ns for p in (work / "curation").rglob("report.json")}
    stamps |= {p: p.stat().st_mtime_ns for p in (work / "blends").rglob("report.json")}
    built = cli("build", recipe, "--work-dir", work, "-o", root / "built")
    return {"root": root, "work": work, "printed": printed, "built": built, "stamps": stamps}


@pytest.mark.slow
def test_the_stage_commands_write_the_build_s_work_folder(stages_then_build: dict) -> None:
    work = stages_then_build["work"]
    for folder in ("sources", "curation/1_decont", "curation/2_dedup", "blends/crossthink", "blends/natural"):
        assert (work / folder / "report.json").is_file(), folder
    # each stage read the one before it without being told (-i left out): its fingerprint names the
    # files of that stage's data/ ([folder, relative name, size, modification time])
    for stage, before in (
        ("curation/1_decont", "curation/0_pool"),
        ("curation/2_dedup", "curation/1_decont/data"),
        ("blends/crossthink", "curation/2_dedup/data"),
    ):
        inputs = json.loads((work / stage / "fingerprint.json").read_text())["inputs"]
        files = sorted(p for p in (work / before).rglob("*") if p.is_file())
        read = [name for where, name, _size, _time in inputs if where == str(work / before)]
        assert read == [p.relative_to(work / before).as_posix() for p in files]
        assert files, before


@pytest.mark.slow
def test_build_on_the_same_work_folder_finds_every_stage_finished(stages_then_build: dict) -> None:
    """Same folders, reports and fingerprints: build reruns no curation stage and no blend."""
    built = stages_then_build["built"]
    assert "decontaminate against" not in built and "\ndedup\n" not in f"\n{built}"
    for path, stamp in stages_then_build["stamps"].items():
        assert path.stat().st_mtime_ns == stamp, path  # not rewritten


@pytest.mark.slow
def test_export_and_build_write_the_same_repo_and_card(stages_then_build: dict) -> None:
    root = stages_then_build["root"]
    exported, built = root / "exported", root / "built"
    rows = card_rows(exported)
    assert rows == card_rows(built)
    assert {"blend-crossthink", "blend-natural", "gsm8k-open", "arc_challenge-mcq", "gsm8k-records"} <= set(
        rows
    )
    card = (exported / "README.md").read_text()
    assert card == (built / "README.md").read_text()
    assert "## Common Crawl mining" in card  # from the report `mine -o WORK/mining` wrote
    for config in rows:
        shards = sorted(p.name for p in (exported / "data" / config).iterdir())
        assert shards == sorted(p.name for p in (built / "data" / config).iterdir()), config


RETIRED = [
    "export" + "_subset",
    "build_source" + "_subset",
    "build" + "_blend",
    "Subset" + "Card",
    "subset" + ".md",
]


def test_no_code_names_the_retired_per_subset_path() -> None:
    """The per-subset output model is gone: no module, test, script or Makefile names its parts."""
    found = []
    for top in ("crossthink_data", "crossthink_train", "eval", "tests", "scripts", "benchmarks", "Makefile"):
        base = REPO_ROOT / top
        for path in [base] if base.is_file() else base.rglob("*"):
            if (
                path.is_file()
                and path.suffix in (".py", ".md", ".yaml", "")
                and path.name != Path(__file__).name
            ):
                text = path.read_text(encoding="utf-8", errors="ignore")
                found += [
                    f"{path.relative_to(REPO_ROOT)}: {n}" for n in RETIRED if re.search(re.escape(n), text)
                ]
    assert found == []
