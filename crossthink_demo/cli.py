"""``python -m crossthink_demo``: the real-model demo's command, registered as the other CLIs do."""

from __future__ import annotations

from typing import Annotated

import typer


def real(
    output: Annotated[str, typer.Option("--output", "-o", help="Folder for every stage's output.")] = (
        "demo_real_output"
    ),
    pages: Annotated[
        int, typer.Option(envvar="CROSSTHINK_DEMO_PAGES", help="Shipped Common Crawl pages to mine.")
    ] = 4,
    difficulty_rows: Annotated[int, typer.Option(help="Demo rows sampled for difficulty.")] = 20,
    eval_rows: Annotated[int, typer.Option(help="Rows per benchmark evaluated.")] = 10,
    eval_data_dir: Annotated[
        str | None,
        typer.Option(help="Local benchmarks folder (default: the rows shipped with this package, 6-8 each)."),
    ] = None,
) -> None:
    """SmolLM2-135M-Instruct (the real-model extra) on a local llama-cpp server through generation,
    difficulty and evaluation (`make demo-real`, about 10 minutes on 2 cores)."""
    from crossthink_data.cli.common import fail_stage
    from crossthink_data.executors import StageFailed
    from crossthink_demo.real import RealDemoSettings, run_demo_real

    settings = RealDemoSettings(
        pages=pages, difficulty_rows=difficulty_rows, eval_rows=eval_rows, eval_data_dir=eval_data_dir
    )
    try:
        run_demo_real(output, settings)
    except StageFailed as err:  # one line, the stage's exit code (1, or 3: rerun may succeed)
        fail_stage(err)


def register(app: typer.Typer) -> None:
    app.command("real")(real)


def main() -> None:
    """``python -m crossthink_demo``: the one command on its own, as ``python -m crossthink_eval.run``."""
    single = typer.Typer(add_completion=False)
    register(single)
    single(prog_name="python -m crossthink_demo")
