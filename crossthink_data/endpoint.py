"""Endpoint settings: which model answers, where, and how hard each request is tried, for every command.

``crossthink-data mine``, ``crossthink-data difficulty`` and ``crossthink-eval run --backend endpoint``
all send requests to an OpenAI-compatible server. They used to carry two sets of defaults (the data
side 4 attempts, 64 in flight, 600 s per request; the evaluation 8 attempts, 10 in flight, no time
limit) and two key rules. :class:`GenerationSettings` is now the one set: the data side holds one
(``crossthink_data.inference`` turns it into a datatrove ``InferenceRunner``), and the evaluation
builds one from its flags, so a default changed here changes it everywhere.

This module is in the leaf layer (no datatrove, no OpenAI client) so the evaluation environment, which
does not install the data stack, can import it.

**The API key rule** (one, for every command): ``--api-key`` (``api_key``), else the environment
variable ``CROSSTHINK_API_KEY``, else no key. ``OPENAI_API_KEY`` is never read: it holds a key for
OpenAI, and reading it would send that key to whatever server ``--endpoint-url`` names (a colleague's
vLLM, a tunnel). To use OpenAI itself, pass the key as ``CROSSTHINK_API_KEY``. With no key the
data side sends ``NO_KEY`` (OpenAI clients insist on one) and the evaluation sends the same on a
loopback URL and refuses a remote one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from crossthink_data.config import reveal, secret

SERVER_TYPES = ("endpoint", "vllm")
RESPONSE_FORMATS = ("none", "openai", "llama-cpp")
NO_KEY = "EMPTY"  # what OpenAI clients send to a server that wants no key (the client insists on one)
API_KEY_ENV = "CROSSTHINK_API_KEY"  # the one variable every command reads a key from


@dataclass
class GenerationSettings:
    """Which model answers, where it runs, and how hard each request is tried.

    Field names are the command-line flags (``request_timeout`` is ``--request-timeout``), so a
    ``--config`` YAML, a build recipe and the flags all say the same thing.

    Attributes:
        model: the model name the server serves (``server_type="endpoint"``) or vLLM loads.
        server_type: ``"endpoint"``: any OpenAI-compatible URL; ``"vllm"``: datatrove starts
            ``vllm serve`` on the node, one per task.
        endpoint_url: the OpenAI base URL, with its ``/v1`` (``http://host:8000/v1``).
        api_key: the bearer token; when unset, read from the environment variable
            ``api_key_env`` (``CROSSTHINK_API_KEY``; ``OPENAI_API_KEY`` is never read, see the
            module docstring). Held as a :class:`~crossthink_data.config.Secret`: printed, serialised
            and fingerprinted as ``***`` (executor.json, fingerprints, reports, logs).
        request_timeout: seconds one HTTP request may take (endpoint).
        max_attempts: tries per request, the first included, before the failure is recorded
            (endpoint; the OpenAI client's ``max_retries`` is ``max_attempts - 1``).
        max_concurrent: requests in flight per task.
        max_failed: the share of a task's requests that may fail (after their retries) with the
            failures recorded per row; above it the task raises and is not marked complete.
        temperature, max_tokens: sampling parameters sent with every request.
        response_format: ask the server to constrain a reply to the caller's JSON schema, in the
            shape it takes: ``"openai"`` (OpenAI, vLLM: ``{"type": "json_schema", "json_schema":
            {...}}``), ``"llama-cpp"`` (llama.cpp's server: ``{"type": "json_object", "schema":
            ...}``) or ``"none"``. Used by the Syn-QA request (``mine``).
        tp: vLLM tensor-parallel size.
    """

    model: str
    server_type: str = "endpoint"
    endpoint_url: str | None = None
    api_key: str | None = field(default=None, repr=False, metadata={"secret": True})
    api_key_env: str | None = API_KEY_ENV
    request_timeout: float = 600.0  # long generations from a 70B model take minutes
    max_attempts: int = 4
    max_concurrent: int = 64
    max_failed: float = 0.05
    temperature: float = 1.0
    max_tokens: int = 4096
    response_format: str = "none"
    tp: int = 1

    def __post_init__(self) -> None:
        self.api_key = secret(self.api_key)  # never written anywhere in the clear
        if self.server_type not in SERVER_TYPES:
            raise ValueError(f"server_type must be one of {SERVER_TYPES}, got {self.server_type!r}")
        for name in ("max_attempts", "max_concurrent", "max_tokens", "tp"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.request_timeout <= 0:
            raise ValueError(f"request_timeout must be positive, got {self.request_timeout}")
        if not 0.0 <= self.max_failed <= 1.0:
            raise ValueError(f"max_failed is a fraction within [0, 1], got {self.max_failed}")
        if self.response_format not in RESPONSE_FORMATS:
            raise ValueError(
                f"response_format must be one of {RESPONSE_FORMATS}, got {self.response_format!r}"
            )
        if self.endpoint_url is not None and not self.endpoint_url.startswith(("http://", "https://")):
            raise ValueError(f"endpoint_url must be an http(s) URL, got {self.endpoint_url!r}")

    def check_server(self) -> None:
        """Raises ``ValueError`` unless a request could be sent (an endpoint needs its URL)."""
        if self.server_type == "endpoint" and not self.endpoint_url:
            raise ValueError(
                "server_type='endpoint' needs endpoint_url (an OpenAI base URL such as http://host:8000/v1)"
            )

    def resolved_api_key(self) -> str | None:
        """``api_key``, else the value of the ``api_key_env`` environment variable, else ``None``."""
        if self.api_key:
            return reveal(self.api_key)
        return (os.environ.get(self.api_key_env) or None) if self.api_key_env else None

    def request_params(self) -> dict[str, Any]:
        """The sampling fields every request carries (rollouts merge them into their payload)."""
        return {"temperature": self.temperature, "max_tokens": self.max_tokens}

    def response_format_for(self, schema: dict[str, Any], name: str) -> dict[str, Any] | None:
        """The request's ``response_format`` constraining the reply to ``schema``; ``None`` when off."""
        if self.response_format == "openai":
            return {"type": "json_schema", "json_schema": {"name": name, "schema": schema}}
        if self.response_format == "llama-cpp":
            return {"type": "json_object", "schema": schema}
        return None
