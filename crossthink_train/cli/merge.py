"""``merge-adapter``: a LoRA GRPO run's adapter merged into its base model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def merge_adapter(
    adapter_dir: Annotated[Path, typer.Argument(help="Folder a LoRA GRPO run saved (output_dir).")],
    output_dir: Annotated[Path, typer.Argument(help="Where to write the merged model + tokenizer.")],
    base_model: Annotated[
        str | None, typer.Option(help="Base model id/path; default: the one in adapter_config.json.")
    ] = None,
    dtype: Annotated[str, typer.Option(help="Load/save dtype: auto, bfloat16, float16, float32.")] = "auto",
) -> None:
    """Merge a LoRA adapter into its base model so the result loads with from_pretrained."""
    from crossthink_train.export import merge_adapter as merge

    try:
        path = merge(adapter_dir, output_dir, base_model=base_model, dtype=dtype)
    except (FileNotFoundError, ValueError) as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(code=2) from err
    typer.echo(f"merged model written to {path}")


def register(app: typer.Typer) -> None:
    app.command("merge-adapter")(merge_adapter)
