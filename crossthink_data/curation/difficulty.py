"""Difficulty filtering: k answers per question, scored by the shared answer checker.

The paper removes the questions that Qwen2.5-7B (the base model, zero-shot) already solves, and
trains Qwen2.5-32B on what is left (+2.15 points, Table 7). For each row we send its training
prompt (the same T_MCQ / T_Open messages GRPO will use, no examples: zero-shot) ``k`` times to a
model through datatrove's ``InferenceRunner`` (an OpenAI-compatible endpoint via
:mod:`crossthink_data.inference`, or ``server_type="vllm"``, which datatrove starts itself), score
every answer with :func:`crossthink_data.answers.score_batch` (with its own time bounds, off the
event loop), and store ``pass_rate``, ``difficulty_model`` and ``difficulty_samples`` as columns,
so anyone can refilter later without sampling again. ``max_pass_rate`` then drops the easy rows
(``0.0`` keeps only what the model never solved).

Solved means answer-only by default (``require_format=False``): a right final ``\\boxed{}``
answer counts, with or without a ``<think>`` block, as the paper's evaluation reads every model's
answer from ``\\boxed{}`` and a base model writes no ``<think>``. ``require_format=True`` (the
``--require-format`` flag) also asks for the training format, as the reward does.

Defaults (:func:`default_difficulty_generation`, ``samples=1``): Qwen/Qwen2.5-7B, one greedy
answer (temperature 0). The paper names the model and "zero-shot" but states no number of samples
or temperature; one greedy answer is what "solved zero-shot" reads as, and is how the paper decodes
the same base model in its evaluation (greedy). ``-k 8 --temperature 1.0`` gives a pass rate instead.

Two datatrove stages: the InferenceRunner (a terminal step; chunked and checkpointed, so a killed
run resumes) writes ``scored/``; a filter stage reads it and writes ``data/`` and ``removed/``.
``scored/`` also keeps, per row, how many samples had the right format
(:func:`~crossthink_data.answers.check_format`) and the first response, so the report can tell
"wrong answer" from "ignored the format" and show what the model wrote.

Failures fail (:mod:`crossthink_data.inference`): an endpoint that is not usable or a refused
request stops sampling at once; samples that fail after their retries are left out of the row's
pass rate (``difficulty_samples`` says how many counted; a row whose samples all failed keeps
``pass_rate = null`` and is kept: unknown difficulty is not easy), and when more than
``generation.max_failed`` of the requests failed, sampling raises and is not marked complete: the
rerun sends only the failed samples again.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any

import pyarrow as pa
from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.inference.types import InferenceError

from crossthink_data import storage
from crossthink_data.config import max_rejected_field
from crossthink_data.inference import GenerationSettings
from crossthink_data.rows import (
    CURATION_FIELDS,
    check_input,
    document_row,
    input_schema,
    make_reader,
    make_writer,
    read_counts,
    task_row_count,
)

# scored/ only (data/ keeps the curation fields): what the report reads about the samples
SAMPLE_FIELDS = {"difficulty_format_ok": pa.int32(), "difficulty_response": pa.string()}
REPORT_RESPONSES = 5  # responses kept in report.json (the first rows')
RESPONSE_CHARS = 2000


PAPER_DIFFICULTY_MODEL = "Qwen/Qwen2.5-7B"  # the base model (arXiv 2504.13941, Table 7 / Section 5)


def default_difficulty_generation() -> GenerationSettings:
    """The difficulty model as in the paper: Qwen2.5-7B base, one greedy answer of up to 4096 tokens."""
    return GenerationSettings(model=PAPER_DIFFICULTY_MODEL, temperature=0.0, max_tokens=4096)


@dataclass
class DifficultySettings:
    """Which model answers and how (``generation``), how often (``samples``), and the cut-off.

    As YAML (a build recipe's ``difficulty:``): ``{samples: 1, max_pass_rate: 0.0, require_format:
    false, generation: {model: Qwen/Qwen2.5-7B, temperature: 0.0, endpoint_url:
    "http://localhost:8000/v1"}}``; the key comes from ``CROSSTHINK_API_KEY`` (or
    ``generation.api_key_env``). ``require_format``: count an answer as solved only when it also
    has the ``<think>...</think>`` format (default false: the right boxed answer suffices).
    """

    generation: GenerationSettings
    samples: int = field(default=1, metadata={"min": 1})
    max_pass_rate: float | None = field(default=None, metadata={"min": 0.0, "max": 1.0})
    require_format: bool = False
    template: str = "open"
    records_per_chunk: int = field(default=500, metadata={"min": 1})
    max_rejected: float = max_rejected_field()  # share of input rows that may be unreadable

    def __post_init__(self) -> None:
        if self.samples < 1:
            raise ValueError(f"samples must be at least 1, got {self.samples}")
        if self.max_pass_rate is not None and not 0.0 <= self.max_pass_rate <= 1.0:
            raise ValueError(f"max_pass_rate must be within [0, 1], got {self.max_pass_rate}")
        if self.generation.response_format != "none":
            raise ValueError(
                "response_format constrains Syn-QA replies (mine); difficulty samples free answers"
            )
        self.generation.check_server()

    @property
    def model(self) -> str:
        return self.generation.model


def prompt_and_gold(
    document: Document, template: str = "open"
) -> tuple[list[dict], str, str, list[str] | None]:
    """The training prompt and what the checker compares with; renders plain records with ``template``."""
    meta = document.metadata
    if meta.get("prompt") and meta.get("ground_truth") is not None and meta.get("kind"):
        prompt, gold, kind = meta["prompt"], meta["ground_truth"], meta["kind"]
    else:
        from crossthink_data.record import from_document
        from crossthink_data.templates import render

        row = render(from_document(document), template)
        prompt, gold, kind = row["prompt"], row["ground_truth"], row["kind"]
    options = meta.get("options") if kind == "mcq" else None
    return [dict(m) for m in prompt], str(gold), str(kind), list(options) if options is not None else None


async def difficulty_rollout(
    document: Document,
    generate,
    samples: int = 1,
    generation_params: dict[str, Any] | None = None,
    model: str = "",
    template: str = "open",
    require_format: bool = False,
) -> dict[str, Any]:
    """k generations for one row, each scored; a failed sample is counted, a stopped run raises.

    ``require_format=False`` (the paper's "solved"): the right final boxed answer is enough.
    """
    from crossthink_data.answers import check_format, score_batch

    try:
        prompt, gold, kind, options = prompt_and_gold(document, template)
    except Exception as err:  # a row that cannot be prompted: keep it, unscored, and say why
        return {"pass_rate": None, "samples": 0, "errors": samples, "model": model, "error": str(err)[:300]}
    base = {"messages": prompt, **(generation_params or {})}

    async def one(sample: int) -> str | InferenceError:
        # A per-sample seed makes the k requests distinct (datatrove's request cache keys on the
        # payload, so identical requests would return one cached answer k times) and reproducible.
        # Only a failed request is recorded; GenerationStopped (not usable, refused) passes through.
        try:
            return (await generate({**base, "seed": sample})).text or ""
        except InferenceError as err:
            return err

    results = await asyncio.gather(*(one(i) for i in range(samples)))
    texts = [r for r in results if isinstance(r, str)]
    errors = [r for r in results if not isinstance(r, str)]
    count = len(texts)
    scores = await asyncio.to_thread(
        score_batch, texts, [gold] * count, [kind] * count, [options] * count, require_format=require_format
    )
    result = {
        "pass_rate": sum(scores) / len(scores) if scores else None,
        "samples": len(scores),
        "errors": len(errors),
        "format_ok": sum(map(check_format, texts)),
        "response": texts[0][:RESPONSE_CHARS] if texts else None,
        "model": model,
    }
    if errors:
        result["error"] = str(errors[0])[:300]
    return result


def scored_row(writer, document: Document) -> dict:
    """Writer adapter: the row plus ``pass_rate``, ``difficulty_model``, ``difficulty_samples``,
    and for the report ``difficulty_format_ok`` (well-formed samples) and ``difficulty_response``."""
    meta = dict(document.metadata)
    results = meta.pop("rollout_results", None) or [{}]
    result = results[0] if isinstance(results, list) else results
    row = document_row(writer, Document(text=document.text, id=document.id, metadata=meta))
    row.update(
        pass_rate=result.get("pass_rate"),
        difficulty_model=result.get("model"),
        difficulty_samples=result.get("samples", 0),
        difficulty_format_ok=result.get("format_ok", 0),
        difficulty_response=result.get("response"),
    )
    return row


class PassRateFilter(BaseFilter):
    """Drops rows the model solved more often than ``max_pass_rate``; unscored rows are kept."""

    name = "🎯 pass-rate filter"

    def __init__(self, max_pass_rate: float | None, exclusion_writer=None) -> None:
        super().__init__(exclusion_writer=exclusion_writer)
        self.max_pass_rate = max_pass_rate

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        rate = doc.metadata.get("pass_rate")
        if rate is None:
            self.stat_update("unscored")
            return True
        if self.max_pass_rate is not None and rate > self.max_pass_rate:
            return False, "too_easy"
        return True


@dataclass
class DifficultyReport:
    """Rows read, kept and dropped (``rows_in`` = kept + too easy + rejected on read, by reason);
    pass-rate histogram (tenths) over the scored rows.

    ``require_format`` and ``temperature`` say how "solved" was judged and sampled (the card shows them).

    ``format_rate``: the share of scored samples whose format is well formed (``check_format``):
    a low pass rate with a low format rate means the model ignored the format, not the question.
    ``failed_samples``: samples whose request failed after its retries (left out of pass rates).
    ``responses``: the first responses (of the first rows), to read what the model wrote.
    """

    model: str
    samples: int
    max_pass_rate: float | None
    require_format: bool = False
    temperature: float | None = None
    rows_in: int = 0
    kept: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    too_easy: int = 0
    unscored: int = 0
    failed_samples: int = 0
    format_rate: float | None = None
    histogram: dict[str, int] = field(default_factory=dict)
    responses: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)


def score_difficulty(
    input_dir: str,
    output_dir: str,
    settings: DifficultySettings,
    tasks: int = 1,
    workers: int = 1,
    limit: int = -1,
    executor: str = "local",
) -> DifficultyReport:
    """Samples, scores and filters every row under ``input_dir``; writes ``data/``, ``rejected/`` (rows
    that cannot be read) and ``report.json``; stops before sampling when more than
    ``settings.max_rejected`` of the input rows were rejected.

    Both folders are storage URLs. datatrove's inference checkpoints must be local: they live in
    ``output_dir/checkpoints`` for a local output, else in a local scratch folder keyed by the URL
    (:func:`crossthink_data.storage.local_scratch`), so a rerun on the same machine resumes.
    ``limit``: rows per task, for trials (``-1``: all).

    Raises:
        StageFailed: sampling stopped (endpoint not usable, a refused request) or more than
            ``generation.max_failed`` of its requests failed; nothing is filtered or reported.
    """
    from datatrove.pipeline.writers import JsonlWriter

    from crossthink_data.executors import make_executor

    input_dir, out = storage.as_url(input_dir), storage.as_url(output_dir)
    # every row read (rejects counted) before a single request is sent
    check_input(input_dir, out, settings.max_rejected, "difficulty", limit=limit, tasks=tasks, workers=workers,
                executor=executor)  # fmt: skip
    schema = input_schema(input_dir, CURATION_FIELDS)
    runner = _sampling_runner(input_dir, out, settings, limit)
    make_executor(
        [make_reader(input_dir, limit=limit), runner],
        storage.join(out, "logs", "1_sample"),
        executor,
        tasks=tasks,
        workers=workers,
        stage="difficulty sampling",
    ).run()
    removed = JsonlWriter(storage.join(out, "removed"), output_filename="${rank}.jsonl", compression=None)
    make_executor(
        [
            make_reader(storage.join(out, "scored")),
            PassRateFilter(settings.max_pass_rate, removed),
            make_writer(storage.join(out, "data"), schema),
        ],
        storage.join(out, "logs", "2_filter"),
        executor,
        stage="difficulty filter",
    ).run()
    report = _report(out, settings)
    storage.write_text(storage.join(out, "report.json"), report.to_json())
    return report


def _sampling_runner(input_dir: str, out: str, settings: DifficultySettings, limit: int):
    """Step 1 of :func:`score_difficulty`: the inference runner that samples every row's answers and
    writes them, scored, to ``out/scored``."""
    from datatrove.pipeline.writers import ParquetWriter

    from crossthink_data.inference import make_inference_runner

    return make_inference_runner(
        difficulty_rollout,
        ParquetWriter(
            storage.join(out, "scored"),
            output_filename="${rank}_${chunk_index}.parquet",
            adapter=scored_row,
            schema=input_schema(input_dir, {**CURATION_FIELDS, **SAMPLE_FIELDS}),
            max_file_size=-1,
        ),
        settings.generation,
        checkpoints_dir=storage.local_scratch(out, "checkpoints"),
        records_per_chunk=settings.records_per_chunk,
        shared_context={
            "samples": settings.samples,
            "model": settings.model,
            "template": settings.template,
            "require_format": settings.require_format,
        },
        label="difficulty sampling",
        total_documents=partial(task_row_count, input_dir, limit=limit),
    )


def _report(out: str, settings: DifficultySettings) -> DifficultyReport:
    from crossthink_data.rows import read_table

    report = DifficultyReport(
        settings.model,
        settings.samples,
        settings.max_pass_rate,
        require_format=settings.require_format,
        temperature=settings.generation.temperature,
    )
    scored = read_table(storage.join(out, "scored"))
    rates = scored.column("pass_rate").to_pylist()
    report.rows_in = len(rates)
    report.unscored = sum(r is None for r in rates)
    report.too_easy = sum(
        r is not None and settings.max_pass_rate is not None and r > settings.max_pass_rate for r in rates
    )
    report.kept = report.rows_in - report.too_easy
    report.rejected = read_counts(storage.join(out, "logs", "0_read")).rejected
    report.rows_in += sum(report.rejected.values())  # rows read: scored + rejected
    names = set(scored.column_names)
    counted = scored.column("difficulty_samples").to_pylist()
    if "difficulty_format_ok" in names:  # scored/ written before the format rate existed: none
        well_formed = sum(n or 0 for n in scored.column("difficulty_format_ok").to_pylist())
        report.format_rate = well_formed / sum(n or 0 for n in counted) if any(counted) else None
    report.failed_samples = sum(settings.samples - (n or 0) for n in counted)
    if "difficulty_response" in names:
        keep = ("id", "question", "ground_truth", "pass_rate", "difficulty_format_ok", "difficulty_response")
        for row in scored.select([k for k in keep if k in names]).to_pylist():
            if row.get("difficulty_response") is not None and len(report.responses) < REPORT_RESPONSES:
                report.responses.append(row)
    bins: dict[str, int] = {}
    for r in rates:
        if r is not None:
            low = min(int(r * 10), 9) / 10
            key = f"{low:.1f}-{low + 0.1:.1f}"
            bins[key] = bins.get(key, 0) + 1
    report.histogram = dict(sorted(bins.items()))
    return report


__all__ = [
    "PAPER_DIFFICULTY_MODEL",
    "DifficultyReport",
    "DifficultySettings",
    "default_difficulty_generation",
    "PassRateFilter",
    "difficulty_rollout",
    "prompt_and_gold",
    "score_difficulty",
    "scored_row",
]
