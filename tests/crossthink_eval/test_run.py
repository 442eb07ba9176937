"""crossthink_eval.run planning (task mapping, per-run cache, commands) and the results files."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from crossthink_eval import run
from crossthink_eval.benchmarks import AGIEVAL_SUBSETS, BENCHMARKS, DATA_DIR_ENV
from crossthink_eval.results import (
    build_results,
    category_of,
    combine_runs,
    is_empty_response,
    load_paper_results,
    render_markdown,
    summarize,
    write_results,
)
from tests.helpers.paths import TEST_DATA

BENCH = TEST_DATA / "benchmarks"


def args(tmp_path: Path, **overrides) -> run.RunSettings:
    values = {
        "model": str(tmp_path / "model"),
        "tasks": "math_500,agieval",
        "output_dir": str(tmp_path / "out"),
        "max_samples": 2,
        "device": "cpu",
        "batch_size": 4,
        "max_new_tokens": 32,
        "data_dir": str(BENCH),
        "lighteval": "lighteval",
    }
    values.update(overrides)
    (tmp_path / "model").mkdir(exist_ok=True)
    return run.RunSettings(**values)


def test_short_names_map_to_our_tasks_and_errors_are_clear():
    assert run.parse_task_list(" math_500, crossthink_amc23 ,math_500") == ["math_500", "amc23"]
    with pytest.raises(run.EvalConfigError, match=r"unknown benchmark 'gsm8k'; expected one of math_500"):
        run.parse_task_list("math_500,gsm8k")
    with pytest.raises(run.EvalConfigError, match="no tasks given"):
        run.parse_task_list(" , ")


def test_task_specs_expand_agieval_subsets_and_set_k():
    specs = run.task_specs(["math_500", "agieval"], None, k=1)
    assert specs[0] == "crossthink_math_500|0"
    assert specs[1:] == [f"crossthink_agieval:{s}|0" for s in AGIEVAL_SUBSETS]
    assert run.task_specs(["amc23"], None, k=8) == ["crossthink_amc23@k=8|0"]


def test_local_data_missing_a_benchmark_is_an_error(tmp_path):
    with pytest.raises(
        run.EvalConfigError, match=r"math_500: no local data .*looked for math500.*HuggingFaceH4"
    ):
        run.task_specs(["math_500"], tmp_path)


def test_each_run_gets_its_own_cache_and_never_writes_into_the_model(tmp_path, monkeypatch):
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    first = run.plan_run(args(tmp_path))
    second = run.plan_run(args(tmp_path))
    assert first.cache_dir != second.cache_dir
    for plan in (first, second):
        model_args = plan.command[2]
        assert f"cache_dir={plan.cache_dir}" in model_args
        assert plan.cache_dir.is_relative_to(plan.run_dir)
        # lighteval joins cache_dir / model_name: the model name must be relative to stay inside
        model_name = model_args.split("model_name=")[1].split(",")[0]
        assert not Path(model_name).is_absolute()
        assert (plan.cwd / model_name).resolve() == (tmp_path / "model").resolve()
        assert plan.env[DATA_DIR_ENV] == str(BENCH.resolve())
        assert plan.env["CROSSTHINK_EVAL_MAX_NEW_TOKENS"] == "32"
        assert plan.command[-2:] == ["--max-samples", "2"]
        assert "--save-details" in plan.command


def test_backends_build_their_lighteval_commands(tmp_path):
    vllm = run.plan_run(args(tmp_path, backend="vllm"))
    assert vllm.command[1] == "vllm"
    assert "generation_parameters={max_new_tokens:32,temperature:0.0}" in vllm.command[2]
    local = run.plan_run(args(tmp_path, backend="accelerate", device="cpu"))
    # no max_new_tokens: lighteval 0.13's transformers backend would cut every prompt to that many
    # tokens; the tasks' generation_size caps the reply instead
    assert "generation_parameters={temperature:0.0}" in local.command[2]
    assert local.env[run.MAX_NEW_TOKENS_ENV] == "32"
    endpoint = run.plan_run(
        args(tmp_path, backend="endpoint", model="Qwen/ckpt", base_url="http://localhost:8000/v1")
    )
    assert endpoint.command[1:3] == ["endpoint", "litellm"]
    assert "base_url=http://localhost:8000/v1" in endpoint.command[3]
    assert "model_name=openai/Qwen/ckpt" in endpoint.command[3]  # litellm's OpenAI-compatible route


def test_endpoint_sends_a_stop_sequence_and_the_retry_settings(tmp_path, monkeypatch):
    """lighteval sends our tasks' empty stop list as `"stop": []` (transformers serve: HTTP 500);
    its generation parameters override that key with a non-empty list."""
    plan = run.plan_run(
        args(
            tmp_path,
            backend="endpoint",
            model="m",
            base_url="http://localhost:8000/v1",
            max_attempts=3,
            request_timeout=90.0,
            max_concurrent=4,
        )
    )
    model_args = plan.command[3]
    assert 'stop_tokens:["<|im_end|>"]' in model_args
    assert "api_max_retry=3,concurrent_requests=4,timeout=90.0," in model_args
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # as run sets it: no fetch at import
    monkeypatch.chdir(tmp_path)  # lighteval's import opens litellm's disk cache in the working directory
    from lighteval.models.endpoints.litellm_model import LiteLLMModelConfig

    config = LiteLLMModelConfig.from_args(model_args)  # lighteval's own parser reads it back
    assert config.generation_parameters.stop_tokens == ["<|im_end|>"]
    assert config.generation_parameters.to_litellm_dict()["stop"] == ["<|im_end|>"]
    assert (config.api_max_retry, config.concurrent_requests, config.timeout) == (3, 4, 90.0)
    assert "stop_tokens" not in run.plan_run(args(tmp_path)).command[2]  # local backends: as before


@pytest.mark.parametrize(
    ("api_key", "env_key", "base_url", "sent"),
    [
        ("sk-flag", {"CROSSTHINK_API_KEY": "sk-env"}, "https://api.example.com/v1", "sk-flag"),
        (None, {"CROSSTHINK_API_KEY": "sk-env"}, "https://api.example.com/v1", "sk-env"),
        (None, {"CROSSTHINK_API_KEY": "sk-ct", "OPENAI_API_KEY": "sk-oa"}, "https://a.example/v1", "sk-ct"),
        (None, {}, "http://127.0.0.1:8000/v1", run.LOOPBACK_API_KEY),
        (None, {}, "http://localhost:8000/v1", run.LOOPBACK_API_KEY),
        (None, {}, "http://[::1]:8000/v1", run.LOOPBACK_API_KEY),
        # the one key rule: an OpenAI key in the environment is never sent to another server
        (None, {"OPENAI_API_KEY": "sk-oa"}, "http://localhost:8000/v1", run.LOOPBACK_API_KEY),
    ],
)
def test_endpoint_api_key_travels_in_the_environment_only(
    tmp_path, monkeypatch, api_key, env_key, base_url, sent
):
    for name in ("OPENAI_API_KEY", "CROSSTHINK_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env_key.items():
        monkeypatch.setenv(name, value)
    plan = run.plan_run(args(tmp_path, backend="endpoint", model="m", base_url=base_url, api_key=api_key))
    assert plan.env["OPENAI_API_KEY"] == sent
    assert sent not in json.dumps(plan.info)  # run.json and results.json never hold the key
    assert "sk-flag" not in repr(args(tmp_path, api_key="sk-flag"))  # nor a logged settings object


@pytest.mark.parametrize("openai_key", [None, "sk-oa"])
def test_a_remote_endpoint_without_a_key_is_refused(tmp_path, monkeypatch, openai_key):
    """$OPENAI_API_KEY does not count as a key (the data commands never read it either)."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("CROSSTHINK_API_KEY", raising=False)
    if openai_key:
        monkeypatch.setenv("OPENAI_API_KEY", openai_key)
    with pytest.raises(
        run.EvalConfigError, match=r"https://10.0.0.5:8000/v1 needs an API key: pass --api-key"
    ):
        run.plan_run(args(tmp_path, backend="endpoint", model="m", base_url="https://10.0.0.5:8000/v1"))


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"max_attempts": 0}, "--max-attempts must be at least 1"),
        ({"max_concurrent": 0}, "--max-concurrent must be at least 1"),
        ({"request_timeout": 0.0}, "--request-timeout must be positive"),
    ],
)
def test_endpoint_settings_are_checked_by_the_data_sides_rules(tmp_path, setting, message):
    with pytest.raises(run.EvalConfigError, match=message):
        run.plan_run(
            args(tmp_path, backend="endpoint", model="m", base_url="http://localhost:1/v1", **setting)
        )


def test_mining_difficulty_and_eval_share_one_set_of_endpoint_defaults():
    """Numbers as issue 17 decided them (the data side's): 4 attempts, 64 in flight, 600 s per request.
    ``mine`` and ``difficulty`` hold a ``GenerationSettings``; eval's defaults are read from it."""
    from crossthink_data.endpoint import GenerationSettings

    for settings in (GenerationSettings(model="m"), run.RunSettings(model="m")):
        assert (settings.max_attempts, settings.max_concurrent, settings.request_timeout) == (4, 64, 600.0)
    assert GenerationSettings(model="m").api_key_env == "CROSSTHINK_API_KEY"


# Lines as lighteval 0.13's litellm backend logs them (copied from a run against a server answering 500).
FAILED_LOG = """\
[2026-12-02 02:00:01,101] [\x1b[33m WARNING\x1b[0m]: Error in API call: litellm.InternalServerError: InternalServerError: OpenAIException - injected HTTP 500, waiting 1.0 seconds before retry 1/1 (litellm_model.py:248)\x1b[0m
[2026-12-02 02:00:02,102] [\x1b[31m   ERROR\x1b[0m]: API call failed after 1 attempts, returning empty response. (litellm_model.py:253)\x1b[0m
[2026-12-02 02:00:02,311] [\x1b[33m WARNING\x1b[0m]: Error in API call: litellm.APIConnectionError: Connection refused, waiting 1.0 seconds before retry 1/1 (litellm_model.py:248)\x1b[0m
[2026-12-02 02:00:03,312] [\x1b[31m   ERROR\x1b[0m]: API call failed after 1 attempts, returning empty response. (litellm_model.py:253)\x1b[0m
"""


def test_failed_requests_are_counted_from_lightevals_log():
    failures = run.request_failures(FAILED_LOG)
    assert failures.count == 2
    assert failures.last_error == "litellm.APIConnectionError: Connection refused"
    assert run.request_failures("--- COMPUTING METRICS ---\n") == run.RequestFailures(0, "")


def test_empty_responses_fail_the_endpoint_backend_only(tmp_path):
    endpoint = run.plan_run(args(tmp_path, backend="endpoint", model="m", base_url="http://localhost:1/v1"))
    local = run.plan_run(args(tmp_path))
    none = run.RequestFailures(0, "")
    line = run.failure_line(run.request_failures(FAILED_LOG), 2, 5, endpoint)
    assert line is not None and "\n" not in line
    assert line.startswith(
        "2 request(s) to http://localhost:1/v1 failed and came back as 2 empty response(s) of 5"
    )
    assert "last error: litellm.APIConnectionError: Connection refused" in line
    assert line.endswith(f"see {endpoint.run_dir / 'lighteval.log'}")
    # every response empty: nothing came back even if the log said nothing
    assert run.failure_line(none, 3, 3, endpoint).startswith("3 request(s)")
    assert run.failure_line(none, 1, 3, endpoint) is None  # a model may answer "" once
    assert run.failure_line(none, 3, 3, local) is None  # local generation: an empty text is the model's


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"k": 4}, "set --temperature > 0"),
        ({"backend": "endpoint"}, "needs --base-url"),
        ({"model": ""}, "no model given"),
        ({"data_dir": "/nonexistent/benchmarks"}, "is not a directory"),
    ],
)
def test_bad_settings_are_refused_before_running(tmp_path, overrides, message):
    with pytest.raises(run.EvalConfigError, match=message):
        run.plan_run(args(tmp_path, **overrides))


def sample(acc: float, tokens: float | None = None, boxed: float | None = None) -> dict:
    return {
        "accuracy": acc,
        "boxed_accuracy": acc if boxed is None else boxed,
        "format_ok": acc,
        "correct_response_tokens": tokens if tokens is not None else math.nan,
        "avg@k": acc,
    }


def test_agieval_subsets_pool_by_question_and_tokens_by_correct_answer():
    per_task = {
        "crossthink_agieval:lsat-ar|0": [sample(1, 100), sample(0), sample(0), sample(0)],
        "crossthink_agieval:sat-math|0": [sample(1, 300)],
        "crossthink_math_500|0": [sample(1, 50, 1), sample(0, None, 1)],
    }
    summary = summarize(per_task)
    assert list(summary) == ["math_500", "agieval"]
    agieval = summary["agieval"]
    assert agieval["n"] == 5
    assert agieval["accuracy"] == pytest.approx(40.0)  # 2 of 5, not the mean of 25% and 100%
    assert agieval["correct_response_tokens"] == pytest.approx(200.0)
    assert agieval["subsets"] == {"lsat-ar": 4, "sat-math": 1}
    assert summary["math_500"]["boxed_accuracy"] == 100.0 and summary["math_500"]["accuracy"] == 50.0


def test_empty_responses_are_counted_per_benchmark_and_subset(tmp_path):
    # model_response as lighteval saves it: a failed request is text [""]
    assert is_empty_response({"text": [""]}) and is_empty_response({"text": []}) and is_empty_response(None)
    assert not is_empty_response({"text": ["", "\\boxed{2}"]})  # one of k samples came back
    per_task = {
        "crossthink_agieval:lsat-ar|0": [{**sample(0), "_empty": True}, {**sample(1), "_empty": False}],
        "crossthink_agieval:sat-math|0": [{**sample(0), "_empty": True}],
        "crossthink_math_500|0": [{**sample(1), "_empty": False}],
    }
    summary = summarize(per_task)
    assert summary["agieval"]["empty_responses"] == 2
    assert summary["agieval"]["empty_by_subset"] == {"lsat-ar": 1, "sat-math": 1}
    assert summary["agieval"]["accuracy"] == pytest.approx(100 / 3)  # the flag is not a metric
    assert summary["math_500"]["empty_responses"] == 0 and "empty_by_subset" not in summary["math_500"]
    info = {"model": "m", "backend": "endpoint", "max_new_tokens": 8, "temperature": 0.0, "k": 1}
    info |= {"data": "local", "run_dir": "runs/x", "failed_requests": 2}
    text = render_markdown(build_results(summary, info, load_paper_results()))
    assert "**2 empty responses (scored 0; agieval 2); 2 requests failed" in text
    cells = next(line for line in text.splitlines() if line.startswith("| agieval")).split(" | ")
    assert (cells[1], cells[-1]) == ("3", "2 |")  # questions, and empty responses in the last column


def test_mmlu_breakdown_by_the_papers_categories():
    per_task = {
        "crossthink_mmlu|0": [
            {**sample(1), "_category": category_of("mmlu", "college_biology")},
            {**sample(0), "_category": category_of("mmlu", "high_school_physics")},
            {**sample(1), "_category": category_of("mmlu", "philosophy")},
        ]
    }
    breakdown = summarize(per_task)["mmlu"]["by_category"]
    assert breakdown == {"humanities": {"n": 1, "accuracy": 100.0}, "stem": {"n": 2, "accuracy": 50.0}}


INFO = {
    "model": "ckpt",
    "backend": "accelerate",
    "max_new_tokens": 64,
    "temperature": 0.0,
    "k": 1,
    "max_samples": 2,
    "data": "local",
    "run_dir": "runs/x",
}


def test_results_files_headline_the_paper_comparable_metric_beside_the_paper(tmp_path):
    """A baseline-style answer (no <think>) counts on boxed acc., not on the strict accuracy."""
    summary = summarize({"crossthink_mmlu_pro|0": [sample(1, 120), sample(0, boxed=1), sample(0)]})
    results = build_results(summary, INFO, load_paper_results())
    paths = write_results(results, tmp_path)
    saved = json.loads(paths["json"].read_text())
    assert saved["headline_metric"] == "boxed_accuracy"
    assert saved["benchmarks"]["mmlu_pro"]["boxed_accuracy"] == pytest.approx(200 / 3)
    assert saved["benchmarks"]["mmlu_pro"]["accuracy"] == pytest.approx(100 / 3)
    assert saved["benchmarks"]["mmlu_pro"]["paper"] == {
        "qwen2.5-7b": 45.0,
        "crossthink": 57.82,
        "abstract_gain": 12.8,
    }
    text = render_markdown(results)
    header = next(line for line in text.splitlines() if line.startswith("| benchmark"))
    assert [c.strip() for c in header.split("|")[2:8]] == [
        "n",
        "**boxed acc. (paper-comparable)**",
        "paper Qwen2.5-7B",
        "paper CrossThink B_gpr↑",
        "strict acc.",
        "format ok",
    ]
    table_row = next(line for line in text.splitlines() if line.startswith("| mmlu_pro"))
    assert [c.strip() for c in table_row.split("|")[2:8]] == [
        "3",
        "**66.7**",
        "45.00",
        "57.82",
        "33.3",
        "33.3",
    ]
    assert "empty responses" not in text
    assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_runs_combine_into_mean_and_spread():
    first = summarize({"crossthink_math_500|0": [sample(1, 100), sample(1, 300)]})
    second = summarize({"crossthink_math_500|0": [sample(1, 200), sample(0)]})
    combined = combine_runs([first, second])["math_500"]
    assert combined["boxed_accuracy"] == pytest.approx(75.0)
    assert combined["boxed_accuracy_std"] == pytest.approx(math.sqrt(2 * 25.0**2))  # sample std of 100, 50
    assert combined["per_run"]["boxed_accuracy"] == [100.0, 50.0]
    assert combined["correct_response_tokens"] == pytest.approx(200.0)  # mean of the runs' 200 and 200
    assert combine_runs([first])["math_500"]["boxed_accuracy_std"] is None
    text = render_markdown(
        build_results(combine_runs([first, second]), {**INFO, "runs": 2}, load_paper_results())
    )
    row = next(line for line in text.splitlines() if line.startswith("| math_500"))
    assert "**75.0 ± 35.4**" in row and "runs: 2" in text


def test_run_runs_n_times_each_in_its_own_dir_and_cache(tmp_path, monkeypatch):
    """--runs 3: three lighteval runs, three run dirs and caches, one results file with their mean."""
    from crossthink_eval import results as results_module

    seen: list[run.RunPlan] = []
    scores = iter([[sample(1), sample(1)], [sample(1), sample(0)], [sample(0), sample(0)]])

    def fake_execute(plan):
        seen.append(plan)
        (plan.run_dir / "lighteval.log").write_text("")
        return plan.lighteval_output

    monkeypatch.setattr(run, "execute", fake_execute)
    monkeypatch.setattr(results_module, "read_details", lambda out: {"crossthink_math_500|0": next(scores)})
    assert run.run_eval(args(tmp_path, tasks="math_500", runs=3)) == 0
    assert len({p.run_dir for p in seen}) == len({p.cache_dir for p in seen}) == 3
    assert all(str(p.cache_dir) in p.command[2] for p in seen)
    saved = json.loads((tmp_path / "out" / "results.json").read_text())
    assert saved["run"]["runs"] == 3 and len(saved["run"]["run_dirs"]) == 3
    assert saved["benchmarks"]["math_500"]["boxed_accuracy"] == pytest.approx(50.0)
    assert saved["benchmarks"]["math_500"]["per_run"]["boxed_accuracy"] == [100.0, 50.0, 0.0]


def test_the_default_is_the_papers_three_runs():
    assert run.RunSettings(model="m").runs == run.PAPER_RUNS == 3


def test_paper_results_per_benchmark_values_reproduce_the_stated_averages():
    """Table 4: the seven per-benchmark values of each column average to the column's stated average."""
    paper = load_paper_results()
    assert set(paper["benchmarks"]) == set(BENCHMARKS)
    for column in ("qwen2.5-7b", "crossthink"):
        mean = sum(entry[column] for entry in paper["benchmarks"].values()) / len(paper["benchmarks"])
        assert round(mean, 2) == paper["table4"]["average"][column], column
        assert paper["cross_checks"][column]["stated_average"] == paper["table4"]["average"][column]
    assert paper["table4"]["average"] == pytest.approx(
        {**paper["table4"]["average"], "qwen2.5-7b": 44.75, "crossthink": 58.12}
    )


def test_abstract_gains_are_the_best_over_blends_not_b_gpr_alone():
    """GPQA-Diamond 31.82 -> 38.58 (+6.76) stays: the abstract's +11.3 is another blend's gain."""
    paper = load_paper_results()
    gains = paper["abstract_gains"]["values"]
    assert gains == {
        "math_500": 30.1,
        "amc23": 27.5,
        "mmlu_pro": 12.8,
        "gpqa_diamond": 11.3,
        "agieval": 15.1,
        "supergpqa": 3.8,
    }
    gpqa = paper["benchmarks"]["gpqa_diamond"]
    assert (gpqa["qwen2.5-7b"], gpqa["crossthink"]) == (31.82, 38.58)
    for name, gain in gains.items():
        entry = paper["benchmarks"][name]
        assert entry["abstract_gain"] == gain
        assert entry["crossthink"] - entry["qwen2.5-7b"] <= gain + 0.05, (
            name
        )  # best over blends bounds B_gpr↑
    for name in ("mmlu_pro", "agieval", "supergpqa"):  # where B_gpr↑ is the best blend
        entry = paper["benchmarks"][name]
        assert entry["crossthink"] - entry["qwen2.5-7b"] == pytest.approx(gains[name], abs=0.05)
    assert "best over ALL" in paper["abstract_gains"]["note"]
