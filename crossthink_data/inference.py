"""Generation settings and datatrove's ``InferenceRunner`` against any OpenAI-compatible endpoint.

:class:`GenerationSettings` is the one vocabulary for "which model, where, how hard to try": the
``mine`` and ``difficulty`` commands take the same flags for it, :class:`MinerConfig` and
:class:`DifficultySettings` each hold one, and :func:`make_inference_runner` turns one into a
runner. Importing this module needs no server and no GPU (the OpenAI client loads on first use).

datatrove 0.10.1's ``server_type="endpoint"`` probes ``{endpoint_url}/v1/models`` without the
API key while its OpenAI client posts to ``{endpoint_url}/chat/completions``, so no form of a
real remote URL passes both; for localhost it drops ``api_key`` and ``request_timeout``; and an
HTTP 500 from the server is fatal for the whole task. :class:`AuthenticatedEndpointServer`
takes the base URL the way OpenAI clients do (``http://host:8000/v1``), probes ``{base}/models``
with the key, and sends every request through the OpenAI client, whose ``max_retries`` retries
timeouts, connection errors, 408/409/429 and 5xx with backoff (and honours ``Retry-After``).
What still fails is raised as :class:`GenerationFailed` (a datatrove ``InferenceError``), which
a rollout catches and records per row. ``server_type="vllm"`` goes to datatrove unchanged.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from datatrove.pipeline.inference.run_inference import InferenceConfig, InferenceRunner
from datatrove.pipeline.inference.servers import EndpointServer
from datatrove.pipeline.inference.servers.base import InferenceServer
from datatrove.pipeline.inference.types import InferenceError, RolloutFunction, ServerError
from datatrove.pipeline.writers.disk_base import DiskWriter

SERVER_TYPES = ("endpoint", "vllm")
NO_KEY = "EMPTY"  # what OpenAI clients send to a server that wants no key (the client insists on one)
PROBE_TIMEOUT_S = 10.0


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
            ``api_key_env``. Never printed (``repr=False``).
        request_timeout: seconds one HTTP request may take (endpoint).
        max_attempts: tries per request, the first included, before the failure is recorded
            (endpoint; the OpenAI client's ``max_retries`` is ``max_attempts - 1``).
        max_concurrent: requests in flight per task.
        temperature, max_tokens: sampling parameters sent with every request.
        tp: vLLM tensor-parallel size.
    """

    model: str
    server_type: str = "endpoint"
    endpoint_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    api_key_env: str | None = "CROSSTHINK_API_KEY"
    request_timeout: float = 600.0  # long generations from a 70B model take minutes
    max_attempts: int = 4
    max_concurrent: int = 64
    temperature: float = 1.0
    max_tokens: int = 4096
    tp: int = 1

    def __post_init__(self) -> None:
        if self.server_type not in SERVER_TYPES:
            raise ValueError(f"server_type must be one of {SERVER_TYPES}, got {self.server_type!r}")
        for name in ("max_attempts", "max_concurrent", "max_tokens", "tp"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.request_timeout <= 0:
            raise ValueError(f"request_timeout must be positive, got {self.request_timeout}")
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
            return self.api_key
        return (os.environ.get(self.api_key_env) or None) if self.api_key_env else None

    def request_params(self) -> dict[str, Any]:
        """The sampling fields every request carries (rollouts merge them into their payload)."""
        return {"temperature": self.temperature, "max_tokens": self.max_tokens}


class GenerationFailed(InferenceError):
    """A request that failed for good: after the client's retries, or at once when retrying is pointless.

    Attributes:
        status: the last HTTP status, ``None`` for timeouts, connection errors and unreadable bodies.
        retryable: whether a later run may succeed: timeouts, connection errors, 408/409/429/5xx
            (all retried by the client first) and unreadable bodies (not retried: the client
            parses after its retry loop). ``False`` for 400/401/403/404/422: the same request
            fails again, so a run may stop at the first one.
    """

    def __init__(self, message: str, payload: dict, status: int | None, retryable: bool) -> None:
        super().__init__(None, message, payload=payload)
        self.status = status
        self.retryable = retryable


def _gave_up(err: Exception) -> str:
    """ "gave up after N attempts" (the OpenAI client stamps its retry count on every request it sends)."""
    try:
        attempts = int(err.request.headers.get("x-stainless-retry-count", 0)) + 1
    except (AttributeError, TypeError, ValueError):
        attempts = 1
    return f"gave up after {attempts} attempt{'s' if attempts > 1 else ''}"


class AuthenticatedEndpointServer(EndpointServer):
    """An external OpenAI-compatible server: authenticated probe; requests through the OpenAI client."""

    def __init__(self, config: InferenceConfig, rank: int, max_attempts: int = 4) -> None:
        InferenceServer.__init__(self, config, rank)  # skip EndpointServer's own client setup
        if not config.endpoint_url:
            raise ValueError("endpoint_url is required for server_type='endpoint'")
        if max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        self.endpoint_url = config.endpoint_url.rstrip("/")
        self.max_attempts = max_attempts
        self._client = None

    def _new_client(self, max_retries: int, timeout: float):
        from openai import AsyncOpenAI

        return AsyncOpenAI(
            base_url=self.endpoint_url,
            api_key=self.config.api_key or NO_KEY,
            timeout=timeout,
            max_retries=max_retries,
        )

    def _openai(self):
        if self._client is None:
            self._client = self._new_client(self.max_attempts - 1, self.config.request_timeout)
        return self._client

    async def is_ready(self) -> bool:
        """``GET {base}/models`` with the key; a refused key is fatal, anything else means "not yet"."""
        import openai

        url = f"{self.get_base_url()}/models"
        async with self._new_client(max_retries=0, timeout=PROBE_TIMEOUT_S) as client:
            try:
                await client.models.list()
            except (openai.AuthenticationError, openai.PermissionDeniedError) as err:
                raise ServerError(
                    f"{url} refused the API key (HTTP {err.status_code}): set the key the server expects"
                ) from None
            except openai.OpenAIError:
                return False
        return True

    async def _make_request(self, payload: dict) -> dict:
        import openai

        endpoint = "chat/completions" if self.config.use_chat else "completions"
        try:
            body = await self._openai().post(f"/{endpoint}", body=payload, cast_to=object)
            body["choices"][0]  # noqa: B018 - a reply without choices is unusable
            return body
        except openai.APIStatusError as err:
            status, text = err.status_code, err.response.text[:300]
            retryable = status in (408, 409, 429) or status >= 500
            if retryable:
                message = f"{_gave_up(err)}: HTTP {status}: {text}"
            else:
                # "BadRequestError" lets InferenceRunner(skip_bad_requests=True) skip the document.
                kind = "BadRequestError" if status in (400, 422) else "ClientError"
                message = f"{kind}: HTTP {status}: {text}"
            raise GenerationFailed(message, payload, status, retryable) from None
        except openai.APITimeoutError as err:
            message = f"{_gave_up(err)}: timeout after {self.config.request_timeout} s"
            raise GenerationFailed(message, payload, None, True) from None
        except openai.APIConnectionError as err:
            message = f"{_gave_up(err)}: connection error ({err.__cause__ or err})"
            raise GenerationFailed(message, payload, None, True) from None
        except (json.JSONDecodeError, KeyError, IndexError, TypeError) as err:
            # A 200 whose body cannot be read: the client does not retry it; recorded as a failure.
            message = f"unreadable response body ({type(err).__name__}: {err})"
            raise GenerationFailed(message, payload, None, True) from None

    async def server_cleanup(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
        await super().server_cleanup()


class CrossThinkInferenceRunner(InferenceRunner):
    """``InferenceRunner`` whose ``endpoint`` server is :class:`AuthenticatedEndpointServer`."""

    def __init__(self, *args, max_attempts: int = 4, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.max_attempts = max_attempts

    def _init_server(self, rank: int) -> InferenceServer:
        if self.config.server_type == "endpoint":
            return AuthenticatedEndpointServer(self.config, rank, self.max_attempts)
        return super()._init_server(rank)


def make_inference_runner(
    rollout: RolloutFunction,
    output_writer: DiskWriter,
    settings: GenerationSettings,
    checkpoints_dir: str | None = None,
    records_per_chunk: int = 500,
    shared_context: dict[str, Any] | None = None,
    server_log_folder: str | None = None,
    ready_timeout_s: float = 60.0,
) -> CrossThinkInferenceRunner:
    """An InferenceRunner step for ``rollout`` (``async def rollout(doc, generate, **ctx)``).

    The rollout receives ``generation_params`` (:meth:`GenerationSettings.request_params`) next to
    ``shared_context`` and merges them into each payload. ``checkpoints_dir`` (local) makes a
    killed task resume where it stopped; the writer's filename then needs ``${chunk_index}``.
    """
    settings.check_server()
    ready_delay_s = 2.0 if settings.server_type == "endpoint" else 5.0
    config = InferenceConfig(
        server_type=settings.server_type,
        model_name_or_path=settings.model,
        endpoint_url=settings.endpoint_url,
        api_key=settings.resolved_api_key(),
        request_timeout=settings.request_timeout,
        max_concurrent_generations=settings.max_concurrent,
        tp=settings.tp,
        server_log_folder=server_log_folder,
        server_ready_delay_sec=ready_delay_s,
        server_ready_max_attempts=max(1, int(ready_timeout_s / ready_delay_s)),
        server_start_max_retries=0 if settings.server_type == "endpoint" else 1,
        metric_interval=60,
    )
    return CrossThinkInferenceRunner(
        rollout,
        config,
        output_writer,
        shared_context={"generation_params": settings.request_params(), **(shared_context or {})},
        checkpoints_local_dir=checkpoints_dir,
        records_per_chunk=records_per_chunk,
        skip_bad_requests=True,
        max_attempts=settings.max_attempts,
    )
