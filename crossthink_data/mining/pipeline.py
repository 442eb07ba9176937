"""The Common Crawl miner, whole: WARC -> text -> quality -> domain -> LLM questions -> records.

    CPU job (one datatrove pipeline, `tasks` tasks, one WARC file per task at a time)
      CountingWarcReader   WARC records -> HTML documents (bad input skipped and counted)
      URL filter           FineWeb's block lists, before extraction because it is cheap
      Trafilatura          HTML -> main text (per-page timeout)            -> DIR/extract/
      quality filters      English, Gopher repetition + quality, C4, FineWeb -> DIR/filter/
      DomainLabeller       fastText trained on MMLU: stem/humanities/social_sciences/other
      CategoryBudget       confident documents, at most `budget` per category -> DIR/domain/
    GPU job (depends on the CPU job)
      InferenceRunner      versioned prompt -> N MCQs per document as JSON   -> DIR/generate/
                           (vLLM on the node, or any OpenAI-compatible endpoint)
    parse jobs (depend on the GPU job; one per output config)
      ParseGenerations     strict JSON -> QARecord(source="syn_qa")          -> DIR/parse/records/
      FilterH + template   the paper's filter H and T_MCQ / T_Open           -> DIR/parse/{mcq,open}/

Dropped documents go to ``DIR/exclusions/<filter>/`` and unusable replies to ``DIR/rejects/``,
each with ``filter_reason``. Generation fails loudly (:mod:`crossthink_data.inference`): a refused
request or an unusable endpoint stops it at once, more than ``generation.max_failed`` failed
requests fail it; either way it raises :class:`~crossthink_data.executors.StageFailed`, is not
marked complete, the parse stages do not run, and a rerun sends only the missing requests. Logs, stats and completion markers are under ``DIR/logs/<stage>/``:
rerunning the same command skips finished tasks and redoes unfinished ones from their start
(generation resumes from its local checkpoints and request cache), so a killed run, rerun,
equals an uninterrupted one.

``DIR`` and the input are storage URLs (a local path, ``file://``, ``s3://``, any fsspec URL): every
folder is joined and read through :mod:`crossthink_data.storage`. Only generation's checkpoints
stay on local disk (datatrove requires it): ``DIR/checkpoints`` for a local ``DIR``, otherwise a
local cache folder named after ``DIR`` (see :meth:`MinerConfig.checkpoints`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter, ParquetWriter

from crossthink_data import rows, storage
from crossthink_data.executors import make_executor, slurm_stage_options
from crossthink_data.inference import GenerationSettings
from crossthink_data.mining.domain import DEFAULT_MODEL, WEB_CATEGORIES, CategoryBudget, DomainLabeller
from crossthink_data.mining.generation import (
    DEFAULT_QUESTIONS_PER_DOC,
    default_generation,
    generate_questions,
)
from crossthink_data.mining.parse import REPLY_SCHEMA, SCHEMA_NAME, ParseGenerations
from crossthink_data.mining.quality import (
    DEFAULT_EXTRACT_TIMEOUT_S,
    exclusion_writer,
    extractor,
    quality_filters,
    url_filter,
)
from crossthink_data.mining.warc import (
    DEFAULT_GLOB,
    DEFAULT_MAX_PAGE_BYTES,
    CountingWarcReader,
    check_warc_input,
    warc_input,
)

CPU_STAGES = ("extract", "filter", "domain")
STAGES = (*CPU_STAGES, "generate", "parse")
PARSE_CONFIGS = ("records", "mcq", "open")
COMMON_CRAWL = "s3://commoncrawl"


# what the miner writes at the top of its output folder (a file of the user's there stops it)
MINE_WRITES = (
    "exclusions", "extract", "filter", "domain", "generate", "parse", "rejects", "logs", "checkpoints",
    "chunking.json", "warc.paths", "fingerprint.json", "report.json",
)  # fmt: skip


@dataclass
class MinerConfig:
    """Everything the miner needs; the CLI's `mine` options map one to one onto these fields."""

    input: str  # a folder (with `glob`), a WARC file, a glob, or the root of `paths_file`'s paths
    output: str
    glob: str | None = DEFAULT_GLOB
    paths_file: str | None = None  # WARC paths relative to `input` (see `common_crawl_paths`)
    checkpoints_dir: str | None = None  # local; default: see `checkpoints`
    limit: int = field(default=-1, metadata={"min": -1})  # records per task, for trials (-1: all)
    max_page_bytes: int = DEFAULT_MAX_PAGE_BYTES
    extract_timeout_s: float = DEFAULT_EXTRACT_TIMEOUT_S
    lid_model: str | None = None
    domain_model: str = str(DEFAULT_MODEL)
    categories: tuple[str, ...] = WEB_CATEGORIES
    budget: int | None = field(default=None, metadata={"min": 1})  # documents per category, whole run
    min_confidence: float = field(default=0.5, metadata={"min": 0.0, "max": 1.0})
    # generation: model, server, key, timeouts, attempts, concurrency, sampling (one vocabulary
    # with `difficulty`; see crossthink_data.inference.GenerationSettings)
    generation: GenerationSettings = field(default_factory=default_generation)
    questions_per_doc: int = field(default=DEFAULT_QUESTIONS_PER_DOC, metadata={"min": 1})
    records_per_chunk: int = 500
    extra: dict[str, Any] = field(default_factory=dict)

    def path(self, *parts: str) -> str:
        """``output/part/...``; string joining keeps ``s3://`` and other URLs intact."""
        return storage.join(self.output, *parts)

    def checkpoints(self, *parts: str) -> str:
        """Local folder of generation's checkpoints and request cache (datatrove writes them with os).

        ``checkpoints_dir`` when set (a path or ``file://`` URL); else ``OUTPUT/checkpoints`` when the
        output is local; else a local cache folder derived from the output URL
        (:func:`crossthink_data.storage.local_scratch`), so a rerun on the same machine resumes.
        """
        if self.checkpoints_dir:
            if not storage.is_local(self.checkpoints_dir):
                raise ValueError(
                    f"--checkpoints-dir {self.checkpoints_dir} must be on local disk "
                    "(datatrove's InferenceRunner writes its checkpoints with the os module)"
                )
            root = storage.local_path(self.checkpoints_dir)
        else:
            root = storage.local_scratch(self.output, "checkpoints")
        return storage.join(root, *parts)


def common_crawl_paths(snapshot: str, first: int, last: int, dest: str, root: str = COMMON_CRAWL) -> str:
    """Write the WARC paths ``first..last`` (inclusive) of a CC snapshot's ``warc.paths.gz`` to ``dest``.

    Use with ``MinerConfig(input=root, paths_file=dest, glob=None)``; ``root`` may be
    ``https://data.commoncrawl.org`` or a local mirror with the same layout.
    """
    from datatrove.io import open_file

    with open_file(f"{root.rstrip('/')}/crawl-data/{snapshot}/warc.paths.gz", "rt", compression="gzip") as f:
        paths = [line.strip() for line in f if line.strip()]
    if not 0 <= first <= last < len(paths):
        raise ValueError(f"{snapshot} has {len(paths)} WARC files; shard range {first}..{last} is outside it")
    storage.write_text(dest, "\n".join(paths[first : last + 1]) + "\n")
    return storage.as_url(dest)


def _jsonl(folder: str) -> JsonlWriter:
    return JsonlWriter(folder, output_filename="${rank}.jsonl.gz")


def cpu_pipeline(cfg: MinerConfig, until: str = "domain") -> list[PipelineStep]:
    """Read, extract, filter and label; stops after stage ``until`` (extract, filter or domain)."""
    if until not in CPU_STAGES:
        raise ValueError(f"the CPU job ends at one of {CPU_STAGES}, not {until!r}")
    exclusions = cfg.path("exclusions")
    folder, glob = (cfg.input, None) if cfg.paths_file else warc_input(cfg.input, cfg.glob)
    steps: list[PipelineStep] = [
        CountingWarcReader(
            folder,
            paths_file=cfg.paths_file,
            glob_pattern=glob,
            limit=cfg.limit,
            max_page_bytes=cfg.max_page_bytes,
        ),
        url_filter(exclusions),
        extractor(cfg.extract_timeout_s),
        _jsonl(cfg.path("extract")),
    ]
    if until == "extract":
        return steps
    steps += [*quality_filters(exclusions, cfg.lid_model), _jsonl(cfg.path("filter"))]
    if until == "filter":
        return steps
    return [
        *steps,
        DomainLabeller(cfg.domain_model),
        CategoryBudget(
            cfg.categories,
            cfg.budget,
            cfg.min_confidence,
            exclusion_writer=exclusion_writer(exclusions, "domain"),
        ),
        _jsonl(cfg.path("domain")),
    ]


def generation_pipeline(cfg: MinerConfig) -> list[PipelineStep]:
    """Labelled documents -> one generation request each -> DIR/generate (resumable by chunks)."""
    from crossthink_data.inference import make_inference_runner

    _check_chunking(cfg.checkpoints("generate"), cfg.records_per_chunk)
    writer = JsonlWriter(cfg.path("generate"), output_filename="${rank}_chunk_${chunk_index}.jsonl.gz")
    runner = make_inference_runner(
        generate_questions,
        writer,
        cfg.generation,
        checkpoints_dir=cfg.checkpoints("generate"),
        records_per_chunk=cfg.records_per_chunk,
        shared_context={
            "questions_per_doc": cfg.questions_per_doc,
            "response_format": cfg.generation.response_format_for(REPLY_SCHEMA, SCHEMA_NAME),
        },
        server_log_folder=cfg.path("logs", "generate", "server"),
        label="generate",
        total_documents=partial(rows.task_row_count, cfg.path("domain")),
    )
    return [JsonlReader(cfg.path("domain")), runner]


def _check_chunking(checkpoints: str, records_per_chunk: int) -> None:
    """A resumed run skips ``finished_chunks * records_per_chunk`` documents: the size must not change."""
    settings = storage.join(checkpoints, "chunking.json")
    if storage.exists(settings):
        previous = storage.read_json(settings)["records_per_chunk"]
        if previous != records_per_chunk:
            raise ValueError(
                f"{checkpoints} was written with records_per_chunk={previous}; resume with the same value "
                f"(got {records_per_chunk}) or delete the folder to start generation over"
            )
    else:
        storage.write_json(settings, {"records_per_chunk": records_per_chunk})


def parse_pipeline(cfg: MinerConfig, config: str) -> list[PipelineStep]:
    """Generated replies -> records (``records``), or filter H + template (``mcq``/``open``) -> parquet."""
    from crossthink_data.record import arrow_schema
    from crossthink_data.rows import document_row
    from crossthink_data.steps import FilterH, TemplateRenderer

    if config not in PARSE_CONFIGS:
        raise ValueError(f"unknown parse config {config!r}; expected one of {PARSE_CONFIGS}")
    rejects = _jsonl(cfg.path("rejects", "parse")) if config == "records" else None
    steps: list[PipelineStep] = [
        JsonlReader(cfg.path("generate")),
        ParseGenerations(cfg.generation.model, rejects_writer=rejects),
    ]
    if config != "records":
        steps += [
            FilterH(config, exclusion_writer=_jsonl(cfg.path("rejects", f"filter_h_{config}"))),
            TemplateRenderer(config),
        ]
    steps.append(
        ParquetWriter(
            cfg.path("parse", config),
            output_filename="${rank}.parquet",
            adapter=document_row,
            schema=arrow_schema(templated=config != "records"),
            max_file_size=-1,
        )
    )
    return steps


def _executor(steps, cfg: MinerConfig, stage: str, executor: str, tasks: int, workers: int, **slurm):
    return make_executor(
        steps,
        cfg.path("logs", stage),
        executor,
        tasks,
        workers,
        job_name=f"mine_{stage}",
        stage=stage,
        **slurm,
    )


def build_executors(
    cfg: MinerConfig,
    until: str = "domain",
    executor: str = "local",
    tasks: int = 1,
    workers: int = 1,
    gpu_tasks: int = 1,
    cpu_slurm: dict[str, Any] | None = None,
    gpu_slurm: dict[str, Any] | None = None,
) -> list:
    """The executors of every stage up to ``until``, in order; on Slurm each depends on the one before."""
    if until not in STAGES:
        raise ValueError(f"--until must be one of {STAGES}, not {until!r}")
    cpu_slurm, gpu_slurm = dict(cpu_slurm or {}), dict(gpu_slurm or {})
    chain = [
        _executor(
            cpu_pipeline(cfg, min(until, "domain", key=STAGES.index)),
            cfg,
            "cpu",
            executor,
            tasks,
            workers,
            **cpu_slurm,
        )
    ]
    if STAGES.index(until) >= STAGES.index("generate"):
        if executor == "slurm":
            gpu_slurm["depends"] = chain[-1]
        chain.append(
            _executor(generation_pipeline(cfg), cfg, "generate", executor, gpu_tasks, gpu_tasks, **gpu_slurm)
        )
    if until == "parse":
        for config in PARSE_CONFIGS:
            extra = {**cpu_slurm, "depends": chain[-1]} if executor == "slurm" else {}
            chain.append(
                _executor(
                    parse_pipeline(cfg, config), cfg, f"parse_{config}", executor, gpu_tasks, workers, **extra
                )
            )
    return chain


def run_miner(cfg: MinerConfig, until: str = "domain", executor: str = "local", **kwargs) -> dict[str, Any]:
    """Run (local) or submit (slurm) every stage up to ``until``; returns a summary of the outputs."""
    if not cfg.paths_file:
        check_warc_input(cfg.input, cfg.glob)  # a wrong --input is one clear error, not a failed task
    chain = build_executors(cfg, until, executor, **kwargs)
    if executor == "slurm" and slurm_stage_options() is None:  # not a build's driver job, which waits
        chain[-1].run()  # launches its dependencies first, each as a job array
        return {"submitted": [getattr(e, "job_id", None) for e in chain], "output": cfg.output}
    for stage_executor in chain:
        stage_executor.run()
    return summarize(cfg, until)


def read_jsonl_folder(folder: str) -> list[dict[str, Any]]:
    """Every row of a stage's ``*.jsonl.gz`` files (any storage), files in name order; none: ``[]``."""
    try:
        return list(rows.iter_rows(storage.as_url(folder)))
    except FileNotFoundError:  # the stage wrote nothing (no document reached its writer)
        return []


def summarize(cfg: MinerConfig, until: str) -> dict[str, Any]:
    """Counts a user wants after a run: documents per stage, categories, records, rejects (unusable
    replies) and, per template, filter H's drops by rule."""
    summary: dict[str, Any] = {"output": cfg.output}
    for stage in CPU_STAGES[: CPU_STAGES.index(min(until, "domain", key=STAGES.index)) + 1]:
        summary[f"{stage}_documents"] = len(read_jsonl_folder(cfg.path(stage)))
    if STAGES.index(until) >= STAGES.index("domain"):
        summary["categories"] = dict(
            sorted(
                Counter(row["metadata"]["category"] for row in read_jsonl_folder(cfg.path("domain"))).items()
            )
        )
    if STAGES.index(until) >= STAGES.index("generate"):
        summary["generated_documents"] = len(read_jsonl_folder(cfg.path("generate")))
    if until == "parse":
        for config in PARSE_CONFIGS:
            summary[f"{config}_rows"] = rows.count_rows(cfg.path("parse", config))
        summary["rejects"] = dict(
            sorted(
                Counter(
                    r["metadata"]["filter_reason"] for r in read_jsonl_folder(cfg.path("rejects", "parse"))
                ).items()
            )
        )
        summary["filter_h_drops"] = {
            config: dict(
                sorted(
                    Counter(
                        r["metadata"]["filter_reason"]
                        for r in read_jsonl_folder(cfg.path("rejects", f"filter_h_{config}"))
                    ).items()
                )
            )
            for config in PARSE_CONFIGS
            if config != "records"
        }
    return summary
