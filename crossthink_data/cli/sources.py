"""``list-sources`` and ``sources``: open QA sets -> records -> filter H -> templates, the build's sources stage."""

from __future__ import annotations

from typing import Annotated

import typer

from crossthink_data.cli.common import (
    ConfigFile,
    ExecutorName,
    Overwrite,
    SlurmArrays,
    Tasks,
    Workers,
    check_executor,
    fail,
    own_work,
    split_list,
)


def list_sources() -> None:
    """List the open QA sources with their Hub ids and licenses."""
    from rich.console import Console
    from rich.table import Table

    from crossthink_data.sources import SOURCES

    table = Table(title="Open QA sources")
    for column in ("name", "hub id", "domain", "license", "commercial use"):
        table.add_column(column)
    for name, adapter in SOURCES.items():
        table.add_row(
            name,
            adapter.hub_id or "(local files)",
            adapter.domain,
            adapter.license,
            "yes" if adapter.commercial_use else "NO",
        )
    Console().print(table)


def sources(
    names: Annotated[list[str], typer.Argument(help="Source names (see `crossthink-data list-sources`).")],
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            help="The work folder (or storage URL): writes OUTPUT/sources/<source>/ and OUTPUT/sources/report.json, "
            "as `build` does; rerunning with the same folder resumes.",
        ),
    ],
    from_dir: Annotated[
        str | None,
        typer.Option(
            help="Read the source from files in its upstream layout (folder or storage URL) instead of "
            "the Hub (one source only). Demo stand-ins (arc_challenge, gsm8k, agieval_math) read their "
            "shipped rows by default."
        ),
    ] = None,
    hub: Annotated[
        bool, typer.Option("--hub", help="Read a demo stand-in's full upstream set from the Hub.")
    ] = False,
    limit: Annotated[int | None, typer.Option(help="Read at most this many upstream rows (trials).")] = None,
    configs: Annotated[str, typer.Option(help="Comma-separated configs to build.")] = "records,mcq,open",
    tasks: Tasks = 1,
    workers: Workers = 1,
    executor: ExecutorName = "local",
    overwrite: Overwrite = False,
    slurm: SlurmArrays = None,
    config: ConfigFile = None,
) -> None:
    """Run the build's sources stage: records -> filter H -> T_MCQ / T_Open parquet, with a report.

    Example: crossthink-data sources mmlu_train numina_math --output work/
    (then decontaminate, dedup, blend with -o work/, and `crossthink-data export work/ -o repo/`)
    """
    from rich.console import Console

    from crossthink_data import storage
    from crossthink_data.sources import summary_table

    if from_dir is not None and len(names) != 1:
        raise typer.BadParameter("--from-dir reads one source's files: give exactly one source name")
    if limit is not None and limit < 1:
        fail(f"--limit: must be at least 1, got {limit}")
    check_executor(executor, "sources", slurm or [])
    work = own_work(output, "sources", overwrite)
    stage = storage.join(work, "sources")
    log = storage.join(storage.local_scratch(work, "logs"), "sources.log")
    console = Console()
    summaries = []
    for name in names:
        summaries += _run_source(
            name, stage, from_dir, hub, limit, split_list(configs), log, console, tasks, workers, executor
        )
    console.print(summary_table(summaries))
    console.print(f"report: {storage.join(stage, 'report.json')}; datatrove's per-task logs: {log}")


def _run_source(name, stage, from_dir, hub, limit, configs, log, console, tasks, workers, executor) -> list:
    """One source through the sources stage; what a user must fix (no Hub, no rows) is one line."""
    from crossthink_data import storage
    from crossthink_data.executors import datatrove_logs_to
    from crossthink_data.sources import get_source, input_location, run_source_stage

    try:
        source_dir, note = input_location(name, from_dir, hub)
    except (KeyError, ValueError) as err:
        fail(str(err).strip("'\""))
    console.print(f"[bold]building {name}[/bold] -> {storage.join(stage, name)}: {note}")
    try:
        with datatrove_logs_to(log):
            return run_source_stage(
                name, stage, source_dir, limit, configs, tasks, workers, executor, console
            )
    except ConnectionError as err:  # datasets: the Hub is unreachable (offline, DNS, proxy)
        fail(
            f"{name}: cannot reach the Hub dataset {get_source(name).hub_id} ({err}); pass --from-dir with a "
            f"local copy in its upstream layout (details in {log})"
        )
    except (FileNotFoundError, RuntimeError, KeyError, ValueError) as err:
        fail(f"{str(err).strip(chr(39) + chr(34))} (details in {log})")


def register(app: typer.Typer) -> None:
    app.command("list-sources")(list_sources)
    app.command("sources")(sources)
