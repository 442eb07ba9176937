"""``list-sources`` and ``sources``: open QA sets -> records -> filter H -> templates -> Hub folders."""

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
        str, typer.Option("--output", "-o", help="Folder or storage URL for the Hub subset folders.")
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
    work_dir: Annotated[
        str | None,
        typer.Option(
            help="Intermediate parquet, rejects and logs (default OUTPUT/_work); "
            "rerunning with the same folder resumes."
        ),
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Read at most this many upstream rows (trials).")] = None,
    configs: Annotated[str, typer.Option(help="Comma-separated configs to build.")] = "records,mcq,open",
    tasks: Tasks = 1,
    workers: Workers = 1,
    executor: ExecutorName = "local",
    overwrite: Overwrite = False,
    config: ConfigFile = None,
) -> None:
    """Build Hub subsets from open QA sources: records -> filter H -> T_MCQ / T_Open -> parquet + card.

    Example: crossthink-data sources mmlu_train numina_math --output out/
    """
    from rich.console import Console

    from crossthink_data import storage
    from crossthink_data.executors import datatrove_logs_to
    from crossthink_data.sources import get_source, input_location
    from crossthink_data.sources.subsets import build_source_subset, summary_table

    if from_dir is not None and len(names) != 1:
        raise typer.BadParameter("--from-dir reads one source's files: give exactly one source name")
    if limit is not None and limit < 1:
        fail(f"--limit: must be at least 1, got {limit}")
    check_executor(executor, ("local", "ray"), "sources")
    output = location(output)
    work = location(work_dir) if work_dir else storage.join(output, "_work")
    own_output(output, "sources", overwrite, writes=(*names, "_work"))
    own_output(work, "sources", overwrite, "--work-dir", writes=tuple(names))
    log = storage.join(storage.local_scratch(work, "logs"), "sources.log")
    console = Console()
    summaries = []
    for name in names:
        try:
            source_dir, note = input_location(name, from_dir, hub)
        except (KeyError, ValueError) as err:
            fail(str(err).strip("'\""))
        console.print(f"[bold]building {name}[/bold] -> {storage.join(output, name)}: {note}")
        try:
            with datatrove_logs_to(log):
                summaries += build_source_subset(
                    name, output, work, source_dir, limit, split_list(configs), tasks, workers, executor
                )
        except ConnectionError as err:  # datasets: the Hub is unreachable (offline, DNS, proxy)
            hub_id = get_source(name).hub_id
            fail(
                f"{name}: cannot reach the Hub dataset {hub_id} ({err}); pass --from-dir with a local "
                f"copy in its upstream layout (details in {log})"
            )
        except (FileNotFoundError, RuntimeError, KeyError, ValueError) as err:
            fail(f"{str(err).strip(chr(39) + chr(34))} (details in {log})")
    console.print(summary_table(summaries))
    console.print(f"datatrove's per-task logs: {log}")


def register(app: typer.Typer) -> None:
    app.command("list-sources")(list_sources)
    app.command("sources")(sources)
