"""``build``: the whole data recipe in one resumable command, into one Hub dataset repo."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from crossthink_data.cli.common import Overwrite, check_executor, fail, location, own_output


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
    executor: Annotated[
        str | None, typer.Option(help="local, slurm or ray (overrides the recipe's executor).")
    ] = None,
    tasks: Annotated[
        int | None, typer.Option(help="datatrove tasks per stage (overrides the recipe).")
    ] = None,
    workers: Annotated[int | None, typer.Option(help="Tasks run at once (overrides the recipe).")] = None,
    overwrite: Overwrite = False,
) -> None:
    """The whole recipe: sources -> filter H -> templates -> decont -> dedup -> difficulty -> blends -> one repo.

    Rerunning the same command resumes: finished stages are skipped. The recipe, its --set keys and
    these flags are checked before any stage runs: a typo or a wrong value is one line.
    Example: crossthink-data build demo --output demo_output/crossthink
    """
    config = _checked_config(recipe, output, work_dir, from_dir, set_, executor, tasks, workers, overwrite)
    from crossthink_data import storage
    from crossthink_data.config import ConfigError
    from crossthink_data.curation.build import BuildError, default_work_dir, run_build
    from crossthink_data.executors import StageFailed, datatrove_logs_to

    work = config.work_dir or default_work_dir(config.output)
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
    if storage.is_local(config.output):  # `datasets` loads a local folder by its path, not a file:// URL
        folder = os.path.abspath(storage.local_path(config.output))
        typer.echo(f"load it with: load_dataset({folder!r}, 'blend-{config.default_blend}')")


def _checked_config(recipe, output, work_dir, from_dir, set_, executor, tasks, workers, overwrite=False):
    """The recipe with its overrides, checked whole (keys, values, executor, output and work folders
    writable and the tool's own) before any work; anything wrong ends the command with one line."""
    from crossthink_data.config import ConfigError
    from crossthink_data.curation.build import BuildConfig, default_work_dir
    from crossthink_data.curation.work import WORK_ENTRIES
    from crossthink_data.hub.repo import REPO_ENTRIES
    from crossthink_data.recipes import recipe_location

    flags = {"output": output, "work_dir": work_dir, "executor": executor, "tasks": tasks, "workers": workers}
    flags = {k: location(v) if k in ("output", "work_dir") else v for k, v in flags.items() if v is not None}
    try:
        where, name = recipe_location(location(recipe))
        config = BuildConfig.load(where, list(set_ or []), list(from_dir or []), flags)
        work = config.work_dir or default_work_dir(config.output)
    except (ConfigError, FileNotFoundError, ValueError) as err:
        fail(str(err))
    config.recipe_name = name
    check_executor(config.executor, command="build")
    own_output(config.output, "build", overwrite, writes=REPO_ENTRIES, mark_new=False)
    own_output(work, "build", overwrite, "work_dir", writes=WORK_ENTRIES)
    return config


def register(app: typer.Typer) -> None:
    app.command("build")(build)
