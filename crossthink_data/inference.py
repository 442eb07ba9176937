"""Generation settings and datatrove's ``InferenceRunner`` against any OpenAI-compatible endpoint.

:class:`GenerationSettings` (defined in the leaf module :mod:`crossthink_data.endpoint`, so the
evaluation can share it without the data stack) is the one vocabulary for "which model, where, how
hard to try": the ``mine`` and ``difficulty`` commands take the same flags for it, :class:`MinerConfig` and
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

A failure never passes for success (:class:`CrossThinkInferenceRunner`): an endpoint that is not
ready says why in one line (URL, HTTP status, the body's first line, a hint); a request the server
refuses (400/401/403/404/422: the same request would fail again) stops the task at once; failures
that outlast the retries are recorded per row, and when more than ``max_failed`` of a task's
requests failed the task raises. A task that raised is not marked complete, its documents with a
failed request are not checkpointed, and its request cache is kept: the rerun sends exactly the
failed and unsent requests again, never the finished ones.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from datatrove.data import Document
from datatrove.pipeline.inference.checkpointing import CheckpointManager
from datatrove.pipeline.inference.run_inference import InferenceConfig, InferenceRunner
from datatrove.pipeline.inference.servers import EndpointServer
from datatrove.pipeline.inference.servers.base import InferenceServer
from datatrove.pipeline.inference.types import InferenceError, InferenceResult, RolloutFunction, ServerError
from datatrove.pipeline.writers.disk_base import DiskWriter
from loguru import logger

from crossthink_data.config import reveal, secret
from crossthink_data.endpoint import NO_KEY, GenerationSettings
from crossthink_data.executors import StageFailed, quiet_stage_failures

PROBE_TIMEOUT_S = 10.0
PROGRESS_EVERY_S = 10.0
RETRY_LATER = 3  # exit code of a stage that may succeed when rerun as is (see StageFailed)


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


class GenerationStopped(StageFailed, ServerError):
    """The run must stop: the server refused a request it would refuse again, or is not there.

    A ``ServerError`` for datatrove (it passes through rollouts and ends the task) and a
    :class:`~crossthink_data.executors.StageFailed` for the command (one line, no completion marker).
    """

    def __init__(self, message: str, exit_code: int = 1) -> None:
        StageFailed.__init__(self, message, exit_code)
        self.error = message


def first_line(body: str, limit: int = 200) -> str:
    """The part of an error body a person reads: an OpenAI-style ``error.message``, else its first line."""
    try:
        data = json.loads(body)
        error = data.get("error", data) if isinstance(data, dict) else data
        text = error.get("message") or error.get("detail") if isinstance(error, dict) else None
        text = str(text or body)
    except (json.JSONDecodeError, TypeError, ValueError):
        text = body
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    line = lines[0] if lines else "(empty body)"
    return line if len(line) <= limit else line[: limit - 3] + "..."


def hint(status: int | None, url: str) -> str:
    """What a person should check when ``url`` answered ``status`` (``None``: no answer at all)."""
    base = url.rsplit("/", 1)[0] if url.endswith(("/models", "/completions")) else url
    base = base.removesuffix("/chat")
    if status is None:
        return "is the server running, and are the host and port right?"
    if status in (401, 403):
        return "the server refused the API key: pass the key it expects (--api-key or CROSSTHINK_API_KEY)"
    if status == 404:
        if not base.rstrip("/").endswith("/v1"):
            return f"missing /v1? OpenAI-compatible servers serve {base.rstrip('/')}/v1 (pass it as --endpoint-url)"
        return "is --model the name the server serves (GET .../v1/models lists them), and the URL right?"
    if status in (400, 422):
        return (
            "is --model the name the server serves (GET .../v1/models lists them)? "
            "Otherwise the server refuses a request setting (--response-format, --max-tokens...)"
        )
    if status == 429:
        return "rate limited: lower --max-concurrent"
    return "the server may still be loading the model, or it is failing (see its log)"


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
        self.last_probe = "no probe yet"

    def _new_client(self, max_retries: int, timeout: float):
        from openai import AsyncOpenAI

        return AsyncOpenAI(
            base_url=self.endpoint_url,
            api_key=reveal(self.config.api_key) or NO_KEY,
            timeout=timeout,
            max_retries=max_retries,
        )

    def _openai(self):
        if self._client is None:
            self._client = self._new_client(self.max_attempts - 1, self.config.request_timeout)
        return self._client

    async def is_ready(self) -> bool:
        """``GET {base}/models`` with the key: ``True`` when it lists models, ``False`` for "not yet".

        Raises :class:`GenerationStopped` when waiting cannot help: a refused key (401/403) or a
        route that does not exist (404, typically a base URL without its ``/v1``). Why the last
        probe failed is kept in ``last_probe`` for the message when the wait runs out.
        """
        import httpx

        url = f"{self.get_base_url()}/models"
        key = reveal(self.config.api_key) or NO_KEY
        try:
            async with httpx.AsyncClient(timeout=PROBE_TIMEOUT_S) as client:
                response = await client.get(url, headers={"Authorization": f"Bearer {key}"})
        except httpx.HTTPError as err:
            self.last_probe = (
                f"{url}: no answer ({type(err).__name__}: {err or 'no detail'}); {hint(None, url)}"
            )
            return False
        if response.status_code == 200:
            self._warn_if_model_missing(response)
            return True
        status = response.status_code
        self.last_probe = f"{url} answered HTTP {status}: {first_line(response.text)}; {hint(status, url)}"
        if status in (401, 403, 404):
            raise GenerationStopped(f"endpoint not usable: {self.last_probe}")
        return False

    def _warn_if_model_missing(self, response) -> None:
        """One warning when the server lists models and ours is not among them (llama.cpp serves any name)."""
        try:
            served = [m["id"] for m in response.json().get("data", [])]
        except (ValueError, KeyError, TypeError, AttributeError):
            return
        if served and self.config.model_name_or_path not in served:
            logger.warning(
                f"{self.get_base_url()}/models lists {served[:5]}, not {self.config.model_name_or_path!r}: "
                "the server may refuse the requests (check --model)"
            )

    async def bg_start_server(self) -> None:
        """Wait for the external server to answer; a failure is one :class:`GenerationStopped` line.

        Replaces datatrove's start loop, whose message ("Server start attempt 1/0 failed ... after
        0 retries") hides the URL, the status and the body.
        """
        async with self._server_start_lock:
            if self._server_ready.done():
                return
            try:
                await self._wait_until_ready(
                    max_attempts=self.config.server_ready_max_attempts,
                    delay_sec=self.config.server_ready_delay_sec,
                )
                self._server_ready.set_result(True)
            except asyncio.CancelledError:
                raise
            except Exception as err:  # noqa: BLE001 - every reason becomes the one line
                if not isinstance(err, GenerationStopped):
                    waited = self.config.server_ready_max_attempts * self.config.server_ready_delay_sec
                    err = GenerationStopped(
                        f"endpoint not ready after {waited:.0f} s: {self.last_probe}", RETRY_LATER
                    )
                if not self._server_ready.done():
                    self._server_ready.set_exception(err)

    async def _wait_until_ready(self, max_attempts: int = 10, delay_sec: float = 1.0) -> None:
        for attempt in range(1, max_attempts + 1):
            if await self.is_ready():
                logger.info(f"endpoint {self.get_base_url()} is ready")
                return
            if attempt < max_attempts:
                logger.info(f"waiting for the endpoint ({attempt}/{max_attempts}): {self.last_probe}")
                await asyncio.sleep(delay_sec)
        raise ServerError(self.last_probe)

    async def _make_request(self, payload: dict) -> dict:
        import openai

        endpoint = "chat/completions" if self.config.use_chat else "completions"
        try:
            body = await self._openai().post(f"/{endpoint}", body=payload, cast_to=object)
            body["choices"][0]  # noqa: B018 - a reply without choices is unusable
            return body
        except openai.APIStatusError as err:
            status, text = err.status_code, first_line(err.response.text, limit=300)
            retryable = status in (408, 409, 429) or status >= 500
            if retryable:
                message = f"{_gave_up(err)}: HTTP {status}: {text}"
            else:
                url = f"{self.endpoint_url}/{endpoint}"
                message = f"{url} refused the request (HTTP {status}: {text}); {hint(status, url)}"
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


def _quiet_stops(loop: asyncio.AbstractEventLoop, context: dict) -> None:
    """Event-loop handler: a stop that other tasks also raised is not logged again with a traceback.

    datatrove's throttle awaits one finished task of several; the others' exceptions (the same
    stop) are never retrieved, and asyncio would print each with "Task exception was never retrieved".
    """
    if not isinstance(context.get("exception"), StageFailed):
        loop.default_exception_handler(context)


class RedoFailedCheckpoints(CheckpointManager):
    """datatrove's chunk checkpoints, except for documents with a failed request.

    Such a document is written to the output (its failure is recorded there) but not to its
    checkpoint chunk and not counted in it, so that chunk never counts as finished: a rerun of the
    task replays the chunk's other documents from the checkpoint (rewriting its output file) and
    sends the failed document again, whose finished requests come from the request cache. The
    final clean-up (which would mark the last chunk finished and delete the checkpoints) is skipped
    while any document failed.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.failed_ids: set[str] = set()
        self.resumed = 0  # documents a rerun found finished (skipped chunks + checkpointed ones)

    async def write_document(
        self, document: Document, rank: int, chunk_index: int, output_writer_context: DiskWriter
    ) -> None:
        if str(document.id) not in self.failed_ids:
            return await super().write_document(document, rank, chunk_index, output_writer_context)
        async with self.file_locks[chunk_index]:
            if "__no_rollouts_remove" not in document.metadata:
                output_writer_context.write(document, rank=rank, chunk_index=chunk_index)
        return None

    async def parse_existing_checkpoints(
        self, rank: int, output_writer_context: DiskWriter
    ) -> tuple[int, set[str]]:
        skip, ids = await super().parse_existing_checkpoints(rank, output_writer_context)
        self.resumed = skip + len(ids)
        return skip, ids

    async def cleanup_last_chunk(self, rank: int, chunk_index: int) -> None:
        if not self.failed_ids:
            await super().cleanup_last_chunk(rank, chunk_index)


class CrossThinkInferenceRunner(InferenceRunner):
    """``InferenceRunner`` with :class:`AuthenticatedEndpointServer` for endpoints, where failures fail.

    - a request refused for good (:class:`GenerationFailed` with ``retryable=False``) raises
      :class:`GenerationStopped` and no further request is sent;
    - failures after the retries are left to the rollout to record, and counted: when more than
      ``max_failed`` of the task's requests failed, the task raises :class:`StageFailed` (exit 3);
    - failed requests are never cached (datatrove would cache a "BadRequestError" and serve it
      again to the rerun), documents with one are not checkpointed (:class:`RedoFailedCheckpoints`),
      and the request cache is kept whenever one failed, so a rerun sends only what is missing;
    - progress: "``label``: n of N documents" every few seconds and at the end (N from
      ``total_documents(rank, world_size)`` when given).
    """

    def __init__(
        self,
        *args,
        max_attempts: int = 4,
        max_failed: float = 0.05,
        label: str = "generate",
        total_documents: Callable[[int, int], int] | None = None,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.max_attempts = max_attempts
        self.max_failed = max_failed
        self.label = label
        self.total_documents = total_documents
        self.checkpoint_manager = RedoFailedCheckpoints(
            self.checkpoint_manager.checkpoints_local_dir,
            self.checkpoint_manager.records_per_chunk,
            request_cache=self.request_cache,
        )
        self._total: int | None = None
        self._requests = self._failed_requests = self._documents = 0
        self._first_failure: str | None = None
        self._stopped: GenerationStopped | None = None

    def _init_server(self, rank: int) -> InferenceServer:
        if self.config.server_type == "endpoint":
            return AuthenticatedEndpointServer(self.config, rank, self.max_attempts)
        return super()._init_server(rank)

    @staticmethod
    def _is_bad_request_error(error: str | Exception) -> bool:
        return False  # never cache a failure, never skip a document for one: see the class docstring

    async def _cached_request(
        self,
        payload: dict,
        semaphore: asyncio.Semaphore,
        server: InferenceServer,
        doc_id: str,
        rollout_idx: int,
        chunk_index: int,
        request_counters: list[int] | None = None,
    ) -> InferenceResult:
        if self._stopped is not None:  # a refused request stopped the run: send nothing more
            raise self._stopped
        self._requests += 1
        try:
            return await super()._cached_request(
                payload, semaphore, server, doc_id, rollout_idx, chunk_index, request_counters
            )
        except InferenceError as err:  # GenerationFailed from endpoints; datatrove's own from vllm
            if isinstance(err, GenerationFailed) and not err.retryable:
                self._stopped = GenerationStopped(f"{self.label} stopped: {err.error}")
                raise self._stopped from None
            self._failed_requests += 1
            self._first_failure = self._first_failure or str(err.error)
            self.checkpoint_manager.failed_ids.add(str(doc_id))
            raise

    async def _save_document(self, document: Document, *args, **kwargs) -> None:
        await super()._save_document(document, *args, **kwargs)
        self._documents += 1

    async def _cleanup(self, metrics_task, tasks_pool, delete_cache_file: bool, timeout: int = 30) -> None:
        keep = bool(self.checkpoint_manager.failed_ids)  # the rerun takes finished requests from it
        await super()._cleanup(metrics_task, tasks_pool, delete_cache_file and not keep, timeout)

    def progress(self) -> str:
        """``"generate: 120 of 480 documents (3 with failed requests)"``."""
        done = self.checkpoint_manager.resumed + self._documents
        total = f" of {self._total}" if self._total is not None else ""
        line = f"{self.label}: {done}{total} documents"
        extra = []
        if self.checkpoint_manager.resumed:
            extra.append(f"{self.checkpoint_manager.resumed} from an earlier run")
        if self.checkpoint_manager.failed_ids:
            extra.append(f"{len(self.checkpoint_manager.failed_ids)} with failed requests")
        return line + (f" ({', '.join(extra)})" if extra else "")

    async def metrics_reporter(self, interval: int = 600) -> None:
        """The progress line every few seconds; datatrove's metrics tables every ``interval`` s."""
        last_table = time.monotonic()
        while True:
            await asyncio.sleep(PROGRESS_EVERY_S)
            logger.info(self.progress())
            if time.monotonic() - last_table >= interval:
                last_table = time.monotonic()
                logger.info("\n" + str(self.metrics))
                logger.info("\n" + str(self.queue_sizes))

    def _check_failures(self) -> None:
        if not self._failed_requests:
            return
        share = self._failed_requests / max(self._requests, 1)
        summary = (
            f"{self.label}: {self._failed_requests} of {self._requests} requests failed ({share:.0%})"
            f" after their retries; first: {self._first_failure}"
        )
        if share > self.max_failed:
            raise StageFailed(
                f"{summary}. That is more than --max-failed {self.max_failed:g}: the stage is not marked "
                "complete; rerun the same command to send only the failed requests again",
                RETRY_LATER,
            )
        logger.warning(f"{summary} (within --max-failed {self.max_failed:g}: recorded per row)")

    async def run_async(self, data_gen, rank: int = 0) -> None:
        asyncio.get_running_loop().set_exception_handler(_quiet_stops)
        try:
            await super().run_async(data_gen, rank)
        finally:
            logger.info(self.progress())
        self._check_failures()

    def run(self, data, rank: int = 0, world_size: int = 1) -> None:
        quiet_stage_failures()  # this process may be a pool worker or a Slurm job
        if self.total_documents is not None:
            try:
                self._total = self.total_documents(rank, world_size)
            except Exception as err:  # noqa: BLE001 - progress must never stop the work
                logger.warning(f"{self.label}: could not count the input ({err}); progress shows no total")
        super().run(data, rank, world_size)


def make_inference_runner(
    rollout: RolloutFunction,
    output_writer: DiskWriter,
    settings: GenerationSettings,
    checkpoints_dir: str | None = None,
    records_per_chunk: int = 500,
    shared_context: dict[str, Any] | None = None,
    server_log_folder: str | None = None,
    ready_timeout_s: float = 60.0,
    label: str = "generate",
    total_documents: Callable[[int, int], int] | None = None,
) -> CrossThinkInferenceRunner:
    """An InferenceRunner step for ``rollout`` (``async def rollout(doc, generate, **ctx)``).

    The rollout receives ``generation_params`` (:meth:`GenerationSettings.request_params`) next to
    ``shared_context`` and merges them into each payload. It must let :class:`GenerationStopped`
    (a ``ServerError``) through and may catch :class:`GenerationFailed` to record it per row.
    ``checkpoints_dir`` (local) makes a killed or failed task resume where it stopped; the writer's
    filename then needs ``${chunk_index}``. ``label`` and ``total_documents(rank, world_size)``
    make the progress line ("generate: 120 of 480 documents").
    """
    settings.check_server()
    ready_delay_s = 2.0 if settings.server_type == "endpoint" else 5.0
    config = InferenceConfig(
        server_type=settings.server_type,
        model_name_or_path=settings.model,
        endpoint_url=settings.endpoint_url,
        api_key=secret(settings.resolved_api_key()),  # executor.json shows it as ***
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
        max_attempts=settings.max_attempts,
        max_failed=settings.max_failed,
        label=label,
        total_documents=total_documents,
    )
