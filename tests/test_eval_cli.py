"""End to end: `python -m crossthink_eval.run` drives the lighteval CLI (accelerate backend, CPU, offline) with
the tiny local model on real benchmark rows read through CROSSTHINK_EVAL_DATA_DIR.

The tiny model answers nothing right, so scores are not asserted here (test_eval_metrics.py does
that on realistic responses); this checks that the whole chain runs and writes what it promises.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from crossthink_data.templates import mcq_prompt_text
from crossthink_eval.crosscheck import main as crosscheck_main

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "tests" / "data" / "benchmarks"
METRICS = {"accuracy", "boxed_accuracy", "format_ok", "correct_response_tokens", "avg@k"}


def eval_run(model: Path, output: Path, tasks: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, HF_DATASETS_CACHE=str(tmp_path / "datasets_cache"), HF_HUB_OFFLINE="1")
    command = [sys.executable, "-m", "crossthink_eval.run", "--model", str(model), "--tasks", tasks]
    command += ["--data-dir", str(BENCH), "--output-dir", str(output), "--device", "cpu"]
    command += ["--max-samples", "1", "--max-new-tokens", "8", "--batch-size", "4"]
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_lighteval_cli_end_to_end_with_a_fresh_cache_per_run(tiny_model_dir, tmp_path):
    model = tmp_path / "checkpoint"
    shutil.copytree(tiny_model_dir, model)
    model_files = sorted(p.name for p in model.iterdir())
    output = tmp_path / "eval_results"

    done = eval_run(model, output, "math_500,amc23,agieval,mmlu", tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    results = json.loads((output / "results.json").read_text())
    assert list(results["benchmarks"]) == ["math_500", "amc23", "mmlu", "agieval"]
    assert results["benchmarks"]["agieval"]["n"] == 10  # one question from each of the 10 subsets
    for row in results["benchmarks"].values():
        assert {"accuracy", "boxed_accuracy", "format_ok", "correct_response_tokens"} <= set(row)
        assert 0.0 <= row["accuracy"] <= 100.0
    assert "| agieval | 10 |" in (output / "results.md").read_text()
    assert (output / "results.png").read_bytes()[:4] == b"\x89PNG"

    run_dir = Path(results["run"]["run_dir"])
    lighteval_results = json.loads(next(run_dir.glob("lighteval/results/**/results_*.json")).read_text())
    tasks = {k for k in lighteval_results["results"] if k.startswith("crossthink_") and "_average" not in k}
    assert len(tasks) == 3 + 10
    assert "crossthink_agieval:_average|0" in lighteval_results["results"]  # lighteval's mean of subsets
    for task in tasks:
        assert set(lighteval_results["results"][task]) >= METRICS

    # The prompt the model saw is the training template's T_MCQ message.
    mmlu_details = next(run_dir.glob("lighteval/details/**/details_crossthink_mmlu|0_*.parquet"))
    saved_doc = pq.read_table(mmlu_details).to_pylist()[0]["doc"]
    row = next(
        r
        for r in map(json.loads, (BENCH / "mmlu_stem/test.jsonl").read_text().splitlines())
        if r["question"] in saved_doc["query"]
    )
    assert saved_doc["query"] == mcq_prompt_text(row["question"], row["choices"])

    # Predictions are cached inside the run, never inside the model folder.
    assert sorted(p.name for p in model.iterdir()) == model_files
    assert list(run_dir.glob("cache/**/*.parquet"))

    # A retrained model at the same path is generated again, not read from a stale cache.
    from crossthink_train.tiny_model import build_tiny_model

    build_tiny_model(model, seed=1)
    again = eval_run(model, output, "math_500", tmp_path)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    second = json.loads((output / "results.json").read_text())
    assert second["run"]["run_dir"] != str(run_dir)
    assert (
        "1/1 samples (not found in cache)" in (Path(second["run"]["run_dir"]) / "lighteval.log").read_text()
    )

    # The cross-check reads the same generations back.
    assert crosscheck_main([str(run_dir)]) == 0
    report = json.loads((run_dir / "crosscheck.json").read_text())
    assert sum(stats["n"] for stats in report["tasks"].values()) == 13
