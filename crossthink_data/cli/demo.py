"""``demo``: the ``demo`` recipe built offline into one Hub dataset repo (what ``make demo`` runs)."""

from __future__ import annotations

from typing import Annotated

import typer

from crossthink_data.cli.common import fail_stage


def demo(
    output: Annotated[
        str, typer.Option("--output", "-o", help="Folder for the repo (OUTPUT/crossthink) and OUTPUT/_work.")
    ] = "demo_output",
    work_dir: Annotated[
        str | None, typer.Option(help="Intermediate stages (default OUTPUT/_work/crossthink).")
    ] = None,
    pages: Annotated[
        int | None,
        typer.Option(
            envvar="CROSSTHINK_DEMO_PAGES",
            help="Shipped Common Crawl pages to mine (default: all 16; with --real: 4).",
        ),
    ] = None,
    real: Annotated[
        bool,
        typer.Option(
            "--real",
            help="Instead: SmolLM2-135M-Instruct (the real-model extra) on a local llama-cpp server through "
            "generation, difficulty and evaluation (`make demo-real`; output default demo_real_output).",
        ),
    ] = False,
    difficulty_rows: Annotated[int, typer.Option(help="--real: demo rows sampled for difficulty.")] = 20,
    eval_rows: Annotated[int, typer.Option(help="--real: rows per benchmark evaluated.")] = 10,
    eval_data_dir: Annotated[
        str | None,
        typer.Option(
            help="--real: local benchmarks folder (default: the repository's samples, 6-8 rows each)."
        ),
    ] = None,
) -> None:
    """Build the CrossThink demo dataset offline from real rows and pages shipped in the package.

    Same as `crossthink-data build demo --output OUTPUT/crossthink`, then prints the configs and
    loads the default one. With CROSSTHINK_ENDPOINT and CROSSTHINK_MODEL set, mining also generates
    Syn-QA on that server (--pages / CROSSTHINK_DEMO_PAGES: how many pages).
    """
    from crossthink_data.executors import StageFailed

    try:
        if real:
            from crossthink_data.demo_real import RealDemoSettings, run_demo_real

            settings = RealDemoSettings(
                difficulty_rows=difficulty_rows, eval_rows=eval_rows, eval_data_dir=eval_data_dir
            )
            if pages is not None:
                settings.pages = pages
            run_demo_real("demo_real_output" if output == "demo_output" else output, settings)
        else:
            from crossthink_data.demo import run_demo

            run_demo(output, work_dir, pages)
    except StageFailed as err:  # generation against CROSSTHINK_ENDPOINT failed: one line, exit 1 or 3
        fail_stage(err)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
