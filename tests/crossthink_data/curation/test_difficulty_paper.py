"""Difficulty as in the paper (issue 16, finding 7): Qwen2.5-7B base, zero-shot, answer-only.

The paper removes the questions its base model already solves. A base model writes no
``<think>`` block, so "solved" must mean "the boxed answer is right": a plain ``\\boxed{}`` answer
counts as solved by default, and as unsolved only with ``--require-format`` (the old behaviour).
The loopback server plays the model; the prompts, the checker and the outputs are real.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crossthink_data.cli import app
from crossthink_data.curation.difficulty import DifficultySettings, score_difficulty
from crossthink_data.hub.dataset_card import difficulty_text
from crossthink_data.inference import GenerationSettings
from crossthink_data.rows import iter_rows
from crossthink_data.sources import get_source
from crossthink_data.templates import render
from tests.helpers.openai_server import message_text, start_openai_server

BASE_MODEL = "Qwen/Qwen2.5-7B"  # the paper's difficulty model, typed here from the paper


@pytest.fixture
def rows(test_data: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """Three GSM8K rows (T_Open, math) and two MMLU rows (T_MCQ); prompt text -> gold."""
    gsm = list(get_source("gsm8k").records(from_dir=test_data / "curation" / "gsm8k"))[:3]
    mmlu = list(get_source("mmlu_train").records(from_dir=test_data / "curation" / "mmlu_train"))[:2]
    rendered = [render(r, "open") for r in gsm] + [render(r, "mcq") for r in mmlu]
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rendered))
    return folder, {r["prompt"][0]["content"]: r["ground_truth"] for r in rendered}


def base_model_answers(golds: dict[str, str]):
    """A base model: a plain ``\\boxed{}`` answer, no ``<think>`` block; right on every question but
    the last (which gets a number no gold is)."""
    last = list(golds)[-1]

    def reply(request) -> str:
        prompt = message_text(request)
        answer = "987654321" if prompt == last else golds[prompt]
        return f"We work it out. The answer is $\\boxed{{{answer}}}$."

    return reply


def solved(golds: dict[str, str]) -> list[float]:
    """Expected pass rates, in row order, when a right boxed answer counts."""
    return [1.0] * (len(golds) - 1) + [0.0]


def run(folder: Path, out: Path, golds: dict[str, str], **settings) -> tuple[dict, list]:
    with start_openai_server(base_model_answers(golds), api_key=None, model=BASE_MODEL) as server:
        generation = GenerationSettings(model=BASE_MODEL, endpoint_url=server.base_url, max_concurrent=4)
        report = score_difficulty(folder, out, DifficultySettings(generation, max_pass_rate=0.0, **settings))
        return report, server.chat_requests


def test_a_plain_boxed_answer_counts_as_solved_by_default(rows, tmp_path: Path) -> None:
    folder, golds = rows
    report, _ = run(folder, tmp_path / "out", golds)
    scored = list(iter_rows(str(tmp_path / "out" / "scored")))
    assert [r["pass_rate"] for r in scored] == solved(golds)
    assert report.too_easy == len(golds) - 1 and report.kept == 1  # solved questions leave the blend
    assert report.require_format is False
    kept = list(iter_rows(str(tmp_path / "out" / "data")))
    assert [r["prompt"][0]["content"] for r in kept] == [list(golds)[-1]]


def test_require_format_counts_the_same_answer_as_unsolved(rows, tmp_path: Path) -> None:
    folder, golds = rows
    report, _ = run(folder, tmp_path / "out", golds, require_format=True)
    assert [r["pass_rate"] for r in iter_rows(str(tmp_path / "out" / "scored"))] == [0.0] * len(golds)
    assert report.too_easy == 0 and report.kept == len(golds) and report.require_format is True


def test_cli_defaults_to_the_paper_setting_and_takes_require_format(rows, tmp_path: Path) -> None:
    """No --model, no -k, no --temperature: Qwen2.5-7B base, one greedy answer, answer-only."""
    folder, golds = rows
    runner = CliRunner()
    with start_openai_server(base_model_answers(golds), api_key=None, model=BASE_MODEL) as server:
        common = ["--endpoint-url", server.base_url, "--max-pass-rate", "0"]
        done = runner.invoke(app, ["difficulty", "-i", str(folder), "-o", str(tmp_path / "a"), *common])
        strict = runner.invoke(
            app, ["difficulty", "-i", str(folder), "-o", str(tmp_path / "b"), *common, "--require-format"]
        )
        sent = server.chat_requests
    assert done.exit_code == 0, done.output
    assert strict.exit_code == 0, strict.output
    assert len(sent) == 2 * len(golds)  # one answer per question, twice
    assert {(r.body["model"], r.body["temperature"]) for r in sent} == {(BASE_MODEL, 0.0)}
    stage = "curation/3_difficulty"  # `difficulty -o WORK` writes the build's stage folder
    assert [r["pass_rate"] for r in iter_rows(str(tmp_path / "a" / stage / "scored"))] == solved(golds)
    assert [r["pass_rate"] for r in iter_rows(str(tmp_path / "b" / stage / "scored"))] == [0.0] * len(golds)
    report = json.loads((tmp_path / "a" / stage / "report.json").read_text())
    assert (report["model"], report["samples"], report["temperature"]) == (BASE_MODEL, 1, 0.0)
    assert report["require_format"] is False


def test_recipe_key_require_format_reaches_the_settings() -> None:
    from crossthink_data.config import from_dict

    section = {
        "samples": 1,
        "require_format": True,
        "generation": {"model": "m", "endpoint_url": "http://x/v1"},
    }
    assert from_dict(DifficultySettings, section, "recipe: difficulty").require_format is True
    section.pop("require_format")
    assert from_dict(DifficultySettings, section, "recipe: difficulty").require_format is False


def test_paper_recipe_filters_with_the_paper_model_answer_only() -> None:
    import yaml

    from tests.helpers.paths import REPO_ROOT

    recipe = yaml.safe_load((REPO_ROOT / "crossthink_data" / "recipes" / "paper.yaml").read_text())
    section = recipe["difficulty"]
    assert section["generation"]["model"] == BASE_MODEL
    assert section["max_pass_rate"] == 0.0 and section.get("require_format", False) is False


def test_card_says_how_solved_was_judged() -> None:
    base = {"model": BASE_MODEL, "samples": 1, "max_pass_rate": 0.0, "rows_in": 5, "too_easy": 2}
    base |= {"unscored": 0, "kept": 3, "temperature": 0.0}
    answer_only = difficulty_text({**base, "require_format": False})
    strict = difficulty_text({**base, "require_format": True})
    assert "answer only" in answer_only and "<think>" in strict and answer_only != strict
    assert "greedy" in answer_only
