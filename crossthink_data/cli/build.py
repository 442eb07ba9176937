"""``build``: the whole data recipe in one resumable command (sources -> ... -> blends -> Hub folders)."""

from __future__ import annotations

from typing import Annotated

import typer

from crossthink_data.cli.common import fail


def build(
    recipe: Annotated[
        str, typer.Argument(help="Build recipe YAML (format: crossthink_data/curation/build.py).")
    ],
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Override the recipe's output folder or URL.")
    ] = None,
    executor: Annotated[str | None, typer.Option(help="'local' or 'slurm' (overrides the recipe).")] = None,
) -> None:
    """The whole recipe: sources -> filter H -> templates -> decont -> dedup -> difficulty -> blends -> Hub.

    Rerunning the same command resumes: finished stages are skipped.
    Example: crossthink-data build my_recipe.yaml --output build_output
    """
    from crossthink_data.config import ConfigError
    from crossthink_data.curation.build import BuildConfig, run_build

    try:
        config = BuildConfig.load(recipe)
    except (ConfigError, ValueError) as err:
        fail(str(err))
    if output is not None:
        config.output = output
    if executor is not None:
        config.executor = executor
    run_build(config)


def register(app: typer.Typer) -> None:
    app.command("build")(build)
