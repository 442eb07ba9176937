"""``serve`` and ``stop-server``: thin command-line wrappers around :mod:`crossthink_data.serve`.

The server itself is a shared module (data, training and evaluation all use it); these commands only
start it from a shell, save its state file, and stop it by the PID in that file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


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
    from crossthink_data.serve import ServerError, start_server

    try:
        server = start_server(model, backend, port=port, log_dir=state.parent, ready_timeout_s=ready_timeout)
    except (ServerError, ValueError) as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(code=1) from None
    server.save(state)
    typer.echo(
        f"serving {server.model} at {server.base_url} (pid {server.pid}); stop: crossthink-train stop-server"
    )


def stop_server_command(
    state: Annotated[Path, typer.Option(help="The state file `serve` wrote.")] = Path(
        ".crossthink_server.json"
    ),
) -> None:
    """Stop a server started by `crossthink-train serve` (by the PID in its state file)."""
    from crossthink_data.serve import LocalServer, stop_server

    if not state.exists():
        typer.echo(f"error: no server state at {state}", err=True)
        raise typer.Exit(code=1)
    server = LocalServer.load(state)
    stopped = stop_server(server)
    state.unlink()
    typer.echo(f"stopped pid {server.pid}" if stopped else f"pid {server.pid} was not running")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("stop-server")(stop_server_command)
