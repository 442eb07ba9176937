"""Run the CrossThink benchmarks through the lighteval CLI and write results.md / results.json / a chart.

    crossthink-eval run --model Qwen/Qwen2.5-7B --tasks math_500,agieval --output-dir eval_results
    python -m crossthink_eval.run --model ...        # the same command
    make eval MODEL=path/to/checkpoint TASKS=math_500,mmlu_pro MAX_SAMPLES=50

Backends: ``accelerate`` (transformers, default), ``vllm`` (needs an environment where lighteval's
vLLM import works, see docs/evaluation.md), ``endpoint`` (any OpenAI-compatible server such as ``vllm serve``,
through ``lighteval endpoint litellm``; ``--model`` is the served model name).

Every run gets its own directory under ``OUTPUT_DIR/runs/`` holding lighteval's output and its
prediction cache (and litellm's disk cache, which lives in the working directory): lighteval keys
cached predictions by model path, not weights, so a shared cache would score a retrained
checkpoint at the same path with the old model's answers.

A failure does not pass for a score: lighteval's endpoint backend answers a request that failed
every attempt with an empty response and exits 0, so the run counts those (``failed_requests``,
read from lighteval's log) and the empty responses per benchmark (from the details), writes both
into results.md/json, and exits non-zero with one line naming the server and its last error.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import re
import secrets
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args
from urllib.parse import urlparse

from crossthink_data.endpoint import API_KEY_ENV as PROJECT_API_KEY_ENV
from crossthink_data.endpoint import NO_KEY, GenerationSettings
from crossthink_eval.benchmarks import (
    DATA_DIR_ENV,
    VIEW_DIR_ENV,
    data_sources,
    local_data_dir,
    resolve_benchmark,
)
from crossthink_eval.lighteval_setup import ensure_offline_ready

# A module name: lighteval imports it, so it works from any directory once the project is installed.
CUSTOM_TASKS = "crossthink_eval.crossthink_tasks"
MAX_NEW_TOKENS_ENV = "CROSSTHINK_EVAL_MAX_NEW_TOKENS"
Backend = Literal["accelerate", "vllm", "endpoint"]
BACKENDS: tuple[str, ...] = get_args(Backend)
DEFAULT_TASKS = "math_500,amc23,mmlu,mmlu_pro,gpqa_diamond,agieval,supergpqa"
# The paper reports each benchmark as the mean of 3 greedy runs (Section 3, arXiv 2504.13941v3,
# as quoted in issue 16): `--runs` runs the whole evaluation N times, each in its own run dir.
PAPER_RUNS = 3
# Where lighteval's litellm backend takes the key of the "openai/" route from. The run *sets* it in
# lighteval's environment from the one key rule (crossthink_data.endpoint); it never reads it.
API_KEY_ENV = "OPENAI_API_KEY"
# litellm refuses to send a request without a key, even to a server that checks none.
LOOPBACK_API_KEY = NO_KEY
# lighteval 0.13's litellm backend sends the task's stop sequences as ``"stop": []`` (our tasks have
# none), which `transformers serve` answers with HTTP 500. Its generation parameters override that
# key, so the endpoint backend sends ChatML's end-of-turn marker instead: servers stop there anyway
# (it ends every turn of Qwen's and SmolLM's templates) and it never occurs in an answer's text.
ENDPOINT_STOP = "<|im_end|>"
# lighteval logs these per request (litellm_model.py); the run counts failed requests from its log.
FAILED_REQUEST_LINE = re.compile(r"API call failed after \d+ attempts, returning empty response")
REQUEST_ERROR_LINE = re.compile(r"Error in API call: (.*?)(?:, waiting [\d.]+ seconds before retry|$)")


class EvalConfigError(ValueError):
    """Bad command-line input (unknown benchmark, missing local data, bad sampling settings)."""


@dataclass
class RunSettings:
    """One evaluation run's settings: the options of ``crossthink-eval run`` (defaults here only)."""

    model: str
    tasks: str = DEFAULT_TASKS
    output_dir: str = "eval_results"
    max_samples: int | None = None
    backend: Backend = "accelerate"
    device: str | None = None
    batch_size: int = 8
    max_new_tokens: int = 4096
    temperature: float = 0.0
    k: int = 1
    data_dir: str | None = None
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    # The endpoint defaults are the data side's (one set, crossthink_data.endpoint.GenerationSettings).
    max_attempts: int = GenerationSettings.max_attempts
    request_timeout: float = GenerationSettings.request_timeout
    max_concurrent: int = GenerationSettings.max_concurrent
    tokenizer: str | None = None
    runs: int = PAPER_RUNS
    lighteval: str = str(Path(sys.executable).with_name("lighteval"))


@dataclass
class RunPlan:
    """Everything needed to launch one lighteval run and read it back."""

    command: list[str]
    env: dict[str, str]
    cwd: Path
    run_dir: Path
    lighteval_output: Path
    cache_dir: Path
    info: dict


def parse_task_list(tasks: str) -> list[str]:
    """ "math_500, agieval" -> benchmark short names, validated, duplicates dropped, order kept."""
    names = [t.strip() for t in tasks.split(",") if t.strip()]
    if not names:
        raise EvalConfigError("no tasks given; pass e.g. --tasks math_500,agieval")
    try:
        shorts = [resolve_benchmark(name).short_name for name in names]
    except ValueError as err:
        raise EvalConfigError(str(err)) from None
    return list(dict.fromkeys(shorts))


def task_specs(benchmarks: list[str], data_dir: Path | None, k: int = 1) -> list[str]:
    """lighteval task specs (``crossthink_agieval:lsat-ar@k=8|0`` ...), one per (sub)task."""
    specs = []
    for short in benchmarks:
        benchmark = resolve_benchmark(short)
        sources = data_sources(benchmark, data_dir)
        if not sources:
            raise EvalConfigError(
                f"{short}: no local data under {data_dir} (looked for {', '.join(benchmark.local_dirs)}); "
                f"unset {DATA_DIR_ENV} to read it from the Hub ({benchmark.hub_repo})"
            )
        for subset in sources:
            name = benchmark.task_name if subset is None else f"{benchmark.task_name}:{subset}"
            specs.append(f"{name}@k={k}|0" if k > 1 else f"{name}|0")
    return specs


def new_run_dir(output_dir: Path) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    run_dir = output_dir / "runs" / f"{stamp}-{secrets.token_hex(3)}"
    run_dir.mkdir(parents=True, exist_ok=False)
    return run_dir


def _model_name_for_lighteval(model: str, run_dir: Path) -> str:
    """A model name lighteval can join under the run's cache dir.

    lighteval caches under ``cache_dir / model_name``; an absolute local path replaces the
    cache_dir in that join (the cache then lands inside the model folder and outlives the run),
    so a local model is reached through a relative link inside the run directory instead.
    """
    path = Path(model).expanduser()
    if not path.exists():
        return model  # a Hub id: relative already
    link = run_dir / "model" / (path.resolve().name or "model")
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(path.resolve(), target_is_directory=True)
    return str(link.relative_to(run_dir))


def _generation_parameters(max_new_tokens: int | None, temperature: float, stop: str | None = None) -> str:
    """lighteval's ``generation_parameters`` model argument (``None``: leave the length to the tasks)."""
    length = f"max_new_tokens:{max_new_tokens}," if max_new_tokens is not None else ""
    stop_tokens = f',stop_tokens:["{stop}"]' if stop else ""
    return f"generation_parameters={{{length}temperature:{temperature}{stop_tokens}}}"


def is_loopback(url: str) -> bool:
    """True for ``http://localhost:8000/v1``, ``http://127.0.0.1:...``, ``http://[::1]:...``."""
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def endpoint_settings(args: RunSettings) -> GenerationSettings:
    """The run's endpoint as the data commands' :class:`GenerationSettings` (same checks, same defaults)."""
    try:
        return GenerationSettings(
            model=args.model,
            endpoint_url=args.base_url,
            api_key=args.api_key,
            max_attempts=args.max_attempts,
            max_concurrent=args.max_concurrent,
            request_timeout=args.request_timeout,
            temperature=args.temperature,
            max_tokens=args.max_new_tokens,
        )
    except ValueError as err:  # "max_attempts must be at least 1, got 0": name the flag instead
        field_name, _, rest = str(err).partition(" ")
        flag = {"max_tokens": "--max-new-tokens", "endpoint_url": "--base-url"}.get(field_name)
        raise EvalConfigError(f"{flag or '--' + field_name.replace('_', '-')} {rest}") from None


def endpoint_api_key(settings: GenerationSettings) -> str:
    """The key the endpoint backend sends: the one key rule (``--api-key``, else
    ``$CROSSTHINK_API_KEY``; see :mod:`crossthink_data.endpoint`), else on a loopback URL a
    placeholder, because litellm will not send a request without one."""
    key = settings.resolved_api_key()
    if key:
        return key
    if is_loopback(settings.endpoint_url or ""):
        return LOOPBACK_API_KEY
    raise EvalConfigError(
        f"{settings.endpoint_url} needs an API key: pass --api-key or set {PROJECT_API_KEY_ENV} "
        f"(${API_KEY_ENV} is not read: it would send an OpenAI key to this server)"
    )


def check_settings(args: RunSettings) -> str | None:
    """Raises :class:`EvalConfigError` for settings that cannot run, before anything is written;
    returns the endpoint backend's API key (``None`` for the local backends)."""
    if args.backend not in BACKENDS:
        raise EvalConfigError(f"unknown backend {args.backend!r}; expected one of {', '.join(BACKENDS)}")
    if not args.model:
        raise EvalConfigError("no model given; pass --model PATH_OR_HUB_ID (make eval MODEL=...)")
    if args.k < 1:
        raise EvalConfigError("--k must be at least 1")
    if args.k > 1 and args.temperature <= 0:
        raise EvalConfigError(f"avg@{args.k} samples {args.k} responses: set --temperature > 0 (e.g. 0.6)")
    if args.backend == "endpoint" and not args.base_url:
        raise EvalConfigError("--backend endpoint needs --base-url (e.g. http://localhost:8000/v1)")
    if args.runs < 1:
        raise EvalConfigError("--runs must be at least 1")
    return endpoint_api_key(endpoint_settings(args)) if args.backend == "endpoint" else None


def _benchmark_data(args: RunSettings, env: dict[str, str]) -> Path | None:
    """The local benchmarks folder (``--data-dir``, else the environment's), recorded in ``env``."""
    if args.data_dir:
        env[DATA_DIR_ENV] = str(Path(args.data_dir).expanduser().resolve())
    try:
        return local_data_dir(env.get(DATA_DIR_ENV, ""))
    except FileNotFoundError as err:
        raise EvalConfigError(str(err)) from None


def _model_environment(args: RunSettings, env: dict[str, str], run_dir: Path, api_key: str | None) -> str:
    """Sets the model's variables in ``env`` (tokenizer, endpoint key) and returns lighteval's model name."""
    from crossthink_eval.metrics import TOKENIZER_ENV  # imports lighteval: not at `--help` time

    env[MAX_NEW_TOKENS_ENV] = str(args.max_new_tokens)
    tokenizer = args.tokenizer or (args.model if args.backend != "endpoint" else None)
    if tokenizer:
        env[TOKENIZER_ENV] = str(Path(tokenizer).resolve()) if Path(tokenizer).exists() else tokenizer
    else:
        env.pop(TOKENIZER_ENV, None)
    if args.backend != "endpoint":
        return _model_name_for_lighteval(args.model, run_dir)
    # The key travels in the environment, never on the command line (run.json records that).
    env[API_KEY_ENV] = api_key or LOOPBACK_API_KEY
    # litellm fetches its model cost map from GitHub at import (3 tries, ~20 s offline).
    env.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    # litellm routes by the model's provider prefix; an OpenAI-compatible server is "openai/".
    return args.model if args.model.startswith("openai/") else f"openai/{args.model}"


def _backend_command(args: RunSettings, model_name: str, cache_dir: Path) -> list[str]:
    """``lighteval <backend> MODEL_ARGS``: the part of the command that says where the model runs."""
    if args.backend == "accelerate":
        device = args.device or _default_device()
        # lighteval 0.13's transformers backend truncates every prompt to max_new_tokens tokens when
        # max_new_tokens is a generation parameter (its context budget becomes that number); the
        # tasks' generation_size (CROSSTHINK_EVAL_MAX_NEW_TOKENS, set above) caps the length instead.
        gen = _generation_parameters(None, args.temperature)
        model_args = f"model_name={model_name},device={device},batch_size={args.batch_size},cache_dir={cache_dir},{gen}"
        return [args.lighteval, "accelerate", model_args]
    if args.backend == "vllm":
        gen = _generation_parameters(args.max_new_tokens, args.temperature)
        return [args.lighteval, "vllm", f"model_name={model_name},cache_dir={cache_dir},{gen}"]
    gen = _generation_parameters(args.max_new_tokens, args.temperature, ENDPOINT_STOP)
    model_args = (
        f"model_name={model_name},base_url={args.base_url},provider=openai,cache_dir={cache_dir},"
        f"api_max_retry={args.max_attempts},concurrent_requests={args.max_concurrent},"
        f"timeout={args.request_timeout},{gen}"
    )
    return [args.lighteval, "endpoint", "litellm", model_args]


def plan_run(args: RunSettings) -> RunPlan:
    """Validate the arguments and build the lighteval command, its environment and its run dir."""
    api_key = check_settings(args)
    benchmarks = parse_task_list(args.tasks)
    env = dict(os.environ)
    data_dir = _benchmark_data(args, env)
    run_dir = new_run_dir(Path(args.output_dir).expanduser().resolve())
    env[VIEW_DIR_ENV] = str(run_dir / "views")
    specs = task_specs(benchmarks, data_dir, args.k)
    lighteval_output = run_dir / "lighteval"
    cache_dir = run_dir / "cache"
    model_name = _model_environment(args, env, run_dir, api_key)
    command = _backend_command(args, model_name, cache_dir)
    command += [",".join(specs), "--custom-tasks", CUSTOM_TASKS, "--output-dir", str(lighteval_output)]
    command += ["--save-details"] + (["--max-samples", str(args.max_samples)] if args.max_samples else [])
    info = {
        "model": args.model,
        "backend": args.backend,
        "tasks": benchmarks,
        "task_specs": specs,
        "max_samples": args.max_samples,
        "max_new_tokens": args.max_new_tokens,
        "temperature": args.temperature,
        "k": args.k,
        "data": str(data_dir) if data_dir else "Hugging Face Hub",
        **({"base_url": args.base_url} if args.backend == "endpoint" else {}),
        "run_dir": str(run_dir),
        "command": shlex.join(command),
    }
    return RunPlan(command, env, run_dir, run_dir, lighteval_output, cache_dir, info)


def _default_device() -> str:
    try:
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    except ImportError:
        return "cpu"


class LightevalFailed(RuntimeError):
    """lighteval itself exited non-zero."""


def execute(plan: RunPlan) -> Path:
    """Run lighteval (output streamed to the terminal and to run_dir/lighteval.log)."""
    ensure_offline_ready()
    (plan.run_dir / "run.json").write_text(json.dumps(plan.info, indent=2) + "\n", encoding="utf-8")
    log_path = plan.run_dir / "lighteval.log"
    print(f"[eval] {plan.info['command']}", flush=True)
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            plan.command,
            cwd=plan.cwd,
            env=plan.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert process.stdout is not None
        for line in process.stdout:
            log.write(line)
            sys.stdout.write(line)
        code = process.wait()
    if code != 0:
        raise LightevalFailed(f"lighteval exited with code {code}; see {log_path}")
    return plan.lighteval_output


@dataclass(frozen=True)
class RequestFailures:
    """Requests lighteval gave up on (each became an empty response) and the last error it logged."""

    count: int
    last_error: str


def request_failures(log_text: str) -> RequestFailures:
    """Count lighteval's "API call failed after N attempts" lines in its log."""
    errors = [m.group(1).strip() for m in REQUEST_ERROR_LINE.finditer(log_text)]
    return RequestFailures(len(FAILED_REQUEST_LINE.findall(log_text)), errors[-1] if errors else "")


def failure_line(failures: RequestFailures, empty: int, total: int, plan: RunPlan) -> str | None:
    """The one line that ends a run whose responses came back empty from failed requests, or None.

    On the endpoint backend an empty response is a failed request (lighteval retries an empty
    answer once, then logs the failure); a run where every response is empty failed even if the
    log said nothing. Other backends generate locally: an empty response is the model's.
    """
    if plan.info["backend"] != "endpoint" or not (failures.count or (total and empty == total)):
        return None
    cause = f"; last error: {failures.last_error[:300]}" if failures.last_error else ""
    return (
        f"{failures.count or empty} request(s) to {plan.info['base_url']} failed and came back as "
        f"{empty} empty response(s) of {total}, scored 0 (counts per benchmark in results.md){cause}; "
        f"see {plan.run_dir / 'lighteval.log'}"
    )


def run_eval(settings: RunSettings) -> int:
    """Plan, run lighteval ``settings.runs`` times (each run its own dir and cache), write the
    results files (mean and std over the runs); the exit code (errors printed as one line)."""
    try:
        plans = [plan_run(settings) for _ in range(settings.runs)]
    except EvalConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    # imports lighteval: after the settings are checked
    from crossthink_eval.results import combine_runs, read_details, summarize

    summaries, failed = [], 0
    for index, plan in enumerate(plans, 1):
        print(f"[eval] run {index} of {len(plans)}: {plan.run_dir}", flush=True)
        try:
            lighteval_output = execute(plan)
        except LightevalFailed as err:
            print(f"error: run {index} of {len(plans)}: {err}", file=sys.stderr)
            return 1
        failures = request_failures((plan.run_dir / "lighteval.log").read_text(encoding="utf-8"))
        failed += failures.count
        summary = summarize(read_details(lighteval_output))
        summaries.append(summary)
        empty = sum(row["empty_responses"] for row in summary.values())
        line = failure_line(failures, empty, sum(row["n"] for row in summary.values()), plan)
        if line:
            _write(combine_runs(summaries), plans[: len(summaries)], failed, settings)
            print(f"error: {line}", file=sys.stderr)
            return 1
    _write(combine_runs(summaries), plans, failed, settings)
    return 0


def _write(summary: dict, plans: list[RunPlan], failed: int, settings: RunSettings) -> None:
    """results.md/json/png in the output dir: the runs so far, with each run's dir."""
    from crossthink_eval.results import build_results, load_paper_results, write_results

    info = dict(plans[0].info)
    info |= {"runs": len(plans), "run_dirs": [str(p.run_dir) for p in plans], "failed_requests": failed}
    results = build_results(summary, info, load_paper_results())
    paths = write_results(results, Path(settings.output_dir).expanduser().resolve())
    print(f"[eval] wrote {paths['md']}, {paths['json']}, {paths['png']}")


if __name__ == "__main__":
    from crossthink_eval.cli import run_as_script

    run_as_script("run")
