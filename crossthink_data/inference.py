"""datatrove's ``InferenceRunner`` against any OpenAI-compatible endpoint, with auth that works.

datatrove 0.10.1's ``server_type="endpoint"`` probes ``{endpoint_url}/v1/models`` without the
API key while its OpenAI client posts to ``{endpoint_url}/chat/completions``, so no form of a
real remote URL passes both; for localhost it drops ``api_key`` and ``request_timeout``; and an
HTTP 500 from the server is fatal for the whole task. :class:`AuthenticatedEndpointServer`
takes the base URL the way OpenAI clients do (``http://host:8000/v1``), probes
``{base}/models`` and posts ``{base}/chat/completions`` with the bearer token and a timeout, and
retries transient failures (timeouts, connection errors, 408/429/5xx, unreadable bodies) a
bounded number of times before raising ``InferenceError``, which a rollout can catch and record.

:func:`make_inference_runner` builds the runner (used by the miner's generation stage and by
the difficulty filter); ``server_type="vllm"`` and the others go to datatrove unchanged.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from datatrove.pipeline.inference.run_inference import InferenceConfig, InferenceRunner
from datatrove.pipeline.inference.servers import EndpointServer
from datatrove.pipeline.inference.servers.base import InferenceServer
from datatrove.pipeline.inference.types import InferenceError, RolloutFunction, ServerError
from datatrove.pipeline.writers.disk_base import DiskWriter
from datatrove.utils.logging import logger

RETRYABLE_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
DEFAULT_REQUEST_TIMEOUT_S = 600.0  # long generations from a 70B model take minutes


class AuthenticatedEndpointServer(EndpointServer):
    """An external OpenAI-compatible server: authenticated probe, timeouts, bounded retries."""

    def __init__(
        self, config: InferenceConfig, rank: int, max_attempts: int = 4, backoff_s: float = 2.0
    ) -> None:
        InferenceServer.__init__(self, config, rank)  # skip EndpointServer's OpenAI-client setup
        if not config.endpoint_url:
            raise ValueError("endpoint_url is required for server_type='endpoint'")
        if max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        self.endpoint_url = config.endpoint_url.rstrip("/")
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self._client = None

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.config.api_key}"} if self.config.api_key else {}

    def _http(self):
        import httpx

        if self._client is None:
            timeout = self.config.request_timeout or DEFAULT_REQUEST_TIMEOUT_S
            self._client = httpx.AsyncClient(headers=self._headers(), timeout=timeout)
        return self._client

    async def is_ready(self) -> bool:
        import httpx

        url = f"{self.get_base_url()}/models"
        try:
            async with httpx.AsyncClient(headers=self._headers(), timeout=10.0) as client:
                response = await client.get(url)
        except httpx.HTTPError:
            return False
        if response.status_code in (401, 403):
            raise ServerError(
                f"{url} refused the API key (HTTP {response.status_code}): set the key the server expects"
            )
        return response.status_code == 200

    async def _make_request(self, payload: dict) -> dict:
        import httpx

        endpoint = "chat/completions" if self.config.use_chat else "completions"
        url = f"{self.get_base_url()}/{endpoint}"
        last_error = ""
        for attempt in range(1, self.max_attempts + 1):
            try:
                response = await self._http().post(url, json=payload)
            except httpx.TimeoutException as err:
                last_error = f"timeout after {self.config.request_timeout or DEFAULT_REQUEST_TIMEOUT_S} s ({type(err).__name__})"
            except httpx.HTTPError as err:
                last_error = f"connection error ({type(err).__name__}: {err})"
            else:
                if response.status_code == 200:
                    try:
                        body = response.json()
                        body["choices"][0]  # noqa: B018 - a reply without choices is unusable
                        return body
                    except (json.JSONDecodeError, KeyError, IndexError, TypeError) as err:
                        last_error = (
                            f"unreadable response body ({type(err).__name__}): {response.text[:200]!r}"
                        )
                elif response.status_code in RETRYABLE_STATUS:
                    last_error = f"HTTP {response.status_code}: {response.text[:200]}"
                else:
                    # 400/401/404/422...: the same request will fail again. "BadRequestError" lets
                    # InferenceRunner(skip_bad_requests=True) skip the document instead of the task.
                    kind = "BadRequestError" if response.status_code in (400, 422) else "ClientError"
                    raise InferenceError(
                        None, f"{kind}: HTTP {response.status_code}: {response.text[:500]}", payload=payload
                    )
            logger.warning(f"request attempt {attempt}/{self.max_attempts} to {url} failed: {last_error}")
            if attempt < self.max_attempts:
                await asyncio.sleep(self.backoff_s * 2 ** (attempt - 1))
        raise InferenceError(
            None, f"gave up after {self.max_attempts} attempts: {last_error}", payload=payload
        )

    async def server_cleanup(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        await super().server_cleanup()


class CrossThinkInferenceRunner(InferenceRunner):
    """``InferenceRunner`` whose ``endpoint`` server is :class:`AuthenticatedEndpointServer`."""

    def __init__(self, *args, max_attempts: int = 4, backoff_s: float = 2.0, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s

    def _init_server(self, rank: int) -> InferenceServer:
        if self.config.server_type == "endpoint":
            return AuthenticatedEndpointServer(self.config, rank, self.max_attempts, self.backoff_s)
        return super()._init_server(rank)


def make_inference_runner(
    rollout: RolloutFunction,
    output_writer: DiskWriter,
    model: str,
    server_type: str = "endpoint",
    endpoint_url: str | None = None,
    api_key: str | None = None,
    checkpoints_dir: str | None = None,
    records_per_chunk: int = 500,
    request_timeout_s: float | None = DEFAULT_REQUEST_TIMEOUT_S,
    max_attempts: int = 4,
    backoff_s: float = 2.0,
    max_concurrent_generations: int = 64,
    generation_params: dict[str, Any] | None = None,
    shared_context: dict[str, Any] | None = None,
    tp: int = 1,
    dp: int = 1,
    model_max_context: int = 8192,
    model_kwargs: dict[str, Any] | None = None,
    server_log_folder: str | None = None,
    ready_timeout_s: float = 60.0,
) -> CrossThinkInferenceRunner:
    """An InferenceRunner step for ``rollout`` (``async def rollout(doc, generate, **ctx)``).

    ``server_type="endpoint"``: ``endpoint_url`` is the OpenAI base URL (``http://host:8000/v1``,
    ``https://api.example.com/v1``). ``"vllm"``: datatrove starts ``vllm serve model`` per task
    with ``tp``/``dp``. ``checkpoints_dir`` (local) makes a killed task resume where it stopped;
    the writer's filename then needs ``${chunk_index}``.
    """
    if server_type == "endpoint" and not endpoint_url:
        raise ValueError(
            "server_type='endpoint' needs endpoint_url (an OpenAI base URL such as http://host:8000/v1)"
        )
    ready_delay_s = 2.0 if server_type == "endpoint" else 5.0
    config = InferenceConfig(
        server_type=server_type,
        model_name_or_path=model,
        endpoint_url=endpoint_url,
        api_key=api_key,
        request_timeout=request_timeout_s,
        max_concurrent_generations=max_concurrent_generations,
        default_generation_params=dict(generation_params or {}),
        tp=tp,
        dp=dp,
        model_max_context=model_max_context,
        model_kwargs=model_kwargs,
        server_log_folder=server_log_folder,
        server_ready_delay_sec=ready_delay_s,
        server_ready_max_attempts=max(1, int(ready_timeout_s / ready_delay_s)),
        server_start_max_retries=0 if server_type == "endpoint" else 1,
        metric_interval=60,
    )
    return CrossThinkInferenceRunner(
        rollout,
        config,
        output_writer,
        shared_context=shared_context,
        checkpoints_local_dir=checkpoints_dir,
        records_per_chunk=records_per_chunk,
        skip_bad_requests=True,
        max_attempts=max_attempts,
        backoff_s=backoff_s,
    )
