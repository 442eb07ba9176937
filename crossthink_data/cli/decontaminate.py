"""``decontaminate``: drop rows that overlap the evaluation benchmarks (datatrove n-gram index)."""

from __future__ import annotations

from typing import Annotated

import typer

from crossthink_data.cli.common import (
    ConfigFile,
    ExecutorName,
    MaxRejected,
    Overwrite,
    SlurmArrays,
    StageInput,
    Tasks,
    Workers,
    WorkOutput,
    check_executor,
    fail,
    print_panel,
    run_stage_command,
    settings_from,
    split_list,
)
from crossthink_data.config import DEFAULT_MAX_REJECTED


def decontaminate(
    benchmarks: Annotated[
        str,
        typer.Option(
            help="A benchmark folder laid out <benchmark>/<file> (jsonl, json, csv; e.g. ../shared/data/benchmarks) "
            "or comma-separated lighteval task names (these need the Hub)."
        ),
    ],
    output: Annotated[str, WorkOutput("decontaminate")],
    input: Annotated[str | None, StageInput] = None,
    only: Annotated[
        str | None, typer.Option(help="Comma-separated benchmark folders to use (default: all).")
    ] = None,
    n_grams: Annotated[int, typer.Option(help="n-gram size in words.")] = 12,
    min_overlap: Annotated[
        float, typer.Option(help="Share of a row's n-grams that must be in the index (0 = any single hit).")
    ] = 0.5,
    keep_numbers: Annotated[
        bool,
        typer.Option(
            "--keep-numbers/--normalise-numbers",
            help="Match numbers as written (the default, for math), or map every number to 0 before "
            "matching (datatrove's default).",
        ),
    ] = True,
    custom_tasks: Annotated[
        str | None,
        typer.Option(
            help="lighteval custom tasks module or file for task names (e.g. crossthink_eval.crossthink_tasks)."
        ),
    ] = None,
    max_rejected: MaxRejected = DEFAULT_MAX_REJECTED,
    tasks: Tasks = 1,
    workers: Workers = 1,
    executor: ExecutorName = "local",
    overwrite: Overwrite = False,
    slurm: SlurmArrays = None,
    config: ConfigFile = None,
) -> None:
    """Drop rows that overlap the evaluation benchmarks (datatrove n-gram decontamination).

    Example: crossthink-data decontaminate --benchmarks ../shared/data/benchmarks -o work/
    """
    from crossthink_data.config import ConfigError
    from crossthink_data.curation.build import DecontStage
    from crossthink_data.curation.decont import decontaminate as run

    settings = settings_from(DecontStage, locals(), "decontaminate", only=split_list(only) or None)
    try:
        settings.check_benchmarks("--benchmarks")
    except ConfigError as err:
        fail(str(err))
    check_executor(executor, "decontaminate", slurm or [])
    rows, folder, report = run_stage_command(
        "decontaminate", output, input, settings,
        lambda rows, folder: run(
            rows, folder, settings.benchmarks, settings, only=settings.only, tasks=tasks, workers=workers,
            custom_tasks=settings.custom_tasks, executor=executor,
        ), overwrite=overwrite,
    )  # fmt: skip
    summary = {b: v["hits"] for b, v in report["per_benchmark"].items()}
    print_panel(
        "decontamination",
        f"rows in {report['rows_in']:,} ({rows}), kept {report['kept']:,}, removed {report['removed']:,}\n"
        f"hits per benchmark: {summary}\nrejected on read: {report.get('rejected') or 'none'}\n"
        f"report: {folder}/report.json",
    )


def register(app: typer.Typer) -> None:
    app.command("decontaminate")(decontaminate)
