"""``run``: the benchmarks through the lighteval CLI (``crossthink-eval run``, ``python -m crossthink_eval.run``)."""

from __future__ import annotations

from typing import Annotated

import typer

from crossthink_eval.run import API_KEY_ENV, PROJECT_API_KEY_ENV, Backend, RunSettings


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


def register(app: typer.Typer) -> None:
    app.command("run")(run)
