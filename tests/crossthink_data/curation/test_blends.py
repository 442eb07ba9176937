"""The paper blends on a pool of real rows: by question, exact ratios, no reuse, reproducible, cards."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pytest
import yaml

from crossthink_data.curation.blends import (
    BLENDS_DIR,
    PAPER_BLENDS,
    BlendError,
    BlendSpec,
    apportion,
    sample_blend,
)
from crossthink_data.record import QARecord, arrow_schema
from crossthink_data.sources import get_source
from crossthink_data.templates import render


def _records(test_data: Path, source: str) -> list[QARecord]:
    folder = test_data / "curation" / source
    return [r for r in get_source(source).records(from_dir=folder) if isinstance(r, QARecord)]


def natural_reasoning_rows(test_data: Path) -> list[QARecord]:
    """Natural Reasoning records from rows written in its Hub schema (question, reference_answer,
    responses), filled with real ARC questions and their gold option text."""
    adapter = get_source("natural_reasoning")
    rows = [
        {
            "question": r.question,
            "reference_answer": r.answer_text,
            "responses": [{"response_model": "Llama-3.3-70B"}],
        }
        for r in _records(test_data, "arc_challenge")[:24]
    ]
    return [adapter.to_record(row) for row in rows]


@pytest.fixture(scope="module")
def pool(test_data: Path) -> pa.Table:
    rows = []
    for record in _records(test_data, "mmlu_train") + _records(test_data, "arc_challenge"):
        rows += [render(record, "mcq"), render(record, "open")]
    rows += [render(r, "open") for r in _records(test_data, "gsm8k")]
    rows += [render(r, "open") for r in natural_reasoning_rows(test_data)]
    return pa.Table.from_pylist(rows, schema=arrow_schema(templated=True))


def _questions(spec_yaml: dict, pool: pa.Table) -> tuple[dict[str, set], int]:
    """Per value of the ratio column, the ids of the questions that may go there, and how many
    distinct questions there are: read from the YAML and the rows (independent of the sampler).
    A question's own form: T_MCQ when it has options, else T_Open."""
    form = spec_yaml.get("form", "source")
    by = spec_yaml["by"]
    groups: dict[str, set] = {}
    ids = set()
    for row in pool.to_pylist():
        if any(row[c] != v for c, v in (spec_yaml.get("where") or {}).items()):
            continue
        own = "mcq" if row["options"] else "open"
        if form in ("source", "open", "mcq") and row["template"] != (own if form == "source" else form):
            continue
        groups.setdefault(str(row[by]), set()).add(row["id"])
        ids.add(row["id"])
    return groups, len(ids)


def _expected_weights(spec_yaml: dict, available: dict[str, int]) -> dict[str, float]:
    if spec_yaml["ratio"] == "natural":
        return {g: float(n) for g, n in available.items()}
    weights = {g: float(spec_yaml.get("default_weight") or 0) for g in available}
    weights.update({g: float(w) for g, w in spec_yaml["ratio"].items()})
    return {g: w for g, w in weights.items() if w > 0 and available.get(g)}


@pytest.mark.parametrize("name", PAPER_BLENDS)
def test_every_paper_blend_is_exact_on_questions_each_once(name: str, pool: pa.Table) -> None:
    spec_yaml = yaml.safe_load((BLENDS_DIR / f"{name}.yaml").read_text())
    by = spec_yaml["by"]
    eligible, questions = _questions(spec_yaml, pool)
    available = {g: len(ids) for g, ids in eligible.items()}
    weights = _expected_weights(spec_yaml, available)
    blend = sample_blend(pool, BlendSpec.load(name))
    total = blend.num_rows
    ids = blend.column("id").to_pylist()
    assert len(set(ids)) == total  # each question once: rows == questions
    counts = Counter(blend.column(by).to_pylist())
    assert set(counts) == set(weights)
    weight_sum = sum(weights.values())
    for group, weight in weights.items():
        assert abs(counts[group] - total * weight / weight_sum) < 1, (name, group, counts)
    for row in blend.select(["id", by]).to_pylist():
        assert row["id"] in eligible[str(row[by])]  # form and where-filters hold
    # the largest blend without reuse: one more question's exact shares would need more than some
    # group (or than all the questions) has
    assert any((total + 1) * w / weight_sum > available[g] for g, w in weights.items()) or total == questions


def test_a_question_enters_in_its_sources_form(pool: pa.Table) -> None:
    """MCQ sources (options) give their T_MCQ row, open sources their T_Open row; the all-open
    ablation turns MCQ questions open; the template blends choose per question."""
    natural = sample_blend(pool, BlendSpec.load("natural"))
    forms = {(r["source"], r["template"]) for r in natural.select(["source", "template"]).to_pylist()}
    assert forms == {("mmlu_train", "mcq"), ("arc_challenge", "mcq"), ("gsm8k", "open"),
                     ("natural_reasoning", "open")}  # fmt: skip
    mcq_questions = {r["id"] for r in pool.to_pylist() if r["options"]}
    assert set(natural.column("id").to_pylist()) >= mcq_questions  # every MCQ question, once
    all_open = sample_blend(pool, BlendSpec.load("all_open"))
    assert set(all_open.column("template").to_pylist()) == {"open"}
    assert mcq_questions & set(all_open.column("id").to_pylist())  # MCQ questions, turned open
    for name, (many, few) in (("mcq_2to1", ("mcq", "open")), ("open_2to1", ("open", "mcq"))):
        blend = sample_blend(pool, BlendSpec.load(name))
        counts = Counter(blend.column("template").to_pylist())
        assert abs(counts[many] - 2 * counts[few]) <= 1
        assert blend.num_rows == len(set(blend["id"].to_pylist()))
    # 2:1 open:MCQ needs more open questions than the open sources have: MCQ questions fill them
    chose = {(r["id"], r["template"]) for r in blend.select(["id", "template"]).to_pylist()}
    assert {t for i, t in chose if i in mcq_questions} == {"mcq", "open"}


def test_per_question_fills_the_scarce_template_from_shared_questions() -> None:
    """Three open-only questions and six with both rows, 2:1 open:MCQ: the most without reuse is
    nine questions (six open, three MCQ), which needs three shared questions as T_Open."""
    rows = [
        {"id": f"o{i}", "source": "s", "domain": "math", "template": "open", "options": None}
        for i in range(3)
    ]
    for i in range(6):
        rows += [{"id": f"b{i}", "source": "s", "domain": "gpr", "template": t, "options": ["x", "y"]}
                 for t in ("mcq", "open")]  # fmt: skip
    pool = pa.Table.from_pylist(rows)
    for seed in range(5):
        spec = BlendSpec(name="t", by="template", ratio={"open": 2, "mcq": 1}, form="per_question", seed=seed)
        blend = sample_blend(pool, spec)
        assert Counter(blend.column("template").to_pylist()) == {"open": 6, "mcq": 3}
        assert len(set(blend.column("id").to_pylist())) == 9
        assert {f"o{i}" for i in range(3)} <= set(blend.column("id").to_pylist())
    with pytest.raises(BlendError, match="per_question"):
        BlendSpec(name="t", by="domain", ratio={"gpr": 1}, form="per_question")
    with pytest.raises(BlendError, match="form must be one of"):
        BlendSpec(name="t", by="domain", ratio={"gpr": 1}, form="both")


def test_headline_blend_is_two_general_to_one_math(pool: pa.Table) -> None:
    blend = sample_blend(pool, BlendSpec.load("crossthink"))
    counts = Counter(blend.column("domain").to_pylist())
    math_questions = {r["id"] for r in pool.to_pylist() if r["domain"] == "math"}
    assert counts["math"] == len(math_questions)  # math is the scarce side: every question once
    assert abs(counts["gpr"] - 2 * counts["math"]) <= 1


def test_seed_reproduces_and_changes_the_draw(pool: pa.Table) -> None:
    spec = BlendSpec.load("mcq_2to1")
    first = sample_blend(pool, spec).column("id").to_pylist()
    again = sample_blend(pool.take(list(reversed(range(pool.num_rows)))), BlendSpec.load("mcq_2to1"))
    assert again.column("id").to_pylist() == first  # same seed, same blend, whatever the pool order
    spec.seed = 1
    assert sample_blend(pool, spec).column("id").to_pylist() != first


def test_total_beyond_the_pool_needs_upsampling(pool: pa.Table) -> None:
    spec = BlendSpec(name="big", by="domain", ratio={"gpr": 2, "math": 1}, total=600)
    with pytest.raises(BlendError, match="would reuse questions"):
        sample_blend(pool, spec)
    spec.upsample = True
    blend = sample_blend(pool, spec)
    counts = Counter(blend.column("domain").to_pylist())
    assert counts == {"gpr": 400, "math": 200}
    uses = Counter(zip(blend.column("id").to_pylist(), blend.column("template").to_pylist()))
    math_questions = len({r["id"] for r in pool.to_pylist() if r["domain"] == "math"})
    assert max(uses.values()) == -(-200 // math_questions)  # reused only as often as the shortfall needs


def test_commercial_only_drops_non_commercial_sources(pool: pa.Table) -> None:
    blend = sample_blend(pool, BlendSpec.load("natural"), commercial_only=True)
    assert "natural_reasoning" not in set(blend.column("source").to_pylist())
    assert "natural_reasoning" in set(
        sample_blend(pool, BlendSpec.load("natural")).column("source").to_pylist()
    )


def test_apportion_is_exact_and_sums() -> None:
    assert apportion(10, {"a": 2, "b": 1}) == {"a": 7, "b": 3}
    assert apportion(7, {"x": 1, "y": 1, "z": 1}) == {"x": 3, "y": 2, "z": 2}
    counts = apportion(1001, {"a": 0.3, "b": 0.3, "c": 0.4})
    assert sum(counts.values()) == 1001 and counts["c"] in (400, 401)


def test_bad_specs_fail_with_a_reason(tmp_path: Path, pool: pa.Table) -> None:
    path = tmp_path / "b.yaml"
    path.write_text(json.dumps({"name": "b", "by": "domain", "ratio": {"gpr": 1}, "totl": 5}))
    with pytest.raises(BlendError, match="unknown key"):
        BlendSpec.load(path)
    with pytest.raises(BlendError, match="no blend"):
        BlendSpec.load("no_such_blend")
    with pytest.raises(BlendError, match="no rows with domain"):
        sample_blend(pool, BlendSpec(name="x", by="domain", ratio={"gpr": 1, "history": 1}))
    with pytest.raises(BlendError, match="non-negative"):
        BlendSpec(name="x", by="domain", ratio={"gpr": -1})


# ---------------------------------------------------------------- the `blend` command: the build's stage


def _write_pool(pool: pa.Table, folder: Path) -> Path:
    import pyarrow.parquet as pq

    folder.mkdir(parents=True)
    pq.write_table(pool, folder / "pool.parquet")
    return folder


def _blend(*args: str):
    from typer.testing import CliRunner

    from crossthink_data.cli import app

    result = CliRunner().invoke(app, ["blend", *args])
    assert result.exit_code == 0, result.output
    return result


def test_blend_command_writes_the_build_s_blend_stage(pool: pa.Table, tmp_path: Path) -> None:
    """`blend NAME -o WORK` writes WORK/blends/NAME/ as the build does (rows, report, fingerprint),
    the rows sample_blend draws; a rerun on the same pool and settings is skipped, a new total is not."""
    import pyarrow.parquet as pq

    folder = _write_pool(pool, tmp_path / "pool")
    printed = _blend("natural", "-i", str(folder), "-o", str(tmp_path / "work")).output
    stage = tmp_path / "work" / "blends" / "natural"
    assert sorted(p.name for p in stage.iterdir()) == ["data", "fingerprint.json", "report.json"]
    written = pq.read_table(stage / "data" / "blend.parquet")
    assert written.to_pylist() == sample_blend(pool, BlendSpec.load("natural")).to_pylist()
    report = json.loads((stage / "report.json").read_text())
    assert report["rows"] == written.num_rows and report["non_commercial_sources"] == ["natural_reasoning"]
    assert "NON-COMMERCIAL sources: ['natural_reasoning']" in printed
    before = (stage / "data" / "blend.parquet").stat().st_mtime_ns
    _blend("natural", "-i", str(folder), "-o", str(tmp_path / "work"))
    assert (stage / "data" / "blend.parquet").stat().st_mtime_ns == before  # fresh: skipped
    _blend("natural", "-i", str(folder), "-o", str(tmp_path / "work"), "--total", "50")
    assert json.loads((stage / "report.json").read_text())["rows"] == 50  # a changed setting reruns


def test_commercial_only_blend_drops_non_commercial_sources_and_loads(pool: pa.Table, tmp_path: Path) -> None:
    from datasets import load_dataset

    folder = _write_pool(pool, tmp_path / "pool")
    _blend("crossthink", "-i", str(folder), "-o", str(tmp_path / "work"), "--commercial-only")
    stage = tmp_path / "work" / "blends" / "crossthink"
    report = json.loads((stage / "report.json").read_text())
    assert report["non_commercial_sources"] == [] and "natural_reasoning" not in report["counts"]["source"]
    files = [str(stage / "data" / "blend.parquet")]
    dataset = load_dataset("parquet", data_files=files, split="train", cache_dir=str(tmp_path / "cache"))
    assert dataset.num_rows == report["rows"]
    counts = Counter(dataset["domain"])
    assert abs(counts["gpr"] - 2 * counts["math"]) <= 1
    assert {"prompt", "ground_truth", "template", "kind"} <= set(dataset.column_names)


def test_blend_without_input_reads_the_work_folder_s_last_stage(tmp_path: Path) -> None:
    """No --input and no stage ran: one line naming what to run first, nothing written."""
    from typer.testing import CliRunner

    from crossthink_data.cli import app

    result = CliRunner().invoke(app, ["blend", "natural", "-o", str(tmp_path / "work")])
    assert result.exit_code == 1
    assert "holds no templated rows: run `crossthink-data sources NAME -o" in result.output
    assert not (tmp_path / "work" / "blends").exists()


# ---------------------------------------------------------------- the build's streaming blend stage


@pytest.mark.parametrize(
    ("name", "commercial_only", "total"),
    [
        ("crossthink", False, None),
        ("natural", True, None),
        ("mcq_2to1", False, None),
        ("math_2to1", False, 900),
    ],
)
def test_streamed_blend_equals_the_in_memory_draw(
    pool: pa.Table, tmp_path: Path, name: str, commercial_only: bool, total: int | None
) -> None:
    """write_blend never loads the pool, yet writes the rows sample_blend draws from the whole table,
    in the same order: pool split over files (one without the provenance column), windows of 7 rows."""
    import pyarrow.parquet as pq

    from crossthink_data.curation.blends import composition, write_blend

    folder = tmp_path / "pool"
    folder.mkdir()
    shuffled = pool.take(list(reversed(range(pool.num_rows))))
    cuts = [0, 100, 101, 350, shuffled.num_rows]
    for i, (lo, hi) in enumerate(zip(cuts, cuts[1:])):
        part = shuffled.slice(lo, hi - lo)
        pq.write_table(part.drop_columns(["provenance"]) if i == 1 else part, folder / f"{i}.parquet")
    spec = BlendSpec.load(name)
    if total:
        spec.total, spec.upsample = total, True
    report = write_blend(str(folder), spec, str(tmp_path / "stage"), commercial_only, window=7)

    expected = sample_blend(pa.concat_tables([pq.read_table(folder / f"{i}.parquet") for i in range(4)],
                                             promote_options="default"), spec, commercial_only)  # fmt: skip
    written = pq.read_table(tmp_path / "stage" / "data" / "blend.parquet")
    assert written.to_pylist() == expected.to_pylist()
    assert report["rows"] == expected.num_rows == (total or expected.num_rows)
    assert report["counts"] == composition(expected)
    assert json.loads((tmp_path / "stage" / "report.json").read_text())["counts"] == report["counts"]
    assert report["non_commercial_sources"] == ([] if commercial_only else ["natural_reasoning"])
    assert sorted(p.name for p in (tmp_path / "stage").iterdir()) == [
        "data",
        "report.json",
    ]  # no scratch left


# ---------------------------------------------------------------- score-weighted: the paper's Table 3

TABLE3 = {"numina_math": 53.06, "syn_qa": 45.65, "natural_reasoning": 44.82, "mmlu_train": 34.78}  # issue 16


def test_score_weighted_uses_table3_and_the_mean_for_other_sources() -> None:
    from crossthink_data.paper import TABLE3_AVERAGE
    from tests.helpers.paths import REPO_ROOT

    spec = BlendSpec.load("score_weighted")
    shipped = json.loads((REPO_ROOT / "eval" / "paper_results.json").read_text())["table3"]["average"]
    assert shipped == TABLE3  # eval's copy of Table 3
    named = {("crossthink_qa" if k == "syn_qa" else k): v for k, v in TABLE3.items()}
    assert named == TABLE3_AVERAGE  # the one home of the figures
    assert spec.ratio == {**named, "syn_qa": TABLE3["syn_qa"]}  # both Syn-QA sources
    assert spec.default_weight == pytest.approx(sum(TABLE3.values()) / 4)  # the stated rule
    rows = [
        {"id": f"{source}-{i}", "source": source, "domain": "gpr", "template": "open", "options": None}
        for source in ("numina_math", "crossthink_qa", "natural_reasoning", "mmlu_train", "math_train")
        for i in range(600)
    ]
    blend = sample_blend(pa.Table.from_pylist(rows), spec)
    counts = Counter(blend.column("source").to_pylist())
    weights = {"numina_math": 53.06, "crossthink_qa": 45.65, "natural_reasoning": 44.82, "mmlu_train": 34.78,
               "math_train": (53.06 + 45.65 + 44.82 + 34.78) / 4}  # fmt: skip
    assert counts["numina_math"] == 600  # the largest weight uses its source up
    for source, weight in weights.items():
        assert abs(counts[source] - blend.num_rows * weight / sum(weights.values())) < 1, counts


# ---------------------------------------------------------------- claims against the paper's Table 4

TABLE4_KEYS = {  # blend -> its column in eval/paper_results.json "table4"
    "crossthink": "crossthink",
    "math_2to1": "b_mr_up",
    "natural": "b_nd",
    "mcq_2to1": "b_mcq_up",
    "open_2to1": "b_open_up",
    "score_weighted": "b_score",
    "math_only": "only_math",
    "general_only": "only_gpr",
}


def test_every_table4_figure_a_blend_quotes_is_the_papers() -> None:
    import re

    from tests.helpers.paths import REPO_ROOT

    table4 = json.loads((REPO_ROOT / "eval" / "paper_results.json").read_text())["table4"]["average"]
    for name, key in TABLE4_KEYS.items():
        spec = BlendSpec.load(name)
        quoted = re.findall(r"Table 4 average (\d+\.\d+)", spec.paper + " " + spec.description)
        assert quoted and {float(q) for q in quoted} == {table4[key]}, name
    # the two claims issue 16 found false: math-only scores higher on the math benchmarks, and
    # only the 2:1 general-purpose blend beats math-only on average
    headline = BlendSpec.load("crossthink").description
    assert "beats math-only" not in headline and "math-only training scores higher" in headline
    beats_math_only = [k for k, v in table4.items() if v > table4["only_math"] and k in TABLE4_KEYS.values()]
    assert beats_math_only == ["crossthink"]
    assert "only the 2:1 general-purpose" in BlendSpec.load("math_only").description
