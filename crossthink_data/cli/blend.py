"""``blend``: the build's blend stage, one blend sampled exactly to its ratio into the work folder."""

from __future__ import annotations

from typing import Annotated

import typer

from crossthink_data.cli.common import ConfigFile, Overwrite, fail, location, own_work, print_panel


def blend(
    name: Annotated[
        str, typer.Argument(help="A paper blend name (natural, crossthink, math_2to1, ...) or a blend YAML.")
    ],
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            help="The work folder (or storage URL): writes OUTPUT/blends/<name>/ (data/, report.json), "
            "as `build` does.",
        ),
    ],
    input: Annotated[
        str | None,
        typer.Option(
            "--input",
            "-i",
            help="Pool of templated rows, parquet or jsonl (default: the work folder's last finished "
            "curation stage, else its sources' templated rows).",
        ),
    ] = None,
    commercial_only: Annotated[
        bool, typer.Option(help="Leave out sources whose license forbids commercial use.")
    ] = False,
    total: Annotated[int | None, typer.Option(help="Override the blend's total number of questions.")] = None,
    seed: Annotated[int | None, typer.Option(help="Override the blend's seed.")] = None,
    overwrite: Overwrite = False,
    config: ConfigFile = None,
) -> None:
    """Sample a blend exactly to its ratio into the work folder; `export` makes it a config of the repo.

    Example: crossthink-data blend crossthink -o work/   (then: crossthink-data export work/ -o repo/)
    """
    from dataclasses import replace

    from crossthink_data import storage
    from crossthink_data.config import ConfigError
    from crossthink_data.curation.blends import BlendError, BlendSpec
    from crossthink_data.curation.work import BLENDS, run_blend_stage, stage_input

    try:
        spec = BlendSpec.load(name)
        overrides = {"total": total, "seed": seed}
        spec = replace(spec, **{k: v for k, v in overrides.items() if v is not None})  # checked again
        if input and not storage.exists(location(input)):
            fail(f"input folder {location(input)} does not exist")
        work = own_work(output, "blend", overwrite)
        pool = location(input) if input else stage_input(work, BLENDS)
        report = run_blend_stage(pool, spec, work, commercial_only)
    except (BlendError, ConfigError, FileNotFoundError) as err:
        fail(str(err))
    counts = report.get("counts", {})
    non_commercial = report.get("non_commercial_sources") or []
    print_panel(
        f"blend-{spec.name}",
        f"{report['rows']:,} rows from {pool} -> {storage.join(work, BLENDS, spec.name)}\n"
        + "\n".join(f"{col}: {values}" for col, values in counts.items())
        + (f"\nNON-COMMERCIAL sources: {non_commercial}" if non_commercial else ""),
    )


def register(app: typer.Typer) -> None:
    app.command("blend")(blend)
