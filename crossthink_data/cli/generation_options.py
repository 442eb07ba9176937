"""The generation flags ``mine`` and ``difficulty`` share, declared once.

Typer reads options from each command's signature, so a command lists the parameters, typed with
these aliases (flag, help and environment variable live here), and hands its parameters to
:func:`generation_settings`, which builds the one :class:`~crossthink_data.inference.GenerationSettings`.
The list of forwarded flags is not written out anywhere: every parameter named like a field of
``GenerationSettings`` is forwarded (its field names are the flags, by design), so a flag added to
a signature cannot be accepted and then dropped. Each command writes its own defaults in its
signature (the miner samples at 0.6, difficulty at 1.0); ``tests/crossthink_data/cli/test_generation.py``
checks they equal the stage's dataclass defaults.

Old spellings stay for one release as hidden options (``mine --endpoint``, ``difficulty
--api-key-env``): accepted, left out of ``--help``, and announced with a one-line warning.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Annotated, Any

import typer

from crossthink_data.cli.common import fail
from crossthink_data.endpoint import GenerationSettings

PANEL = "Generation"

# How hard each request is tried: the one set of endpoint defaults (crossthink_data.endpoint), which
# ``crossthink-eval run`` uses too. Read from the leaf module, so ``--help`` needs no datatrove.
REQUEST_TIMEOUT = GenerationSettings.request_timeout
MAX_ATTEMPTS = GenerationSettings.max_attempts
MAX_CONCURRENT = GenerationSettings.max_concurrent
MAX_FAILED = GenerationSettings.max_failed

Model = Annotated[
    str, typer.Option(help="Model name the server serves (vllm: the model it loads).", rich_help_panel=PANEL)
]
ServerType = Annotated[
    str,
    typer.Option(
        help="endpoint (any OpenAI-compatible URL) or vllm (started per task).", rich_help_panel=PANEL
    ),
]
EndpointUrl = Annotated[
    str | None,
    typer.Option(
        envvar="CROSSTHINK_ENDPOINT",
        help="OpenAI base URL with its /v1, e.g. http://host:8000/v1.",
        rich_help_panel=PANEL,
    ),
]
ApiKey = Annotated[
    str | None,
    typer.Option(
        envvar="CROSSTHINK_API_KEY", help="Bearer token the endpoint expects.", rich_help_panel=PANEL
    ),
]
RequestTimeout = Annotated[float, typer.Option(help="Seconds one request may take.", rich_help_panel=PANEL)]
MaxAttempts = Annotated[
    int,
    typer.Option(help="Tries per request (endpoint) before its failure is recorded.", rich_help_panel=PANEL),
]
MaxConcurrent = Annotated[int, typer.Option(help="Requests in flight per task.", rich_help_panel=PANEL)]
MaxFailed = Annotated[
    float,
    typer.Option(
        help="Share of requests (0-1) that may fail after their retries, recorded per row; above it "
        "the command exits 3 and a rerun sends only the failed requests.",
        rich_help_panel=PANEL,
    ),
]
ResponseFormat = Annotated[
    str,
    typer.Option(
        help="Constrain replies to the Syn-QA JSON schema: none, openai (OpenAI, vLLM) or llama-cpp "
        "(llama.cpp's server).",
        rich_help_panel=PANEL,
    ),
]
Temperature = Annotated[float, typer.Option(help="Sampling temperature.", rich_help_panel=PANEL)]
MaxTokens = Annotated[int, typer.Option(help="Token cap per reply.", rich_help_panel=PANEL)]
Tp = Annotated[int, typer.Option(help="vLLM tensor-parallel size.", rich_help_panel=PANEL)]

# Hidden aliases, kept for one release.
OldEndpoint = Annotated[
    str | None, typer.Option("--endpoint", hidden=True, help="Deprecated spelling of --endpoint-url.")
]
OldApiKeyEnv = Annotated[
    str | None,
    typer.Option("--api-key-env", hidden=True, help="Deprecated: name of a variable holding the key."),
]


def _deprecated(old: str, new: str) -> None:
    typer.echo(f"warning: {old} is deprecated and will be removed; use {new}", err=True)


def generation_settings(params: Mapping[str, Any]) -> GenerationSettings:
    """A command's parameters (its ``locals()``) as one settings object; a bad value ends it with one line.

    Every parameter named like a ``GenerationSettings`` field is forwarded; a field the command
    does not take (``difficulty`` has no ``--response-format``) keeps the dataclass default. The
    hidden old spellings ``endpoint`` and ``api_key_env`` are read here and announced.
    """
    names = {f.name for f in fields(GenerationSettings)} - {"api_key_env"}  # api_key_env: an old flag
    settings = {name: params[name] for name in names if name in params}
    if params.get("endpoint") is not None:  # an old flag is explicit: it wins over CROSSTHINK_ENDPOINT
        _deprecated("--endpoint", "--endpoint-url")
        settings["endpoint_url"] = params["endpoint"]
    if params.get("api_key_env") is not None:  # ... and over CROSSTHINK_API_KEY
        _deprecated("--api-key-env", "--api-key (or CROSSTHINK_API_KEY)")
        settings.update(api_key=None, api_key_env=params["api_key_env"])
    try:
        return GenerationSettings(**settings)
    except ValueError as err:
        fail(str(err))
