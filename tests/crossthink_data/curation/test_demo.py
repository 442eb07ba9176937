"""The curation half of `make demo` (demo recipe): decontamination, dedup and the headline blend on
the shipped demo sources (real ARC, GSM8K and AGIEval rows)."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from crossthink_data.curation.build import BuildConfig
from crossthink_data.recipes import recipe_location


@pytest.mark.slow
def test_demo_builds_the_headline_blend_from_the_demo_sources(demo_build) -> None:
    from datasets import load_dataset

    dataset = load_dataset(str(demo_build["repo"]), "blend-crossthink", split="train")
    domains = Counter(dataset["domain"])
    assert domains["math"] > 100 and abs(domains["gpr"] - 2 * domains["math"]) <= 1
    # AGIEval's math rows come from the MATH test split, like MATH-500: decontamination finds them
    report = json.loads((demo_build["work"] / "curation" / "1_decont" / "report.json").read_text())
    assert report["per_benchmark"]["math500"]["hits"] > 0
    sources = {e["source"] for e in report["per_benchmark"]["math500"]["examples"]}
    assert sources == {"agieval_math"}
    removed_questions = {e["question"][:300] for e in report["per_benchmark"]["math500"]["examples"]}
    for config in ("blend-crossthink", "agieval_math-open", "agieval_math-records"):
        rows = load_dataset(str(demo_build["repo"]), config, split="train")
        assert not removed_questions & {q[:300] for q in rows["question"]}, config


@pytest.mark.slow
def test_demo_blends_hold_each_question_once_and_the_card_counts_them(demo_build) -> None:
    """Every blend of `make demo`: each question (record id) once, MCQ questions as T_MCQ in the
    own-form blends; the card's questions and rows per blend are the parquet's."""
    import re

    from datasets import load_dataset

    from crossthink_data.curation.blends import PAPER_BLENDS, BlendSpec

    card = (demo_build["repo"] / "README.md").read_text()
    shown = {
        name: (int(q.replace(",", "")), int(r.replace(",", "")))
        for name, q, r in re.findall(r"^\| `blend-(\w+)` \| ([\d,]+) \| ([\d,]+) \|", card, re.M)
    }
    assert set(shown) == set(PAPER_BLENDS)
    for name in PAPER_BLENDS:
        rows = load_dataset(str(demo_build["repo"]), f"blend-{name}", split="train")
        assert len(set(rows["id"])) == rows.num_rows == shown[name][0] == shown[name][1], name
        if BlendSpec.load(name).form == "source":  # T_MCQ for a question with options, else T_Open
            assert all(t == ("mcq" if o else "open") for t, o in zip(rows["template"], rows["options"])), name
    headline = load_dataset(str(demo_build["repo"]), "blend-crossthink", split="train")
    domains = Counter(headline["domain"])
    assert abs(domains["gpr"] - 2 * domains["math"]) <= 1  # exact on questions (each question is one row)


def test_demo_recipe_is_what_make_demo_builds(monkeypatch) -> None:
    from crossthink_data.demo import demo_config
    from crossthink_data.sources import DEMO_SOURCES

    recipe = BuildConfig.load(recipe_location("demo")[0])
    assert {s.name: s.from_dir for s in recipe.sources} == {n: str(p) for n, p in DEMO_SOURCES.items()}
    monkeypatch.delenv("CROSSTHINK_ENDPOINT", raising=False)
    config = demo_config("somewhere")
    assert config.output == "somewhere/crossthink" and config.recipe_name == "demo"
    assert config.mine.input.endswith("demo_data/common_crawl") and config.mine.generation is None
    monkeypatch.setenv("CROSSTHINK_ENDPOINT", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("CROSSTHINK_MODEL", "some-model")
    generating = demo_config("somewhere")
    generation = generating.mine.generation
    assert (generation.endpoint_url, generation.model) == ("http://127.0.0.1:9/v1", "some-model")
    assert generation.temperature == 0.6  # the miner's default under the recipe's keys


def test_demo_size_knobs_reach_the_recipe(monkeypatch) -> None:
    """CROSSTHINK_DEMO_PAGES (or --pages) limits the pages mined: with an endpoint each costs a request."""
    from typer.testing import CliRunner

    import crossthink_data.demo as demo_module
    from crossthink_data.cli import app
    from crossthink_data.demo import demo_config

    assert demo_config("somewhere", pages=3).mine.limit == 3
    assert demo_config("somewhere").mine.limit == -1  # all 16 shipped pages by default
    seen = []
    monkeypatch.setattr(demo_module, "run_demo", lambda output, work_dir, pages: seen.append((output, pages)))
    result = CliRunner().invoke(app, ["demo"], env={"CROSSTHINK_DEMO_PAGES": "3"})
    assert result.exit_code == 0, result.output
    assert seen == [("demo_output", 3)]


def test_the_real_demo_moved_above_the_data_package(monkeypatch) -> None:
    """`crossthink-data demo --real` says in one line where the real-model demo went, and runs nothing."""
    from typer.testing import CliRunner

    import crossthink_data.demo as demo_module
    from crossthink_data.cli import app

    monkeypatch.setattr(demo_module, "run_demo", lambda *args: pytest.fail("ran the offline demo"))
    result = CliRunner().invoke(app, ["demo", "--real"])
    assert result.exit_code == 2
    assert "python -m crossthink_demo" in result.output
