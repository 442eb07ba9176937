"""``export`` and ``push``: Hub dataset-repo folders (parquet shards, card, charts) and their upload."""

from __future__ import annotations

from typing import Annotated

import typer

from crossthink_data.cli.common import ConfigFile, Overwrite, fail, location, own_output


def export(
    output: Annotated[
        str, typer.Argument(help="Folder or storage URL to write in the Hub dataset-repo layout.")
    ],
    config_input: Annotated[
        list[str],
        typer.Option(
            "--data",
            help="NAME=PATH: a config and its parquet file or folder, path or storage URL (repeat for each config).",
        ),
    ],
    name: Annotated[str, typer.Option(help="Subset name, e.g. arc_challenge or blend-crossthink.")],
    license: Annotated[list[str], typer.Option(help="Hub license id of a source (repeat for each).")],
    pretty_name: Annotated[str | None, typer.Option(help="Card title (default: the name).")] = None,
    description: Annotated[str, typer.Option(help="Markdown paragraph for the card.")] = "",
    source_dataset: Annotated[list[str] | None, typer.Option(help="Upstream Hub id (repeatable).")] = None,
    citation_file: Annotated[
        list[str] | None, typer.Option(help="A .bib file of a source to cite (repeatable).")
    ] = None,
    non_commercial_source: Annotated[
        list[str] | None, typer.Option(help="Source with a non-commercial license (repeatable).")
    ] = None,
    rows_per_shard: Annotated[int, typer.Option(help="Rows per parquet shard.")] = 100_000,
    overwrite: Overwrite = False,
    config: ConfigFile = None,
) -> None:
    """Write (or reshard) parquet rows as a Hub-ready folder: data/<config>/ shards, README.md card, charts.

    Example: crossthink-data export out/arc --data mcq=work/arc/parquet/mcq --name arc
    --license cc-by-sa-4.0
    """
    from crossthink_data import storage
    from crossthink_data.hub import ExportError, SubsetCard, export_subset
    from crossthink_data.hub.repo import REPO_ENTRIES

    output = location(output)
    own_output(output, "export", overwrite, writes=REPO_ENTRIES)

    configs: dict[str, str] = {}
    for item in config_input:
        key, sep, path = item.partition("=")
        if not sep or not key or not path:
            raise typer.BadParameter(f"--data expects NAME=PATH, got {item!r}")
        configs[key] = path
    try:
        card = SubsetCard(
            name=name,
            pretty_name=pretty_name or name,
            description=description,
            licenses=list(license),
            source_datasets=list(source_dataset or []),
            citations=[storage.read_text(p) for p in citation_file or []],
            non_commercial_sources=list(non_commercial_source or []),
        )
        folder = export_subset(output, configs, card, rows_per_shard=rows_per_shard)
    except (ExportError, ValueError, FileNotFoundError) as err:
        fail(str(err))
    first = next(iter(configs))
    typer.echo(f"wrote {folder}")
    if storage.is_local(folder):  # `datasets` loads a folder by path; a bucket is downloaded first
        typer.echo(f"load it with: load_dataset({str(folder)!r}, {first!r})")


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
