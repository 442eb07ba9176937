"""The real-model demo's command: its options reach the demo, and it reads only shipped files."""

from __future__ import annotations

import json
import subprocess
import sys

from typer.testing import CliRunner

from tests.helpers.paths import REPO_ROOT


def test_options_reach_the_real_demo(monkeypatch) -> None:
    import typer

    import crossthink_demo.real as real_module
    from crossthink_demo.cli import register

    seen = []
    monkeypatch.setattr(
        real_module, "run_demo_real", lambda output, settings: seen.append((output, settings))
    )
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, ["--eval-rows", "5"], env={"CROSSTHINK_DEMO_PAGES": ""})
    assert result.exit_code == 0, result.output
    ((output, settings),) = seen
    assert output == "demo_real_output"
    assert (settings.pages, settings.difficulty_rows, settings.eval_rows) == (4, 20, 5)
    result = CliRunner().invoke(app, [], env={"CROSSTHINK_DEMO_PAGES": "2"})
    assert result.exit_code == 0 and seen[1][1].pages == 2


def test_the_benchmark_rows_it_evaluates_ship_with_the_package() -> None:
    """The demo's default evaluation folder is package data, not tests/data (absent from a wheel),
    and holds real rows of the benchmarks it evaluates, readable by the evaluation's own reader."""
    from crossthink_demo.real import EVAL_SAMPLES, RealDemoSettings
    from crossthink_eval.benchmarks import data_sources, resolve_benchmark

    assert REPO_ROOT / "tests" not in EVAL_SAMPLES.parents
    assert EVAL_SAMPLES.is_relative_to(REPO_ROOT / "crossthink_demo")
    for name in RealDemoSettings().eval_tasks.split(","):
        sources = data_sources(resolve_benchmark(name), EVAL_SAMPLES)
        assert sources, f"{name}: no rows under {EVAL_SAMPLES}"
    rows = (EVAL_SAMPLES / "math500" / "test.jsonl").read_text().splitlines()
    assert len(rows) == 8 and all("problem" in json.loads(row) for row in rows)


def test_module_entry_shows_its_options() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "crossthink_demo", "--help"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "--eval-rows" in done.stdout and "python -m crossthink_demo" in done.stdout
