"""crossthink-eval compare: per-benchmark deltas and tokens of correct answers per task group."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crossthink_eval.cli import app
from crossthink_eval.compare import compare, load_results

GPR = ("mmlu", "mmlu_pro", "gpqa_diamond", "agieval", "supergpqa")
MATH = ("math_500", "amc23")
GROUPS = {"gpr": list(GPR), "math": list(MATH), "mmlu": ["mmlu"]}


def results(tmp_path: Path, name: str, accuracy: dict[str, float], tokens: dict[str, float | None]) -> Path:
    """An output dir holding a results.json shaped like crossthink-eval run's."""
    folder = tmp_path / name
    folder.mkdir()
    rows = {
        bench: {"boxed_accuracy": acc, "accuracy": acc - 10, "correct_response_tokens": tokens.get(bench)}
        for bench, acc in accuracy.items()
    }
    (folder / "results.json").write_text(json.dumps({"run": {"model": name}, "benchmarks": rows}))
    return folder


def test_deltas_and_token_efficiency_the_papers_way(tmp_path):
    """The paper's own Table 9 numbers: math-only 639 (GPR) / 731 (math), CrossThink 385 / 622.

    Reductions per group: 1 - 385/639 = 39.75%, 1 - 622/731 = 14.91%; their mean 27.33%.
    Tokens of a benchmark with no correct answer (None) do not count.
    """
    math_only = results(
        tmp_path,
        "math_only",
        {"math_500": 80.0, "amc23": 66.0, "mmlu": 70.0, "gpqa_diamond": 30.0},
        {"math_500": 700.0, "amc23": 762.0, "mmlu": 639.0, "gpqa_diamond": 639.0},
    )
    crossthink = results(
        tmp_path,
        "crossthink",
        {"math_500": 77.5, "amc23": 65.0, "mmlu": 75.0, "gpqa_diamond": 38.5, "agieval": 60.0},
        {"math_500": 600.0, "amc23": 644.0, "mmlu": 385.0, "gpqa_diamond": None, "agieval": 10.0},
    )
    result = compare(load_results(math_only), load_results(crossthink), GROUPS)
    assert list(result.benchmarks) == ["math_500", "amc23", "mmlu", "gpqa_diamond"]  # both evaluated
    assert result.benchmarks["gpqa_diamond"]["delta"] == pytest.approx(8.5)
    assert result.benchmarks["math_500"]["delta"] == pytest.approx(-2.5)
    assert result.tokens["gpr"] == pytest.approx({"a": 639.0, "b": 385.0, "fewer": 0.397496}, rel=1e-5)
    assert result.tokens["math"] == pytest.approx({"a": 731.0, "b": 622.0, "fewer": 0.149111}, rel=1e-5)
    assert result.fewer_tokens == pytest.approx(0.273303, rel=1e-5)


def test_compare_command_prints_the_tables_and_writes_json(tmp_path):
    a = results(tmp_path, "a", {"math_500": 50.0}, {"math_500": 400.0})
    b = results(tmp_path, "b", {"math_500": 60.0}, {"math_500": 300.0})
    outcome = CliRunner().invoke(app, ["compare", str(a), str(b), "--output", str(tmp_path / "cmp.json")])
    assert outcome.exit_code == 0, outcome.output
    assert "| math_500 | 50.0 | 60.0 | +10.0 | +10.0 |" in outcome.output
    assert "| math | 400 | 300 | 25.0% |" in outcome.output
    assert json.loads((tmp_path / "cmp.json").read_text())["fewer_tokens"] == pytest.approx(0.25)


def test_compare_of_a_folder_without_results_is_one_line(tmp_path):
    b = results(tmp_path, "b", {"math_500": 60.0}, {})
    outcome = CliRunner().invoke(app, ["compare", str(tmp_path / "missing"), str(b)])
    assert outcome.exit_code == 2
    assert [line for line in outcome.output.splitlines() if line.strip()] == [
        f"error: no results.json at {tmp_path / 'missing'} (pass a crossthink-eval run --output-dir)"
    ]
