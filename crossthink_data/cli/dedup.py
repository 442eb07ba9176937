"""``dedup``: exact and MinHash near duplicates across sources; the most trusted source's copy stays."""

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
    print_panel,
    run_stage_command,
    settings_from,
    split_list,
)
from crossthink_data.config import DEFAULT_MAX_REJECTED


def dedup(
    output: Annotated[str, WorkOutput("dedup")],
    input: Annotated[str | None, StageInput] = None,
    trust_order: Annotated[
        str | None,
        typer.Option(help="Comma-separated sources, most trusted first (default: the documented order)."),
    ] = None,
    near: Annotated[bool, typer.Option(help="Also remove MinHash near-duplicates.")] = True,
    max_rejected: MaxRejected = DEFAULT_MAX_REJECTED,
    tasks: Tasks = 1,
    workers: Workers = 1,
    executor: ExecutorName = "local",
    overwrite: Overwrite = False,
    slurm: SlurmArrays = None,
    config: ConfigFile = None,
) -> None:
    """Remove exact and near duplicates across sources, keeping the most trusted source's copy.

    Example: crossthink-data dedup -o work/
    """
    from crossthink_data.curation.dedup import DedupSettings
    from crossthink_data.curation.dedup import dedup as run

    order = split_list(trust_order) or None  # None: the documented order
    settings = settings_from(DedupSettings, locals(), "dedup", trust_order=order)
    check_executor(executor, "dedup", slurm or [])
    rows, folder, report = run_stage_command(
        "dedup", output, input, settings,
        lambda rows, folder: run(rows, folder, settings, tasks=tasks, workers=workers, executor=executor),
        overwrite=overwrite,
    )  # fmt: skip
    print_panel(
        "deduplication",
        f"rows in {report['rows_in']:,} ({rows}), kept {report['kept']:,}\n"
        f"exact duplicates removed: {report['exact_removed']}\n"
        f"near duplicates removed: {report['near_removed']}\nrejected on read: {report.get('rejected') or 'none'}\n"
        f"report: {folder}/report.json",
    )


def register(app: typer.Typer) -> None:
    app.command("dedup")(dedup)
