"""`crossthink-train`: helpers around the GRPO trainer (tiny offline model, adapter merging)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="crossthink-train",
    help="CrossThink GRPO training helpers.",
    no_args_is_help=True,
    add_completion=False,
)


@app.command("tiny-model")
def tiny_model(
    output_dir: Annotated[Path, typer.Argument(help="Folder to write the tiny model + tokenizer to.")],
) -> None:
    """Build a tiny 2-layer Qwen2 model and BPE tokenizer offline (for tiny_cpu.yaml and tests)."""
    from crossthink_train.tiny_model import build_tiny_model

    path = build_tiny_model(output_dir)
    typer.echo(f"tiny model written to {path}")


@app.command("merge-adapter")
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


if __name__ == "__main__":
    app()
