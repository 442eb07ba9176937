"""``difficulty``: k sampled answers per question, scored by the answer checker; pass_rate and filter."""

from __future__ import annotations

from typing import Annotated

import typer

from crossthink_data.cli.common import ConfigFile, Tasks, print_panel


def difficulty(
    input: Annotated[str, typer.Option("--input", "-i", help="Folder or storage URL of templated rows.")],
    output: Annotated[
        str,
        typer.Option("--output", "-o", help="Folder or storage URL: scored/, data/, removed/, report.json."),
    ],
    model: Annotated[str, typer.Option(help="Model that answers (the paper: Qwen/Qwen2.5-7B-Instruct).")],
    endpoint_url: Annotated[
        str | None, typer.Option(help="OpenAI-compatible base URL, e.g. http://localhost:8000/v1.")
    ] = None,
    server_type: Annotated[
        str, typer.Option(help="'endpoint' (any OpenAI-compatible server) or 'vllm' (datatrove starts vLLM).")
    ] = "endpoint",
    api_key_env: Annotated[
        str, typer.Option(help="Environment variable holding the API key.")
    ] = "OPENAI_API_KEY",
    samples: Annotated[int, typer.Option("--samples", "-k", help="Answers sampled per question.")] = 8,
    max_pass_rate: Annotated[
        float | None, typer.Option(help="Drop rows solved more often than this (0.0: keep only unsolved).")
    ] = None,
    temperature: Annotated[float, typer.Option(help="Sampling temperature.")] = 1.0,
    max_tokens: Annotated[int, typer.Option(help="Max new tokens per answer.")] = 4096,
    tasks: Tasks = 1,
    config: ConfigFile = None,
) -> None:
    """Sample k answers per question, score them with the answer checker, store pass_rate, filter.

    Example: crossthink-data difficulty -i dedup/data -o hard/ --model Qwen/Qwen2.5-7B-Instruct
    --endpoint-url http://localhost:8000/v1 --max-pass-rate 0
    """
    from crossthink_data.curation.difficulty import DifficultySettings, score_difficulty

    try:
        settings = DifficultySettings(
            model=model,
            samples=samples,
            endpoint_url=endpoint_url,
            server_type=server_type,
            api_key_env=api_key_env,
            max_pass_rate=max_pass_rate,
            temperature=temperature,
            max_tokens=max_tokens,
        )
    except ValueError as err:
        raise typer.BadParameter(str(err)) from None
    report = score_difficulty(input, output, settings, tasks=tasks)
    print_panel("difficulty", report.to_json())


def register(app: typer.Typer) -> None:
    app.command("difficulty")(difficulty)
