"""``decontaminate``: drop rows that overlap the evaluation benchmarks (datatrove n-gram index)."""

from __future__ import annotations

from typing import Annotated

import typer

from crossthink_data.cli.common import (
    ConfigFile,
    ExecutorName,
    Overwrite,
    Tasks,
    Workers,
    check_executor,
    fail,
    location,
    own_output,
    print_panel,
    settings_from,
    split_list,
)


def decontaminate(
    input: Annotated[
        str,
        typer.Option(
            "--input", "-i", help="Folder or storage URL of (templated) record rows, parquet or jsonl."
        ),
    ],
    benchmarks: Annotated[
        str,
        typer.Option(
            help="A benchmark folder laid out <benchmark>/<file> (jsonl, json, csv; e.g. ../shared/data/benchmarks) "
            "or comma-separated lighteval task names (these need the Hub)."
        ),
    ],
    output: Annotated[
        str,
        typer.Option(
            "--output", "-o", help="Folder or storage URL: kept rows in data/, removed/, report.json."
        ),
    ],
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
    tasks: Tasks = 1,
    workers: Workers = 1,
    executor: ExecutorName = "local",
    overwrite: Overwrite = False,
    config: ConfigFile = None,
) -> None:
    """Drop rows that overlap the evaluation benchmarks (datatrove n-gram decontamination).

    Example: crossthink-data decontaminate -i pool/ --benchmarks ../shared/data/benchmarks -o decont/
    """
    from crossthink_data import storage
    from crossthink_data.config import ConfigError
    from crossthink_data.curation.build import DecontStage
    from crossthink_data.curation.decont import DECONT_WRITES
    from crossthink_data.curation.decont import decontaminate as run

    input, output = location(input), location(output)
    settings = settings_from(DecontStage, locals(), "decontaminate", only=split_list(only) or None)
    try:
        settings.check_benchmarks("--benchmarks")
    except ConfigError as err:
        fail(str(err))
    check_executor(executor, ("local", "ray"), "decontaminate")
    own_output(output, "decontaminate", overwrite, writes=DECONT_WRITES)
    report = run(
        input,
        output,
        settings.benchmarks,
        settings,
        only=settings.only,
        tasks=tasks,
        workers=workers,
        custom_tasks=settings.custom_tasks,
        executor=executor,
    )
    summary = {b: v["hits"] for b, v in report.per_benchmark.items()}
    print_panel(
        "decontamination",
        f"rows in {report.rows_in:,}, kept {report.kept:,}, removed {report.removed:,}\n"
        f"hits per benchmark: {summary}\nreport: {storage.join(output, 'report.json')}",
    )


def register(app: typer.Typer) -> None:
    app.command("decontaminate")(decontaminate)
