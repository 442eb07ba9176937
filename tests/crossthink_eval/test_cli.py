"""The `crossthink-eval` app, and end to end: `python -m crossthink_eval.run` drives the lighteval CLI
(accelerate backend, CPU, offline) with the tiny local model on real benchmark rows read through
CROSSTHINK_EVAL_DATA_DIR, and (endpoint backend) a loopback OpenAI-compatible server.

The tiny model answers nothing right, so scores are not asserted on it (test_eval_metrics.py does
that on realistic responses); that test checks that the whole chain runs and writes what it
promises. The endpoint test serves replies written the way a model answers, and HTTP 500 for one
benchmark's prompts: the run must fail, and say so, instead of scoring the failures as 0.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the dev extra installs tomli
    import tomli as tomllib

from crossthink_data.templates import mcq_prompt_text
from crossthink_eval import run as run_module
from crossthink_eval.cli import app
from tests.helpers.openai_server import Reply, message_text, start_openai_server
from tests.helpers.paths import REPO_ROOT

BENCH = REPO_ROOT / "tests" / "data" / "benchmarks"
METRICS = {"accuracy", "boxed_accuracy", "format_ok", "correct_response_tokens", "avg@k"}


def eval_run(
    model: Path | str, output: Path, tasks: str, tmp_path: Path, *extra: str, max_samples: int = 1
) -> subprocess.CompletedProcess:
    env = dict(os.environ, HF_DATASETS_CACHE=str(tmp_path / "datasets_cache"), HF_HUB_OFFLINE="1")
    env.pop("OPENAI_API_KEY", None)
    env.pop("CROSSTHINK_API_KEY", None)
    command = [sys.executable, "-m", "crossthink_eval.run", "--model", str(model), "--tasks", tasks]
    command += ["--data-dir", str(BENCH), "--output-dir", str(output)]
    command += ["--max-samples", str(max_samples), "--max-new-tokens", "8", "--runs", "1", *extra]
    return subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600)


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


def test_the_console_script_is_the_app_with_run_and_crosscheck(monkeypatch, capsys):
    target = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["scripts"][
        "crossthink-eval"
    ]
    module, _, name = target.partition(":")
    monkeypatch.setattr(sys, "argv", ["crossthink-eval", "--help"])
    with pytest.raises(SystemExit) as exit_info:
        getattr(importlib.import_module(module), name)()
    assert exit_info.value.code == 0
    commands = capsys.readouterr().out.split("Commands")[1]
    assert "run " in commands and "crosscheck " in commands and "compare " in commands


def test_run_options_keep_their_defaults(monkeypatch):
    seen = []
    monkeypatch.setattr(run_module, "run_eval", lambda settings: seen.append(settings) or 0)
    result = CliRunner().invoke(app, ["run", "--model", "Qwen/Qwen2.5-7B"])
    assert result.exit_code == 0, result.output
    (settings,) = seen
    assert settings.tasks == "math_500,amc23,mmlu,mmlu_pro,gpqa_diamond,agieval,supergpqa"
    assert (settings.output_dir, settings.backend, settings.device) == ("eval_results", "accelerate", None)
    assert (settings.batch_size, settings.max_new_tokens, settings.temperature, settings.k) == (
        8,
        4096,
        0.0,
        1,
    )
    assert (settings.max_samples, settings.data_dir, settings.base_url, settings.tokenizer) == (None,) * 4
    # the data commands' endpoint defaults (crossthink_data.endpoint), no longer eval's own 8/10/no limit
    assert (settings.api_key, settings.max_attempts, settings.max_concurrent) == (None, 4, 64)
    assert settings.request_timeout == 600.0
    assert settings.runs == 3  # the paper's mean of 3 greedy runs
    assert Path(settings.lighteval) == Path(sys.executable).with_name("lighteval")

    result = CliRunner().invoke(app, ["run", "--model", "m", "--endpoint-url", "http://h:1/v1"])
    assert result.exit_code == 0 and seen[1].base_url == "http://h:1/v1"  # the data commands' name

    result = CliRunner().invoke(app, ["run", "--model", "m", "--backend", "tgi"])
    assert result.exit_code == 2 and not seen[2:]  # click refuses an unknown backend


def test_module_entry_runs_the_same_command_with_one_line_errors(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "crossthink_eval.run", "--model", "m", "--backend", "endpoint"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2
    assert error_lines(done.stderr) == [
        "error: --backend endpoint needs --base-url (e.g. http://localhost:8000/v1)"
    ]


def test_crosscheck_of_a_folder_without_runs_is_one_line(tmp_path):
    result = CliRunner().invoke(app, ["crosscheck", str(tmp_path)])
    assert result.exit_code == 2
    assert f"error: no eval run under {tmp_path}" in result.output


@pytest.mark.slow
def test_lighteval_cli_end_to_end_with_a_fresh_cache_per_run(tiny_model_dir, tmp_path):
    model = tmp_path / "checkpoint"
    shutil.copytree(tiny_model_dir, model)
    model_files = sorted(p.name for p in model.iterdir())
    output = tmp_path / "eval_results"

    done = eval_run(model, output, "math_500,amc23,agieval,mmlu", tmp_path, "--device", "cpu")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    results = json.loads((output / "results.json").read_text())
    assert list(results["benchmarks"]) == ["math_500", "amc23", "mmlu", "agieval"]
    assert results["benchmarks"]["agieval"]["n"] == 10  # one question from each of the 10 subsets
    assert results["run"]["failed_requests"] == 0
    for row in results["benchmarks"].values():
        assert {
            "accuracy",
            "boxed_accuracy",
            "format_ok",
            "correct_response_tokens",
            "empty_responses",
        } <= set(row)
        assert 0.0 <= row["accuracy"] <= 100.0
    assert "| agieval | 10 | " in (output / "results.md").read_text()
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
    again = eval_run(model, output, "math_500", tmp_path, "--device", "cpu")
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    second = json.loads((output / "results.json").read_text())
    assert second["run"]["run_dir"] != str(run_dir)
    assert (
        "1/1 samples (not found in cache)" in (Path(second["run"]["run_dir"]) / "lighteval.log").read_text()
    )

    # The cross-check reads the same generations back.
    checked = CliRunner().invoke(app, ["crosscheck", str(run_dir)])
    assert checked.exit_code == 0, checked.output
    report = json.loads((run_dir / "crosscheck.json").read_text())
    assert sum(stats["n"] for stats in report["tasks"].values()) == 13


def amc23_answers() -> dict[str, str]:
    """AMC23 question -> its gold as a model writes it (27.0 -> 27)."""
    rows = map(json.loads, (BENCH / "amc23/test.jsonl").read_text().splitlines())
    return {row["problem"]: f"{row['answer']:g}" for row in rows}


@pytest.mark.slow
def test_endpoint_requests_that_fail_make_the_run_fail_and_are_counted(tmp_path):
    """A server that answers HTTP 500 to math_500's prompts and the right answer to amc23's.

    lighteval gives up on the failed requests, returns empty responses and exits 0; the run must
    exit non-zero with one line naming the server and the error, and count the empty responses.
    """
    answers = amc23_answers()

    def reply(request):
        prompt = message_text(request)
        question = next((q for q in answers if q in prompt), None)
        if question is None:
            return Reply(status=500)
        return f"<think>Work it out step by step.</think>\nThe answer is \\boxed{{{answers[question]}}}."

    output = tmp_path / "eval_results"
    with start_openai_server(reply, api_key="sk-loopback-test", model="served-model") as server:
        done = eval_run(
            "served-model",
            output,
            "math_500,amc23",
            tmp_path,
            *("--backend", "endpoint", "--base-url", server.base_url, "--api-key", "sk-loopback-test"),
            *("--max-attempts", "1"),
            max_samples=2,
        )
        requests = server.requests
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    (line,) = error_lines(done.stderr)
    assert line.startswith(
        f"error: 2 request(s) to {server.base_url} failed and came back as 2 empty response(s) of 4"
    )
    assert "last error: litellm.InternalServerError" in line and "injected HTTP 500" in line

    results = json.loads((output / "results.json").read_text())
    assert results["run"]["failed_requests"] == 2
    math, amc = results["benchmarks"]["math_500"], results["benchmarks"]["amc23"]
    assert (math["n"], math["empty_responses"], math["accuracy"]) == (2, 2, 0.0)
    assert (amc["n"], amc["empty_responses"], amc["accuracy"]) == (2, 0, 100.0)
    assert (
        "**2 empty responses (scored 0; math_500 2); 2 requests failed" in (output / "results.md").read_text()
    )

    # Every request carried the key and a non-empty stop list (`"stop": []` breaks transformers serve).
    chats = [r for r in requests if r.path.endswith("/chat/completions")]
    assert chats and all(r.authorized for r in chats)
    assert {json.dumps(r.body["stop"]) for r in chats} == {'["<|im_end|>"]'}
    assert "sk-loopback-test" not in json.dumps(results)

    # litellm split "<think>...</think>" off the replies; the scores above and the cross-check
    # (reading lighteval's details back) see the reply as the server sent it.
    checked = CliRunner().invoke(app, ["crosscheck", str(output)])
    assert checked.exit_code == 0, checked.output
    report = json.loads(next(output.glob("runs/*/crosscheck.json")).read_text())
    assert report["tasks"]["crossthink_amc23|0"]["ours"] == 2.0
    assert report["tasks"]["crossthink_math_500|0"]["ours"] == 0.0
