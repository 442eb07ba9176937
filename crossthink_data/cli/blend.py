"""``blend``: sample a paper blend exactly to its ratio and write it as a Hub subset with its card."""

from __future__ import annotations

from typing import Annotated

import typer

from crossthink_data.cli.common import ConfigFile, Overwrite, location, own_output, print_panel


def blend(
    name: Annotated[
        str, typer.Argument(help="A paper blend name (natural, crossthink, math_2to1, ...) or a blend YAML.")
    ],
    input: Annotated[
        str,
        typer.Option(
            "--input", "-i", help="Pool of templated rows (parquet or jsonl; folder or storage URL)."
        ),
    ],
    output: Annotated[
        str,
        typer.Option(
            "--output", "-o", help="Writes OUTPUT/blend-<name>/ (Hub layout; folder or storage URL)."
        ),
    ],
    commercial_only: Annotated[
        bool, typer.Option(help="Leave out sources whose license forbids commercial use.")
    ] = False,
    total: Annotated[int | None, typer.Option(help="Override the blend's total rows.")] = None,
    seed: Annotated[int | None, typer.Option(help="Override the blend's seed.")] = None,
    overwrite: Overwrite = False,
    config: ConfigFile = None,
) -> None:
    """Sample a blend exactly to its ratio and write it as a Hub subset with its card.

    Example: crossthink-data blend crossthink -i dedup/data -o hub/
    """
    from crossthink_data.curation.blends import BlendError, BlendSpec, build_blend

    output = location(output)
    try:
        own_output(output, "blend", overwrite, writes=(f"blend-{BlendSpec.load(name).name}",))
        result = build_blend(input, name, output, commercial_only=commercial_only, total=total, seed=seed)
    except BlendError as err:
        raise typer.BadParameter(str(err)) from None
    print_panel(
        f"blend-{result.name}",
        f"{result.rows:,} rows -> {result.path}\n"
        + "\n".join(f"{col}: {counts}" for col, counts in result.counts.items())
        + (
            f"\nNON-COMMERCIAL sources: {result.non_commercial_sources}"
            if result.non_commercial_sources
            else ""
        ),
    )


def register(app: typer.Typer) -> None:
    app.command("blend")(blend)
