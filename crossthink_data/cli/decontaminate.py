"""``decontaminate``: drop rows that overlap the evaluation benchmarks (datatrove n-gram index)."""

from __future__ import annotations

from typing import Annotated

import typer

from crossthink_data.cli.common import ConfigFile, Tasks, Workers, print_panel, split_list


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
    normalise_numbers: Annotated[
        bool, typer.Option(help="Map every number to 0 before matching (datatrove's default; off for math).")
    ] = False,
    custom_tasks: Annotated[
        str | None,
        typer.Option(
            help="lighteval custom tasks module or file for task names (e.g. crossthink_eval.crossthink_tasks)."
        ),
    ] = None,
    tasks: Tasks = 1,
    workers: Workers = 1,
    config: ConfigFile = None,
) -> None:
    """Drop rows that overlap the evaluation benchmarks (datatrove n-gram decontamination).

    Example: crossthink-data decontaminate -i pool/ --benchmarks ../shared/data/benchmarks -o decont/
    """
    from crossthink_data import storage
    from crossthink_data.curation.decont import DecontSettings
    from crossthink_data.curation.decont import decontaminate as run

    settings = DecontSettings(n_grams=n_grams, min_overlap=min_overlap, keep_numbers=not normalise_numbers)
    report = run(
        input,
        output,
        benchmarks,
        settings,
        only=split_list(only) or None,
        tasks=tasks,
        workers=workers,
        custom_tasks=custom_tasks,
    )
    summary = {b: v["hits"] for b, v in report.per_benchmark.items()}
    print_panel(
        "decontamination",
        f"rows in {report.rows_in:,}, kept {report.kept:,}, removed {report.removed:,}\n"
        f"hits per benchmark: {summary}\nreport: {storage.join(output, 'report.json')}",
    )


def register(app: typer.Typer) -> None:
    app.command("decontaminate")(decontaminate)
