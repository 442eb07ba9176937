"""``difficulty``: k sampled answers per question, scored by the answer checker; pass_rate and filter."""

from __future__ import annotations

from typing import Annotated

import typer

from crossthink_data.cli import generation_options as gen
from crossthink_data.cli.common import (
    ConfigFile,
    ExecutorName,
    Overwrite,
    Tasks,
    Workers,
    check_executor,
    fail,
    fail_stage,
    location,
    own_output,
    print_panel,
    settings_from,
)


def difficulty(
    input: Annotated[str, typer.Option("--input", "-i", help="Folder or storage URL of templated rows.")],
    output: Annotated[
        str,
        typer.Option("--output", "-o", help="Folder or storage URL: scored/, data/, removed/, report.json."),
    ],
    # the stage's defaults (curation.difficulty.default_difficulty_generation), written out so the
    # CLI starts without importing datatrove; tests/crossthink_data/cli/test_generation.py compares
    model: gen.Model = "Qwen/Qwen2.5-7B",
    samples: Annotated[int, typer.Option("--samples", "-k", help="Answers sampled per question.")] = 1,
    max_pass_rate: Annotated[
        float | None, typer.Option(help="Drop rows solved more often than this (0.0: keep only unsolved).")
    ] = None,
    require_format: Annotated[
        bool,
        typer.Option(
            "--require-format",
            help="Count an answer as solved only with the <think>...</think> format too (default: the "
            "right boxed answer suffices, as the paper judges its base model).",
        ),
    ] = False,
    # generation (the same flags as `mine`; crossthink_data.cli.generation_options)
    server_type: gen.ServerType = "endpoint",
    endpoint_url: gen.EndpointUrl = None,
    api_key: gen.ApiKey = None,
    request_timeout: gen.RequestTimeout = 600.0,
    max_attempts: gen.MaxAttempts = 4,
    max_concurrent: gen.MaxConcurrent = 64,
    max_failed: gen.MaxFailed = 0.05,
    temperature: gen.Temperature = 0.0,
    max_tokens: gen.MaxTokens = 4096,
    tp: gen.Tp = 1,
    api_key_env: gen.OldApiKeyEnv = None,
    limit: Annotated[int, typer.Option(help="Rows per task, for trials (-1: all).")] = -1,
    tasks: Tasks = 1,
    workers: Workers = 1,
    executor: ExecutorName = "local",
    overwrite: Overwrite = False,
    config: ConfigFile = None,
) -> None:
    """Answer each question k times, score the answers with the answer checker, store pass_rate, filter.

    Defaults as in the paper: Qwen/Qwen2.5-7B (base), zero-shot, one greedy answer, solved when
    its boxed answer is right (--require-format also asks for the <think> format).

    Example: crossthink-data difficulty -i dedup/data -o hard/ --endpoint-url http://localhost:8000/v1
    --max-pass-rate 0

    Exit codes: 0 done; 1 a setting must change (refused request, wrong URL, key or model);
    3 the same command may succeed later (more than --max-failed requests failed, or the endpoint
    never became ready); a rerun sends only the missing requests.
    """
    generation = gen.generation_settings(locals())  # first: only the parameters are in locals()
    from crossthink_data.curation.difficulty import DIFFICULTY_WRITES, DifficultySettings, score_difficulty
    from crossthink_data.executors import StageFailed

    input, output = location(input), location(output)
    settings = settings_from(DifficultySettings, locals(), "difficulty", generation=generation)
    if limit < -1:
        fail(f"--limit: must be at least -1 (-1: all rows), got {limit}")
    check_executor(executor, ("local", "ray"), "difficulty")
    own_output(output, "difficulty", overwrite, writes=DIFFICULTY_WRITES)
    try:
        report = score_difficulty(
            input, output, settings, tasks=tasks, workers=workers, limit=limit, executor=executor
        )
    except StageFailed as err:
        fail_stage(err)
    print_panel("difficulty", report.to_json())


def register(app: typer.Typer) -> None:
    app.command("difficulty")(difficulty)
