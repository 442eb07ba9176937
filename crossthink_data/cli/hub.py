"""``export`` and ``push``: the one dataset repo from a work folder, and its upload."""

from __future__ import annotations

from typing import Annotated

import typer

from crossthink_data.cli.common import Overwrite, fail, location, own_output


def export(
    work: Annotated[
        str,
        typer.Argument(
            help="A work folder the stage commands (sources, decontaminate, dedup, difficulty, blend) or "
            "`build` wrote; folder or storage URL."
        ),
    ],
    output: Annotated[
        str, typer.Option("--output", "-o", help="The dataset repo to write: local folder or storage URL.")
    ],
    recipe: Annotated[
        str | None,
        typer.Option(
            help="The recipe (shipped name or YAML) for the card: name, description, sources' targets, "
            "blends. Default: what the work folder holds (its sources and finished blends)."
        ),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="KEY=VALUE: a recipe key (name, pretty_name, description, default_blend, ...)."
        ),
    ] = None,
    overwrite: Overwrite = False,
) -> None:
    """Write the one dataset repo (every config, one card) from a work folder, as `build` ends.

    Example: crossthink-data export work/ -o repo/   (after `sources ... -o work/`, `blend crossthink -o work/`)
    """
    import os

    from rich.console import Console

    from crossthink_data import storage
    from crossthink_data.config import ConfigError
    from crossthink_data.curation.build import BuildError, export_work
    from crossthink_data.hub import ExportError
    from crossthink_data.hub.repo import REPO_ENTRIES

    work, output = location(work), location(output)
    try:
        config = _export_config(work, output, recipe, list(set_ or []))
        own_output(output, "export", overwrite, writes=REPO_ENTRIES, mark_new=False)
        summary = export_work(config, work, Console(), mined=bool(config.mine) or not recipe)
    except (BuildError, ConfigError, ExportError, FileNotFoundError, ValueError) as err:
        fail(str(err))
    typer.echo(f"wrote the dataset repo {output} ({len(summary['blends'])} blend(s))")
    if storage.is_local(output):  # `datasets` loads a local folder by its path, not a file:// URL
        folder = os.path.abspath(storage.local_path(output))
        typer.echo(f"load it with: load_dataset({folder!r})")


def _export_config(work: str, output: str, recipe: str | None, sets: list[str]):
    """The recipe ``export`` writes the repo by: the one given (as ``build`` reads it), else what
    the work folder holds, through the same strict loader; ``--set`` keys apply to either."""
    from crossthink_data.curation.build import BuildConfig, apply_overrides, recipe_from_work
    from crossthink_data.recipes import recipe_location

    values = {"output": output, "work_dir": work}
    if not recipe:
        return BuildConfig.from_dict(apply_overrides(recipe_from_work(work), sets), values=values)
    where, name = recipe_location(location(recipe))
    config = BuildConfig.load(where, sets, values=values)
    config.recipe_name = name
    return config


def push(
    folder: Annotated[str, typer.Argument(help="An exported local folder (README.md card + data/).")],
    repo_id: Annotated[str, typer.Argument(help="Dataset repo on the Hub, e.g. my-org/crossthink-arc.")],
    private: Annotated[bool, typer.Option(help="Create the repo private (a new repo only).")] = False,
    revision: Annotated[str | None, typer.Option(help="Branch to commit to (created if missing).")] = None,
    commit_message: Annotated[str | None, typer.Option(help="Commit title.")] = None,
    create_pr: Annotated[bool, typer.Option(help="Open a pull request instead of committing.")] = False,
    large: Annotated[
        bool | None,
        typer.Option(
            "--large/--one-commit",
            help="Force upload_large_folder (resumable, several commits) or one commit "
            "(default: large above 200 files or 1 GB).",
        ),
    ] = None,
) -> None:
    """Upload an exported dataset repo (a build's output) to the Hub: one commit for a normal build,
    upload_large_folder (resumable: rerun the same command after an interruption) for a large one.
    The token is read from HF_TOKEN (or a saved `hf auth login`) and never printed.

    Example: HF_TOKEN=hf_... crossthink-data push demo_output/crossthink my-org/crossthink --private
    """
    from crossthink_data.hub import PushError, push_folder

    try:
        url = push_folder(
            folder,
            repo_id,
            private=private,
            revision=revision,
            commit_message=commit_message,
            create_pr=create_pr,
            large=large,
        )
    except PushError as err:
        fail(str(err))
    typer.echo(f"pushed {folder} -> {url}")


def register(app: typer.Typer) -> None:
    app.command("export")(export)
    app.command("push")(push)
