"""`crossthink-data build`: sources -> filter H -> templates -> decont -> dedup -> difficulty -> blends.

Real rows (tests/data/curation), a real loopback OpenAI-compatible server for the difficulty
stage (its "model" is scripted: right on every other GSM8K question, wrong elsewhere, as no model
runs here).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from crossthink_data.config import ConfigError
from crossthink_data.curation.build import BuildConfig, resolved_recipe, run_build, slurm_script
from crossthink_data.rows import iter_rows
from tests.helpers.openai_server import message_text, start_openai_server


def _recipe(test_data: Path, tmp_path: Path, endpoint: str) -> Path:
    data = test_data / "curation"
    recipe = {
        "output": str(tmp_path / "out"),
        "sources": [{"name": s, "from_dir": str(data / s)} for s in ("arc_challenge", "mmlu_train", "gsm8k")],
        "decontaminate": {"benchmarks": str(data / "benchmarks")},
        "dedup": {},
        "difficulty": {
            "generation": {"model": "scripted", "endpoint_url": endpoint, "api_key_env": "NO_KEY_NEEDED"},
            "samples": 2,
            "max_pass_rate": 0.5,
        },
        "blends": ["crossthink", "mcq_2to1"],
    }
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe))
    return path


@pytest.mark.slow
def test_build_runs_every_stage_and_resumes_without_redoing_work(test_data: Path, tmp_path: Path) -> None:
    lines = (test_data / "curation" / "gsm8k" / "test.jsonl").read_text().splitlines()
    solved = {json.loads(line)["question"].strip() for line in lines[::2]}
    golds = {
        json.loads(line)["question"].strip(): json.loads(line)["answer"].split("####")[-1].strip()
        for line in lines
    }

    def reply(request) -> str:
        question = message_text(request).split("Question: ", 1)[1].strip()
        answer = golds[question].replace(",", "") if question in solved else "none of them"
        return f"<think>...</think> \\boxed{{{answer}}}"

    with start_openai_server(reply, api_key=None) as server:
        recipe = BuildConfig.load(_recipe(test_data, tmp_path, server.base_url))
        summary = run_build(recipe)
        first_requests = len(server.chat_requests)
        again = run_build(BuildConfig.load(_recipe(test_data, tmp_path, server.base_url)))
        assert len(server.chat_requests) == first_requests  # resumed: nothing sampled twice
    assert again["blends"] == summary["blends"]
    out, work = tmp_path / "out", tmp_path / "_work" / "out"
    # one repo: every source's configs and the two blends, each in both row formats
    configs = {p.name for p in (out / "data").iterdir()}
    assert {"arc_challenge-mcq", "mmlu_train-records", "gsm8k-open", "blend-mcq_2to1-verl"} <= configs
    assert (out / "README.md").exists() and not (out / "_work").exists()
    # dedup: the ARC questions MMLU auxiliary_train also holds survive only as mmlu_train rows
    dedup_rows = list(iter_rows(work / "curation" / "2_dedup" / "data"))
    by_question = Counter((re.sub(r"\W+", "", r["question"].lower()), r["template"]) for r in dedup_rows)
    assert max(by_question.values()) == 1
    assert (
        summary["dedup"]["exact_removed"].get("arc_challenge", 0)
        + summary["dedup"]["near_removed"].get("arc_challenge", 0)
        >= 30
    )
    # difficulty: the solved GSM8K rows (pass rate 1.0 > 0.5) are gone, the rest stays with rate 0
    assert summary["difficulty"]["too_easy"] == sum(r["question"].strip() in solved for r in dedup_rows)
    hard = list(iter_rows(work / "curation" / "3_difficulty" / "data"))
    assert {r["source"] for r in hard} == {"arc_challenge", "mmlu_train", "gsm8k"}
    assert all(r["pass_rate"] == 0.0 and r["difficulty_model"] == "scripted" for r in hard)
    blend = summary["blends"]["crossthink"]["counts"]["domain"]
    assert blend["math"] == sum(1 for r in hard if r["domain"] == "math")  # math is the scarce side
    assert abs(blend["gpr"] - 2 * blend["math"]) <= 1
    # the MCQ:open blend is 2:1 to the row
    mcq = summary["blends"]["mcq_2to1"]["counts"]["template"]
    assert abs(mcq["mcq"] - 2 * mcq["open"]) <= 2


def test_headline_blend_fails_clearly_without_math_rows(test_data: Path, tmp_path: Path) -> None:
    """A pool of general-reasoning rows only cannot make the 2:1 general:math blend: say so, do not guess."""
    from crossthink_data.curation.blends import BlendError

    recipe = BuildConfig.from_dict(
        {
            "output": str(tmp_path / "out"),
            "sources": [{"name": "mmlu_train", "from_dir": str(test_data / "curation" / "mmlu_train")}],
            "blends": ["crossthink"],
        }
    )
    with pytest.raises(BlendError, match="no rows with domain"):
        run_build(recipe)


def test_recipe_errors_and_slurm_script(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="at least one entry under 'sources'"):
        BuildConfig.from_dict({"blends": ["crossthink"]})
    with pytest.raises(ValueError, match=r"recipe: unknown key\(s\) \[.blend.\]"):
        BuildConfig.from_dict({"sources": ["gsm8k"], "blend": ["crossthink"]})
    path = tmp_path / "recipe.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "sources": ["gsm8k"],
                "output": "out",
                "workers": 8,
                "executor": "slurm",
                "slurm": {"partition": "cpu", "time": "02:00:00"},
            }
        )
    )
    script = slurm_script(BuildConfig.load(path))
    # The driver job takes one CPU; the stages run as job arrays with the recipe's slurm: options.
    assert "#SBATCH --cpus-per-task=1" in script and "#SBATCH --partition=cpu" in script
    assert "#SBATCH --time=02:00:00" in script
    stages = yaml.safe_load(script.split("CROSSTHINK_SLURM_STAGES=")[1].splitlines()[0].strip("'"))
    assert stages["partition"] == "cpu" and stages["time"] == "02:00:00"
    last = script.strip().splitlines()[-1]
    job_dir = tmp_path / "_work" / "out" / "slurm"
    assert last.endswith(f"build {job_dir / 'recipe.yaml'}")
    resolved = yaml.safe_load(resolved_recipe(BuildConfig.load(path)))
    assert resolved["executor"] == "slurm" and resolved["output"] == str(tmp_path / "out")
    assert BuildConfig.from_dict(resolved).workers == 8
    path.write_text(yaml.safe_dump({"sources": ["gsm8k"], "executor": "slurm", "slurm": {"mem": "64G"}}))
    with pytest.raises(ConfigError, match=r"slurm: unknown key\(s\) \['mem'\]; valid: \[.*'mem_per_cpu_gb'"):
        slurm_script(BuildConfig.load(path))
