"""`crossthink-eval`: the evaluation commands on one typer app, as `crossthink-data` for the data side.

    crossthink-eval run --model Qwen/Qwen2.5-7B --tasks math_500,agieval
    crossthink-eval crosscheck eval_results
    crossthink-eval compare eval_math_only eval_crossthink

``python -m crossthink_eval.run`` and ``python -m crossthink_eval.crosscheck`` (``make eval``) run
the same commands (:func:`run_as_script`). Commands import lighteval lazily so ``--help`` is instant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from crossthink_eval.run import API_KEY_ENV, PROJECT_API_KEY_ENV, Backend, RunSettings

app = typer.Typer(
    name="crossthink-eval",
    help="Evaluate CrossThink models on the paper's benchmarks with lighteval.",
    no_args_is_help=True,
    add_completion=False,
)


def run(
    model: Annotated[
        str, typer.Option(help="Local checkpoint folder or Hub id (endpoint: the served name).")
    ],
    tasks: Annotated[str, typer.Option(help="Benchmarks, comma-separated.")] = RunSettings.tasks,
    output_dir: Annotated[str, typer.Option(help="results.md/json/png here, each run under runs/<id>.")] = (
        RunSettings.output_dir
    ),
    max_samples: Annotated[int | None, typer.Option(help="Questions per (sub)task, for smoke tests.")] = None,
    backend: Annotated[Backend, typer.Option(help="Where the model runs.")] = RunSettings.backend,
    device: Annotated[
        str | None, typer.Option(help="accelerate backend: cpu or cuda (default: cuda if present).")
    ] = None,
    batch_size: Annotated[int, typer.Option()] = RunSettings.batch_size,
    max_new_tokens: Annotated[int, typer.Option()] = RunSettings.max_new_tokens,
    temperature: Annotated[float, typer.Option(help="0 = greedy (the paper's setting).")] = (
        RunSettings.temperature
    ),
    k: Annotated[int, typer.Option(help="Responses per question for avg@k (needs temperature>0).")] = (
        RunSettings.k
    ),
    data_dir: Annotated[
        str | None, typer.Option(help="Local benchmarks folder (sets CROSSTHINK_EVAL_DATA_DIR).")
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            "--endpoint-url",  # the data commands' name for it
            help="endpoint backend: OpenAI-compatible base URL (http://host:8000/v1).",
        ),
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option(
            help=f"endpoint backend: API key (default: ${PROJECT_API_KEY_ENV}, as the data commands; "
            f"${API_KEY_ENV} is not read; on a loopback URL, a placeholder).",
            show_default=False,
        ),
    ] = None,
    max_attempts: Annotated[
        int, typer.Option(help="endpoint backend: tries per request before it counts as failed.")
    ] = RunSettings.max_attempts,
    request_timeout: Annotated[float, typer.Option(help="endpoint backend: seconds per request.")] = (
        RunSettings.request_timeout
    ),
    max_concurrent: Annotated[int, typer.Option(help="endpoint backend: requests in flight.")] = (
        RunSettings.max_concurrent
    ),
    tokenizer: Annotated[
        str | None, typer.Option(help="Tokenizer for token counts (default: the model).")
    ] = None,
    runs: Annotated[
        int,
        typer.Option(help="Greedy runs per benchmark; results give their mean and std (the paper: 3)."),
    ] = RunSettings.runs,
    lighteval: Annotated[str, typer.Option(help="The lighteval executable.")] = RunSettings.lighteval,
) -> None:
    """Run the benchmarks through the lighteval CLI; write results.md, results.json, results.png.

    Exits non-zero when responses came back empty from failed requests (endpoint backend).
    """
    settings = RunSettings(**locals())  # first statement: locals() are exactly the options
    from crossthink_eval.run import run_eval

    code = run_eval(settings)
    if code:
        raise typer.Exit(code)


def crosscheck(
    path: Annotated[Path, typer.Argument(help="An eval output dir (its latest run) or one run dir.")],
) -> None:
    """Score one run's generations with lighteval's built-in metrics too and list disagreements."""
    from crossthink_eval.crosscheck import crosscheck_run

    try:
        crosscheck_run(path)
    except FileNotFoundError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None


def compare(
    run_a: Annotated[Path, typer.Argument(help="Eval output dir (results.json) of the reference, A.")],
    run_b: Annotated[Path, typer.Argument(help="Eval output dir (results.json) compared against A, B.")],
    output: Annotated[Path | None, typer.Option(help="Also write the comparison as JSON here.")] = None,
) -> None:
    """Per-benchmark deltas (B - A) of the paper-comparable accuracy, and tokens of correct answers
    per task group, the paper's token-efficiency figure."""
    from crossthink_eval.compare import CompareError, compare_runs

    try:
        compare_runs(run_a, run_b, output)
    except CompareError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None


COMMANDS = {"run": run, "crosscheck": crosscheck, "compare": compare}
for _name, _function in COMMANDS.items():
    app.command(_name)(_function)


def run_as_script(name: str) -> None:
    """``python -m crossthink_eval.<name>``: the command ``name`` on its own (the pre-typer entry)."""
    single = typer.Typer(add_completion=False)
    single.command()(COMMANDS[name])
    single(prog_name=f"python -m crossthink_eval.{name}")


def main() -> None:
    """The console script ``crossthink-eval``."""
    app(prog_name="crossthink-eval")


__all__ = ["app", "main", "run_as_script"]
