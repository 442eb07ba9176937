"""Run the CrossThink benchmarks through the lighteval CLI and write results.md / results.json / a chart.

    python -m crossthink_eval.run --model Qwen/Qwen2.5-7B --tasks math_500,agieval --output-dir eval_results
    make eval MODEL=path/to/checkpoint TASKS=math_500,mmlu_pro MAX_SAMPLES=50

Backends: ``accelerate`` (transformers, default), ``vllm`` (needs an environment where lighteval's
vLLM import works, see README), ``endpoint`` (any OpenAI-compatible server such as ``vllm serve``,
through ``lighteval endpoint litellm``; ``--model`` is the served model name).

Every run gets its own directory under ``OUTPUT_DIR/runs/`` holding lighteval's output and its
prediction cache (and litellm's disk cache, which lives in the working directory): lighteval keys
cached predictions by model path, not weights, so a shared cache would score a retrained
checkpoint at the same path with the old model's answers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import secrets
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from crossthink_eval.benchmarks import (
    DATA_DIR_ENV,
    VIEW_DIR_ENV,
    data_sources,
    local_data_dir,
    resolve_benchmark,
)
from crossthink_eval.lighteval_setup import ensure_offline_ready
from crossthink_eval.metrics import TOKENIZER_ENV

# A module name: lighteval imports it, so it works from any directory once the project is installed.
CUSTOM_TASKS = "crossthink_eval.crossthink_tasks"
MAX_NEW_TOKENS_ENV = "CROSSTHINK_EVAL_MAX_NEW_TOKENS"
BACKENDS = ("accelerate", "vllm", "endpoint")


class EvalConfigError(ValueError):
    """Bad command-line input (unknown benchmark, missing local data, bad sampling settings)."""


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


def _generation_parameters(max_new_tokens: int, temperature: float) -> str:
    return f"generation_parameters={{max_new_tokens:{max_new_tokens},temperature:{temperature}}}"


def plan_run(args: argparse.Namespace) -> RunPlan:
    """Validate the arguments and build the lighteval command, its environment and its run dir."""
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
    benchmarks = parse_task_list(args.tasks)

    env = dict(os.environ)
    if args.data_dir:
        env[DATA_DIR_ENV] = str(Path(args.data_dir).expanduser().resolve())
    try:
        data_dir = local_data_dir(env.get(DATA_DIR_ENV, ""))
    except FileNotFoundError as err:
        raise EvalConfigError(str(err)) from None

    output_dir = Path(args.output_dir).expanduser().resolve()
    run_dir = new_run_dir(output_dir)
    env[VIEW_DIR_ENV] = str(run_dir / "views")
    specs = task_specs(benchmarks, data_dir, args.k)
    lighteval_output = run_dir / "lighteval"
    cache_dir = run_dir / "cache"
    env[MAX_NEW_TOKENS_ENV] = str(args.max_new_tokens)
    if args.backend == "endpoint":
        # litellm routes by the model's provider prefix; an OpenAI-compatible server is "openai/".
        model_name = args.model if args.model.startswith("openai/") else f"openai/{args.model}"
    else:
        model_name = _model_name_for_lighteval(args.model, run_dir)
    tokenizer = args.tokenizer or (args.model if args.backend != "endpoint" else None)
    if tokenizer:
        env[TOKENIZER_ENV] = str(Path(tokenizer).resolve()) if Path(tokenizer).exists() else tokenizer
    else:
        env.pop(TOKENIZER_ENV, None)

    gen = _generation_parameters(args.max_new_tokens, args.temperature)
    if args.backend == "accelerate":
        device = args.device or _default_device()
        model_args = f"model_name={model_name},device={device},batch_size={args.batch_size},cache_dir={cache_dir},{gen}"
        command = [args.lighteval, "accelerate", model_args]
    elif args.backend == "vllm":
        model_args = f"model_name={model_name},cache_dir={cache_dir},{gen}"
        command = [args.lighteval, "vllm", model_args]
    else:
        model_args = (
            f"model_name={model_name},base_url={args.base_url},provider=openai,cache_dir={cache_dir},{gen}"
        )
        command = [args.lighteval, "endpoint", "litellm", model_args]
    command += [
        ",".join(specs),
        "--custom-tasks",
        CUSTOM_TASKS,
        "--output-dir",
        str(lighteval_output),
        "--save-details",
    ]
    if args.max_samples:
        command += ["--max-samples", str(args.max_samples)]
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
        raise RuntimeError(f"lighteval exited with code {code}; see {log_path}")
    return plan.lighteval_output


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m crossthink_eval.run", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--model", required=True, help="local checkpoint folder or Hub id (endpoint: served name)"
    )
    parser.add_argument("--tasks", default="math_500,amc23,mmlu,mmlu_pro,gpqa_diamond,agieval,supergpqa")
    parser.add_argument("--output-dir", default="eval_results")
    parser.add_argument(
        "--max-samples", type=int, default=None, help="questions per (sub)task, for smoke tests"
    )
    parser.add_argument("--backend", default="accelerate", choices=BACKENDS)
    parser.add_argument(
        "--device", default=None, help="accelerate backend: cpu or cuda (default: cuda if present)"
    )
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-new-tokens", type=int, default=4096)
    parser.add_argument("--temperature", type=float, default=0.0, help="0 = greedy (the paper's setting)")
    parser.add_argument(
        "--k", type=int, default=1, help="responses per question for avg@k (needs temperature>0)"
    )
    parser.add_argument("--data-dir", default=None, help=f"local benchmarks folder (sets {DATA_DIR_ENV})")
    parser.add_argument("--base-url", default=None, help="endpoint backend: OpenAI-compatible base URL")
    parser.add_argument("--tokenizer", default=None, help="tokenizer for token counts (default: the model)")
    parser.add_argument("--lighteval", default=str(Path(sys.executable).with_name("lighteval")))
    return parser


def main(argv: list[str] | None = None) -> int:
    from crossthink_eval.results import (
        build_results,
        load_paper_results,
        read_details,
        summarize,
        write_results,
    )

    args = build_parser().parse_args(argv)
    try:
        plan = plan_run(args)
    except EvalConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    lighteval_output = execute(plan)
    results = build_results(summarize(read_details(lighteval_output)), plan.info, load_paper_results())
    paths = write_results(results, Path(args.output_dir).expanduser().resolve())
    print(f"[eval] wrote {paths['md']}, {paths['json']}, {paths['png']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
