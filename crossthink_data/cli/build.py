"""``build``: the whole data recipe in one resumable command, into one Hub dataset repo."""

from __future__ import annotations

from typing import Annotated

import typer

from crossthink_data.cli.common import fail


def build(
    recipe: Annotated[
        str,
        typer.Argument(
            help="A shipped recipe by name (demo, paper) or a recipe YAML (path or storage URL); "
            "format: crossthink_data/curation/build.py."
        ),
    ],
    output: Annotated[
        str | None,
        typer.Option("--output", "-o", help="The dataset repo to write: local folder or storage URL."),
    ] = None,
    work_dir: Annotated[
        str | None,
        typer.Option(help="Intermediate stages (default: <parent of OUTPUT>/_work/<name of OUTPUT>)."),
    ] = None,
    from_dir: Annotated[
        list[str] | None,
        typer.Option(
            "--from-dir", help="SOURCE=DIR: read that source from local files in its upstream layout."
        ),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="KEY=VALUE: override a recipe key (dotted for sections, VALUE read as YAML)."
        ),
    ] = None,
    executor: Annotated[str | None, typer.Option(help="'local' or 'slurm' (overrides the recipe).")] = None,
    workers: Annotated[int | None, typer.Option(help="Tasks run at once (overrides the recipe).")] = None,
) -> None:
    """The whole recipe: sources -> filter H -> templates -> decont -> dedup -> difficulty -> blends -> one repo.

    Rerunning the same command resumes: finished stages are skipped.
    Example: crossthink-data build demo --output demo_output/crossthink
    """
    from crossthink_data import storage
    from crossthink_data.config import ConfigError
    from crossthink_data.curation.build import BuildConfig, BuildError, default_work_dir, run_build
    from crossthink_data.executors import StageFailed, datatrove_logs_to
    from crossthink_data.recipes import recipe_location

    try:
        location, name = recipe_location(recipe)
        config = BuildConfig.load(location, list(set_ or []), list(from_dir or []))
    except (ConfigError, FileNotFoundError, ValueError) as err:
        fail(str(err))
    config.recipe_name = name
    if output is not None:
        config.output = output
    if work_dir is not None:
        config.work_dir = work_dir
    if executor is not None:
        config.executor = executor
    if workers is not None:
        config.workers = workers
    try:
        work = config.work_dir or default_work_dir(config.output)
    except ConfigError as err:
        fail(str(err))
    log = storage.join(storage.local_scratch(work, "logs"), "build.log")
    typer.echo(f"building {config.output}; datatrove's per-task logs go to {log}")
    try:
        with datatrove_logs_to(log):
            run_build(config)
    except StageFailed as err:  # a model-calling stage (mine generate, difficulty) failed: its exit code
        fail(f"{err} (details in {log})", err.exit_code)
    except (BuildError, ConfigError, FileNotFoundError, ValueError) as err:
        fail(f"{err} (details in {log})")
    typer.echo(f"wrote the dataset repo {config.output}")
    if storage.is_local(config.output):
        typer.echo(f"load it with: load_dataset({config.output!r}, 'blend-{config.default_blend}')")


def register(app: typer.Typer) -> None:
    app.command("build")(build)
