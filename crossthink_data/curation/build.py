"""`crossthink-data build RECIPE`: the whole data recipe in one resumable command, into ONE Hub repo.

    sources -> filter H -> T_MCQ / T_Open      (crossthink_data.sources: datatrove pipelines per source)
      [+ Common Crawl mining -> Syn-QA]         (crossthink_data.mining, when the recipe has ``mine``)
      -> decontaminate -> dedup -> difficulty  (this package; difficulty only when enabled)
      -> blends                                (sampled per recipe blend)
      -> export                                (one Hub dataset repo at ``output``)

The output is one dataset repo (:func:`crossthink_data.hub.export_repo`): configs
``<source>-records``, ``<source>-<template>``, ``blend-<name>`` and ``blend-<name>-verl``, and one
card whose numbers come from the reports below. Intermediate stages live beside it, never in it
(the repo is what ``push`` uploads): ``<parent of output>/_work/<output name>/`` by default
(``demo_output/crossthink`` -> ``demo_output/_work/crossthink``), or ``work_dir``. Its layout is
:mod:`crossthink_data.curation.work`'s, the one every single-stage command writes too (``sources
-o WORK``, ``decontaminate -o WORK``, ...), and ``export WORK -o REPO`` writes the same repo from it:

    sources/<source>/{parquet,rejects,logs}/<config>   datatrove's output and completion markers
    sources/report.json                               every source's counts per config
    mining/                                           the miner's stages, its report.json
    curation/{0_pool,0_sample,1_decont,2_dedup,3_difficulty}  stage rows + report.json + fingerprint.json
    blends/<name>/                                    the blend's rows + report.json + fingerprint.json
    export/{fingerprint,report}.json                  what the repo at ``output`` was exported from
    build_summary.json                                every report, as the card read them

Resuming (one rule, :mod:`crossthink_data.resume`): a source, curation stage, blend or export that
finished on the same inputs (every file's path, size and modification time) and settings is
skipped; a changed input or setting clears it, says so in one line, and so redoes every stage
after it. Rerunning the same command after a crash (even a SIGKILL) redoes only what was
unfinished, and the export swaps the new repo in only when every config succeeded. ``output``,
``work_dir`` and a source's ``from_dir`` are any storage URL. ``executor: slurm`` submits a one-CPU
driver job that runs the same command with every stage as datatrove job arrays (the recipe's
``slurm:`` holds their options), each submitted when the one before it ended; the blends and the
export run in the driver.

Recipes ship in ``crossthink_data/recipes/`` (``demo``, ``paper``); the format, every key but
``sources`` optional::

    name: crossthink                 # the repo's name (card title, placeholder repo id)
    pretty_name: CrossThink
    description: "..."
    output: build_output/crossthink  # the repo (local path or storage URL)
    work_dir: null                   # default: <parent of output>/_work/<output name>
    executor: local                  # local, slurm or ray
    tasks: 1
    workers: 1
    slurm: {partition: cpu, time: "24:00:00", cpus_per_task: 1, mem_per_cpu_gb: 4}  # every stage array
    sources:
      - mmlu_train
      - {name: natural_reasoning, from_dir: /data/natural_reasoning, sample: 100000, target: 100000}
    templates: [mcq, open]
    mine: {input: pages/, glob: "*.warc.gz", generation: {model: ..., endpoint_url: ...}}  # optional
    decontaminate: {benchmarks: ../shared/data/benchmarks, only: null, n_grams: 12, min_overlap: 0.5,
                    keep_numbers: true}  # keep_numbers: false maps every number to 0 (datatrove's default)
    # or lighteval task names: {benchmarks: "math_500,mmlu_pro", custom_tasks: crossthink_eval.crossthink_tasks}
    dedup: {trust_order: null, near: true}
    difficulty: {enabled: true, samples: 1, max_pass_rate: 0.0, require_format: false,  # generation: the flags' keys
                 generation: {model: Qwen/Qwen2.5-7B, temperature: 0.0, endpoint_url: "http://localhost:8000/v1"}}
    blends: [crossthink, natural]
    default_blend: crossthink        # blend-<this> is the repo's default config
    commercial_only: false
    sample_seed: 0                   # seed of every source's `sample`
    rows_per_shard: 100000

Each section is read into its settings dataclass by the one strict loader
(:func:`crossthink_data.config.from_dict`): ``mine`` -> :class:`MineSettings`, ``decontaminate`` ->
:class:`DecontStage` (:class:`~crossthink_data.curation.decont.DecontSettings` + what to index),
``dedup`` -> :class:`~crossthink_data.curation.dedup.DedupSettings`, ``difficulty`` ->
:class:`DifficultyStage`, ``generation`` -> :class:`~crossthink_data.inference.GenerationSettings`.
A typo, a wrong type (``"no"`` for a boolean, ``"10"`` for a number), a value out of range or an
unknown choice stops the build with one line naming the key, before any stage runs; ``null``
means a key's default.

A source's ``sample`` keeps that many of its questions after filter H (all its rows: T_MCQ and
T_Open share the question's ``id``), drawn by a hash of the question id keyed by ``sample_seed``
(:mod:`crossthink_data.curation.sample`), before decontamination: the recipe ``paper`` samples
every source to the paper's Table 1 count. ``target`` is the count the paper reports; the card sets
it beside this build's counts and says where the upstream size, filter H or curation made ours
smaller. ``limit`` caps the upstream rows read (the first ones, not a sample).
"""

from __future__ import annotations

import functools
import json
import os
import posixpath
import shlex
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from crossthink_data import storage
from crossthink_data.config import (
    ConfigError,
    Executor,
    check_keys,
    field_names,
    from_dict,
    load_yaml,
    public,
)
from crossthink_data.curation.decont import DecontSettings
from crossthink_data.curation.dedup import DedupSettings
from crossthink_data.curation.difficulty import DifficultySettings
from crossthink_data.curation.work import (
    BLENDS,
    CURATION,
    MINING,
    REPORT,
    SOURCES,
    WORK_ENTRIES,
    finished,
    finished_blends,
    link_pool,
    mined_files,
    run_blend_stage,
    run_stage,
    stage_dir,
    stage_inputs,
    templated_pool,
)
from crossthink_data.executors import SLURM_STAGES_ENV, slurm_array_options, slurm_stage_options
from crossthink_data.inference import GenerationSettings


@dataclass
class SourceSpec:
    name: str
    from_dir: str | None = None  # storage URL of the upstream files (None: the Hub)
    limit: int | None = field(default=None, metadata={"min": 1})  # upstream rows read at most
    target: int | None = field(default=None, metadata={"min": 0})  # questions the paper reports (card)
    # questions kept after filter H, drawn by seeded hash of the question id (curation/sample.py)
    sample: int | None = field(default=None, metadata={"min": 1})


@dataclass
class DecontStage(DecontSettings):
    """The recipe's ``decontaminate:`` section: what to index, and the :class:`DecontSettings`."""

    benchmarks: str = ""  # a benchmark folder or comma-separated lighteval task names
    only: list[str] | None = None  # benchmark folders to use (default: all)
    custom_tasks: str | None = None  # lighteval custom tasks module or file, for task names

    def __post_init__(self) -> None:
        if not self.benchmarks:
            raise ValueError(
                "benchmarks is required: a folder laid out <benchmark>/<file>, or lighteval task names"
            )

    def check_benchmarks(self, key: str = "decontaminate.benchmarks") -> None:
        """A ``benchmarks`` value written as a path must be a folder (else it would be read as task
        names and fail minutes later with "Cannot find task ... in task list")."""
        value = self.benchmarks
        if storage.is_dir(value) or "," in value:
            return
        if "/" in value or "\\" in value or value.startswith((".", "~")):
            raise ConfigError(
                f"{key}: folder {value} does not exist; give a folder laid out "
                "<benchmark>/<file> or comma-separated lighteval task names"
            )


@dataclass
class DifficultyStage(DifficultySettings):
    """The recipe's ``difficulty:`` section: :class:`DifficultySettings` and its ``enabled`` switch
    (a switched-off section is not checked for a usable server)."""

    enabled: bool = True

    def __post_init__(self) -> None:
        if self.enabled:
            super().__post_init__()


@dataclass
class MineSettings:
    """The recipe's ``mine:`` section: the pages to mine and, for Syn-QA, the generator (its keys
    over the miner's defaults: Qwen2.5-72B-Instruct, temperature 0.6, 2048 tokens)."""

    input: str
    glob: str = "**/*.warc.gz"
    limit: int = field(default=-1, metadata={"min": -1})  # records per task (-1: all)
    generation: GenerationSettings | None = None


@dataclass
class BuildConfig:
    """A parsed build recipe (see the module doc); every section is typed, so a typo or a wrong
    value anywhere stops :meth:`from_dict` with one line, before any stage runs."""

    sources: list[SourceSpec]
    name: str = "crossthink"
    pretty_name: str = "CrossThink"
    description: str = ""
    output: str = "build_output/crossthink"  # storage URL of the repo
    work_dir: str | None = None
    executor: Executor = "local"
    tasks: int = field(default=1, metadata={"min": 1})
    workers: int = field(default=1, metadata={"min": -1})
    slurm: dict[str, Any] = field(default_factory=dict)
    templates: list[Literal["mcq", "open"]] = field(default_factory=lambda: ["mcq", "open"])
    mine: MineSettings | None = None
    decontaminate: DecontStage | None = None
    dedup: DedupSettings | None = field(default_factory=DedupSettings)
    difficulty: DifficultyStage | None = None
    blends: list[str] = field(default_factory=lambda: ["crossthink"])
    default_blend: str = "crossthink"
    commercial_only: bool = False
    sample_seed: int = field(default=0, metadata={"min": 0})  # the seed of every source's ``sample``
    rows_per_shard: int = field(default=100_000, metadata={"min": 1})
    path: str | None = None  # where the recipe was read from
    recipe_name: str | None = field(default=None, init=False)  # a shipped recipe's name (for the card)

    @classmethod
    def load(
        cls,
        location: str | os.PathLike,
        sets: list[str] = (),
        from_dirs: list[str] = (),
        values: dict[str, Any] | None = None,
    ) -> BuildConfig:
        """A recipe file (any storage URL), with ``--set KEY=VALUE`` and ``--from-dir NAME=DIR``
        overrides and top-level ``values`` (the command's flags) applied before it is checked."""
        location = storage.decode_file_url(location)
        data = apply_overrides(load_yaml(location), sets, from_dirs)
        base = location.rsplit("/", 1)[0] if "/" in location else "."
        return cls.from_dict(data, base=base, path=location, values=values)

    @classmethod
    def from_dict(
        cls,
        data: dict[str, Any],
        base: str | Path = ".",
        path: str | None = None,
        values: dict[str, Any] | None = None,
    ) -> BuildConfig:
        """The recipe mapping through the one strict loader (:func:`crossthink_data.config.from_dict`),
        its relative locations resolved against ``base`` (``values``, the command's flags, are taken
        as given: relative to the current folder), then the rules between keys."""
        where = f"recipe {path}" if path else "recipe"
        check_keys(data, [name for name in field_names(cls) if name != "path"], where)
        if not data.get("sources"):
            raise ConfigError(f"{where}: the recipe needs at least one entry under 'sources'")
        config = from_dict(cls, {**_resolved(data, base), **(values or {}), "path": path}, f"{where}:")
        config.check(f"{where}:")
        return config

    def check(self, where: str = "recipe:") -> None:
        """The rules between keys and the checks of what the recipe names (blends, benchmark folder)."""
        from crossthink_data.curation.blends import BlendError, BlendSpec

        if not self.templates:
            raise ConfigError(f"{where} templates: must name at least one of ['mcq', 'open']")
        names = [s.name for s in self.sources]
        if len(set(names)) != len(names):
            raise ConfigError(f"{where} sources: a source is listed twice in {names}")
        for blend in self.blends:
            try:
                BlendSpec.load(blend)
            except BlendError as err:
                raise ConfigError(f"{where} blends: {err}") from None
        if self.blends and self.default_blend not in self.blends:  # no blends: the repo has none
            raise ConfigError(
                f"{where} default_blend: {self.default_blend!r} is not one of the recipe's blends {self.blends}"
            )
        if self.decontaminate:
            self.decontaminate.check_benchmarks(f"{where} decontaminate.benchmarks")

    @property
    def difficulty_settings(self) -> DifficultyStage | None:
        """The difficulty section, or None when it does not run."""
        if not self.difficulty or not self.difficulty.enabled:
            return None
        return self.difficulty


def _resolved(data: dict[str, Any], base: str | Path) -> dict[str, Any]:
    """The raw recipe with its relative locations resolved against the recipe's folder (or URL)."""
    values = dict(data)
    sources = []
    for entry in values["sources"]:
        entry = {"name": entry} if isinstance(entry, str) else entry
        if isinstance(entry, dict) and isinstance(entry.get("from_dir"), str):
            entry = {**entry, "from_dir": _resolve(entry["from_dir"], base)}
        sources.append(entry)
    values["sources"] = sources
    for key in ("output", "work_dir"):
        if isinstance(values.get(key), str):
            values[key] = _resolve(values[key], base)
    mine = values.get("mine")
    if isinstance(mine, dict) and isinstance(mine.get("input"), str):
        values["mine"] = mine = {**mine, "input": _resolve(mine["input"], base)}
    if isinstance(mine, dict) and isinstance(mine.get("generation"), dict):
        values["mine"] = {**mine, "generation": {**_miner_generation(), **mine["generation"]}}
    decont = values.get("decontaminate")
    if (
        isinstance(decont, dict)
        and isinstance(decont.get("benchmarks"), str)
        and "," not in decont["benchmarks"]
    ):
        candidate = _resolve(decont["benchmarks"], base)
        if storage.is_dir(candidate):
            values["decontaminate"] = {**decont, "benchmarks": candidate}
    return values


def _miner_generation() -> dict[str, Any]:
    """The miner's generator defaults (model, temperature 0.6, 2048 tokens), under which a recipe's
    ``mine.generation`` keys go (the miner is imported only for a recipe that generates)."""
    from crossthink_data.mining import default_generation

    return {k: v for k, v in public(default_generation(), None).items() if v is not None}


def apply_overrides(data: dict[str, Any], sets: list[str] = (), from_dirs: list[str] = ()) -> dict[str, Any]:
    """``KEY.SUB=VALUE`` (VALUE read as YAML) and ``SOURCE=DIR`` applied to a raw recipe mapping."""
    data = dict(data)
    for item in sets:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--set expects KEY=VALUE (dotted keys reach into sections), got {item!r}")
        node = data
        *parents, last = key.split(".")
        for part in parents:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node[part] = dict(node[part])
            node = node[part]
        node[last] = yaml.safe_load(raw)
    if from_dirs:
        sources = [{"name": s} if isinstance(s, str) else dict(s) for s in data.get("sources") or []]
        by_name = {s["name"]: s for s in sources}
        for item in from_dirs:
            name, sep, folder = item.partition("=")
            if not sep or not name or not folder:
                raise ConfigError(f"--from-dir expects SOURCE=DIR, got {item!r}")
            if name not in by_name:
                raise ConfigError(f"--from-dir {item}: the recipe has no source {name!r} ({sorted(by_name)})")
            by_name[name]["from_dir"] = os.path.abspath(folder) if "://" not in folder else folder
        data["sources"] = sources
    return data


def default_work_dir(output: str) -> str:
    """``<parent of output>/_work/<output name>``: beside the repo, never inside it."""
    url = storage.as_url(output).rstrip("/")
    parent, _, name = url.rpartition("/")
    if parent.endswith(":/") or parent.endswith(":"):
        raise ConfigError(f"output {output} has no parent folder for the work files: set work_dir")
    return storage.join(parent or ".", "_work", name)


def _resolve(value: str | Path, base: str | Path) -> str:
    """A recipe location: a URL as written, a relative one against the recipe's folder (or URL)."""
    value = storage.decode_file_url(str(value))  # file:///a%20b -> /a b
    if "://" in value:
        return value
    path = Path(value).expanduser()
    if path.is_absolute():
        return str(path)
    base = str(base)
    if "://" in base and not storage.is_local(base):
        scheme, _, rest = base.partition("://")
        return f"{scheme}://{posixpath.normpath(posixpath.join(rest, value))}"
    base = storage.local_path(base) if "://" in base else base
    return os.path.normpath(os.path.join(base, value))


def run_build(config: BuildConfig) -> dict[str, Any]:
    """Runs (or resumes) the recipe into one Hub repo at ``config.output``; returns the build
    summary (every stage's report). On Slurm, submits the build's driver job and returns its id
    instead; the driver runs this again, each stage as job arrays (:func:`slurm_script`).
    Each stage is the one its single-stage command runs (:mod:`crossthink_data.curation.work`)."""
    if config.executor == "slurm" and slurm_stage_options() is None:
        return {"slurm_job": submit_slurm(config)}
    from rich.console import Console

    from crossthink_data.sources import parquet_files, summary_table

    console = Console()
    out = storage.as_url(config.output)
    work = storage.as_url(config.work_dir) if config.work_dir else default_work_dir(out)
    summary: dict[str, Any] = {"recipe": recipe_label(config), "sources": []}
    source_summaries = run_sources(config, work, console)
    console.print(summary_table(source_summaries))
    summary["sources"] = [asdict(s) for s in source_summaries]
    summary["targets"] = {s.name: s.target for s in config.sources if s.target}
    sources_work = stage_dir(work, SOURCES)
    records = {s.name: parquet_files(sources_work, s.name, "records") for s in config.sources}
    if config.mine:
        mined = run_mining(config.mine, stage_dir(work, MINING), config.executor)
        summary["mining"] = mined["summary"]
        summary["mining_rows"] = sum(storage_rows(f) for t in config.templates for f in mined.get(t, []))
        if mined.get("records"):
            records["syn_qa"] = mined["records"]
    try:
        names = [s.name for s in config.sources]
        current = templated_pool(work, names, tuple(config.templates), mined=bool(config.mine))
    except FileNotFoundError:
        raise BuildError("no templated rows came out of the sources: nothing to curate") from None
    current = run_curation(config, work, current, summary, console)
    summary["blends"] = run_blends(config, current, work, console)
    summary["curated_rows"] = storage_rows(current)
    storage.write_json(storage.join(work, "build_summary.json"), summary)
    export_build(config, summary, current, records, stage_dir(work, BLENDS), out, work, console)
    return summary


def run_sources(config: BuildConfig, work: str, console) -> list:
    """Every recipe source through the sources stage (:func:`crossthink_data.sources.run_source_stage`)."""
    from crossthink_data.sources import SourceError, run_source_stage

    found = []
    for source in config.sources:
        console.print(f"[bold]source {source.name}[/bold]")
        try:
            found += run_source_stage(
                source.name, stage_dir(work, SOURCES), source.from_dir, source.limit,
                ["records", *config.templates], config.tasks, config.workers, config.executor, console,
            )  # fmt: skip
        except SourceError as err:
            raise BuildError(str(err)) from None
    return found


def run_curation(config: BuildConfig, work: str, current: str, summary: dict[str, Any], console) -> str:
    """The recipe's curation stages in order, each skipped when it finished on the same rows and
    settings (:func:`crossthink_data.curation.work.run_stage`, as the single-stage commands run
    them); their reports go into ``summary``. Returns the curated rows' folder."""
    for name, settings, run in _curation_stages(config, console):
        folder = stage_dir(work, name)
        inputs = stage_inputs(name, current, settings)
        summary[name] = run_stage(folder, inputs, settings, functools.partial(run, current, folder), name)
        current = storage.join(folder, "data")
    return current


def _curation_stages(config: BuildConfig, console) -> list[tuple[str, Any, Any]]:
    """(stage, settings, run(rows, folder)) for every curation stage the recipe turns on, in order."""
    stages: list[tuple[str, Any, Any]] = []
    tasks, workers, executor = config.tasks, config.workers, config.executor
    if caps := {s.name: s.sample for s in config.sources if s.sample}:

        def run_sample(rows: str, folder: str) -> None:
            from crossthink_data.curation.sample import sample_sources

            console.print(f"[bold]sample[/bold] {', '.join(f'{s} {n:,}' for s, n in caps.items())} questions")
            sample_sources(rows, folder, caps, config.sample_seed)

        stages.append(("sample", {"caps": caps, "seed": config.sample_seed}, run_sample))
    if decont := config.decontaminate:

        def run_decont(rows: str, folder: str) -> None:
            from crossthink_data.curation.decont import decontaminate

            console.print(f"[bold]decontaminate[/bold] against {decont.benchmarks}")
            decontaminate(
                rows,
                folder,
                decont.benchmarks,
                decont,
                decont.only,
                tasks,
                workers,
                20,
                decont.custom_tasks,
                executor,
            )

        stages.append(("decontaminate", decont, run_decont))
    if (settings := config.dedup) is not None:

        def run_dedup(rows: str, folder: str) -> None:
            from crossthink_data.curation.dedup import dedup

            console.print("[bold]dedup[/bold]")
            dedup(rows, folder, settings, tasks, workers, executor)

        stages.append(("dedup", settings, run_dedup))
    if difficulty := config.difficulty_settings:

        def run_difficulty(rows: str, folder: str) -> None:
            from crossthink_data.curation.difficulty import score_difficulty

            console.print(f"[bold]difficulty[/bold] with {difficulty.generation.model}")
            score_difficulty(rows, folder, difficulty, tasks, workers, executor=executor)

        stages.append(("difficulty", difficulty, run_difficulty))
    return stages


class BuildError(RuntimeError):
    """A build that cannot go on; the message says which stage and what to change."""


def storage_rows(location: str) -> int:
    from crossthink_data.rows import count_rows

    return count_rows(location)


def run_mining(mine: MineSettings, work: str, executor: str = "local") -> dict[str, Any]:
    """The miner on the recipe's pages: to ``domain`` without a generator, through ``parse`` (Syn-QA
    records and templated rows) with one. Returns the summary and the Syn-QA parquet files."""
    from crossthink_data.mining import MinerConfig, run_miner

    cfg = MinerConfig(input=mine.input, output=work, glob=mine.glob, limit=mine.limit)
    if mine.generation:
        cfg.generation = mine.generation
    result: dict[str, Any] = {"summary": run_miner(cfg, "parse" if mine.generation else "domain", executor)}
    storage.write_json(storage.join(work, REPORT), result["summary"])  # for `export` from the work folder
    if mine.generation:
        for config in ("records", "mcq", "open"):
            result[config] = storage.list_files(storage.join(work, "parse", config), (".parquet",))
    return result


def run_blends(config: BuildConfig, pool: str, work: str, console) -> dict[str, Any]:
    """Samples every recipe blend into ``<work>/blends/<name>/`` (skipped when fresh), streaming
    the pool (:func:`crossthink_data.curation.work.run_blend_stage`, as `blend` runs it)."""
    from crossthink_data.curation.blends import BlendSpec

    results = {}
    for name in config.blends:
        spec = BlendSpec.load(name)
        results[spec.name] = run_blend_stage(pool, spec, work, config.commercial_only)
        console.print(f"[bold]blend-{spec.name}[/bold]: {results[spec.name]['rows']:,} rows")
    return results


def repo_configs(
    config: BuildConfig, curated: str, records: dict[str, list[str]], blends_dir: str, blend_names: list[str]
) -> tuple[list, dict[str, tuple[str, str]]]:
    """The repo's configs (blends first, then each source's records and templates) and, per config,
    the (source, template) the card's config table shows. Configs without rows are left out."""
    from crossthink_data.hub import ParquetSelection, RepoConfig
    from crossthink_data.rows import row_files

    curated_files = row_files(curated)
    counts, ids = _pool_index(curated_files)
    configs, shown = [], {}
    for name in blend_names:
        files = tuple(storage.list_files(storage.join(blends_dir, name, "data"), (".parquet",)))
        configs += [
            RepoConfig(f"blend-{name}", ParquetSelection(files), "templated", f"blend {name}", "mcq + open"),
            RepoConfig(f"blend-{name}-verl", ParquetSelection(files), "verl", f"blend {name}", "veRL"),
        ]
    for source, files in records.items():
        if files and _any_id_in(files, ids):
            configs.append(
                RepoConfig(
                    f"{source}-records", ParquetSelection(tuple(files), ids=ids), "records", source, "records"
                )
            )
        for template in config.templates:
            if counts.get((source, template)):
                where = (("source", source), ("template", template))
                configs.append(
                    RepoConfig(
                        f"{source}-{template}",
                        ParquetSelection(tuple(curated_files), where),
                        "templated",
                        source,
                        template,
                    )
                )
    for c in configs:
        shown[c.name] = (c.source, c.template)
    return configs, shown


def _pool_index(files: list[str]):
    """Rows per (source, template) and the distinct ids of the curated rows, from three columns only."""
    import pyarrow as pa
    import pyarrow.compute as pc

    counts: dict[tuple[str, str], int] = {}
    ids = []
    for table in _column_batches(files, ["id", "source", "template"]):
        grouped = table.group_by(["source", "template"]).aggregate([([], "count_all")])
        for source, template, n in zip(
            *(grouped[c].to_pylist() for c in ("source", "template", "count_all"))
        ):
            counts[(source, template)] = counts.get((source, template), 0) + n
        ids.append(pc.unique(table["id"]))
    unique = pc.unique(pa.chunked_array(ids, pa.string())) if ids else pa.array([], pa.string())
    return counts, unique


def _any_id_in(files: list[str], ids) -> bool:
    import pyarrow.compute as pc

    return any(
        pc.any(pc.is_in(table["id"], value_set=ids)).as_py() for table in _column_batches(files, ["id"])
    )


def _column_batches(files: list[str], columns: list[str], rows: int = 65_536):
    """``columns`` of the parquet ``files``, a table of at most ``rows`` rows at a time."""
    import pyarrow as pa

    from crossthink_data.rows import parquet_batches

    for file in files:
        for batch in parquet_batches(file, columns, rows):
            yield pa.Table.from_batches([batch])


def repo_card(config: BuildConfig, summary: dict[str, Any], shown: dict[str, tuple[str, str]], default: str):
    """The whole-dataset card's inputs: licenses, Hub ids and citations of the recipe's sources."""
    from crossthink_data.hub import RepoCard
    from crossthink_data.sources import SOURCES

    adapters = [SOURCES[s.name] for s in config.sources if s.name in SOURCES]
    description = config.description.strip() or (
        f"CrossThink built by the `{config.name}` recipe from {', '.join(s.name for s in config.sources)}."
    )
    return RepoCard(
        name=config.name,
        pretty_name=config.pretty_name,
        description=description,
        licenses=sorted({a.license for a in adapters}) or ["other"],
        source_datasets=sorted({a.hub_id for a in adapters if a.hub_id}),
        citations=list(dict.fromkeys(a.citation for a in adapters if a.citation)),
        default_config=default,
        configs=shown,
        report=summary,
        recipe=recipe_label(config),
        targets=summary.get("targets", {}),
        non_commercial_sources=[a.name for a in adapters if not a.commercial_use],
    )


def recipe_label(config: BuildConfig) -> str:
    """How the card names the recipe in its rebuild command: a shipped recipe by name, else its file."""
    return config.recipe_name or (storage.basename(config.path) if config.path else "RECIPE.yaml")


def export_build(
    config: BuildConfig,
    summary: dict[str, Any],
    curated: str,
    records: dict[str, list[str]],
    blends_dir: str,
    out: str,
    work: str,
    console,
) -> None:
    """Exports the repo, unless the one at ``out`` was exported from exactly these inputs and
    settings (the one resume rule, :func:`crossthink_data.resume.check_stage`, on ``<work>/export``)."""
    from crossthink_data.hub import export_repo, write_dataset_card
    from crossthink_data.resume import check_stage

    blend_names = list(summary["blends"])
    inputs = [curated, blends_dir, *(f for files in records.values() for f in files)]
    recipe = {k: v for k, v in public(config).items() if k not in ("work_dir", "path", "output")}
    settings = {"summary": summary, "recipe": recipe, "output": out}
    stage = storage.join(work, "export")
    quiet = lambda line: None  # noqa: E731 (the stage that changed said so already)
    done = check_stage(stage, inputs, settings, "export", quiet)
    if done and storage.exists(storage.join(out, "README.md")):
        console.print(f"export: {out} is up to date")
        return
    configs, shown = repo_configs(config, curated, records, blends_dir, blend_names)
    default = f"blend-{config.default_blend}" if config.default_blend in blend_names else configs[0].name
    card = repo_card(config, summary, shown, default)
    console.print(f"[bold]export[/bold] {len(configs)} configs -> {out}")
    export_repo(
        out, configs, lambda folder, stats: write_dataset_card(folder, card, stats), config.rows_per_shard
    )
    storage.write_json(storage.join(stage, REPORT), {"output": out, "configs": [c.name for c in configs]})


def recipe_from_work(work: str) -> dict[str, Any]:
    """The recipe a work folder was built by, as far as its stage folders show it (for ``export``
    without ``--recipe``): the sources its sources report names, the templates they have, every
    finished blend (``crossthink`` the default when it is one of them). A raw recipe mapping, read
    by :meth:`BuildConfig.from_dict` like any other."""
    from crossthink_data.sources import read_source_report

    entries = read_source_report(stage_dir(work, SOURCES))
    if not entries:
        raise BuildError(f"{work} has no sources report: run `crossthink-data sources NAME -o {work}` first")
    blends = finished_blends(work)
    templates = [t for t in ("mcq", "open") if any(e["config"] == t and e["kept"] for e in entries)]
    recipe: dict[str, Any] = {
        "sources": list(dict.fromkeys(e["source"] for e in entries)),
        "templates": templates or ["mcq", "open"],
        "blends": blends,
    }
    if blends:
        recipe["default_blend"] = "crossthink" if "crossthink" in blends else blends[0]
    return recipe


def work_summary(
    config: BuildConfig, work: str, mined: bool
) -> tuple[dict[str, Any], str, dict[str, list[str]]]:
    """What :func:`export_build` needs, read back from the work folder's reports: the build summary,
    the curated rows (the last finished curation stage's, else the pool) and each source's records."""
    from crossthink_data.curation.blends import BlendSpec
    from crossthink_data.sources import parquet_files, read_source_report

    names = [s.name for s in config.sources]
    sources_dir = stage_dir(work, SOURCES)
    summary: dict[str, Any] = {"recipe": recipe_label(config)}
    summary["sources"] = [e for e in read_source_report(sources_dir) if e["source"] in names]
    summary["targets"] = {s.name: s.target for s in config.sources if s.target}
    records = {name: parquet_files(sources_dir, name, "records") for name in names}
    mining = stage_dir(work, MINING)
    rows = sum(storage_rows(f) for t in config.templates for f in mined_files(work, t)) if mined else 0
    if mined and finished(mining):  # the build's miner wrote its summary
        summary["mining"] = storage.read_json(storage.join(mining, REPORT))
    if "mining" in summary or rows:  # Syn-QA rows in the pool: the card counts them
        summary["mining_rows"] = rows
    if mined and mined_files(work, "records"):
        records["syn_qa"] = mined_files(work, "records")
    curated = templated_pool(work, names, tuple(config.templates), mined=mined)
    for name in CURATION:
        if finished(stage_dir(work, name)):
            summary[name] = storage.read_json(storage.join(stage_dir(work, name), REPORT))
            curated = storage.join(stage_dir(work, name), "data")
    summary["blends"] = {}
    for blend in config.blends:
        folder = storage.join(stage_dir(work, BLENDS), BlendSpec.load(blend).name)
        if not finished(folder):
            raise BuildError(
                f"blend {blend} was not sampled in {work}: run `crossthink-data blend {blend} -o {work}`"
            )
        summary["blends"][storage.basename(folder)] = storage.read_json(storage.join(folder, REPORT))
    summary["curated_rows"] = storage_rows(curated)
    return summary, curated, records


def export_work(config: BuildConfig, work: str, console, mined: bool = True) -> dict[str, Any]:
    """``export``: the one repo at ``config.output`` from a work folder the stage commands (or a
    build) wrote, through the same :func:`export_build` as ``build``; returns the summary."""
    summary, curated, records = work_summary(config, work, mined)
    out = storage.as_url(config.output)
    export_build(config, summary, curated, records, stage_dir(work, BLENDS), out, work, console)
    return summary


def _absolute(location: str) -> str:
    """A local output as an absolute path (the job may start elsewhere); a URL as written."""
    return str(Path(storage.local_path(location)).resolve()) if storage.is_local(location) else location


def _job_dir(config: BuildConfig) -> str:
    """Local folder for the sbatch script, the resolved recipe and the job's log: the work folder,
    or a local scratch folder when it is remote (Slurm writes its log to a local path)."""
    work = _absolute(config.work_dir) if config.work_dir else default_work_dir(_absolute(config.output))
    return str(Path(storage.local_scratch(work, "slurm")).resolve())


def resolved_recipe(config: BuildConfig) -> str:
    """The recipe as this build runs it (overrides applied, paths absolute), as YAML; an API key is
    left out (the job reads it from its ``api_key_env`` variable, which ``sbatch`` passes on)."""
    data = _without_secrets(public(config, replacement=None))
    for key in ("path", "recipe_name"):
        data.pop(key, None)
    data["output"] = _absolute(config.output)
    data["work_dir"] = _absolute(config.work_dir) if config.work_dir else None
    return yaml.safe_dump(data, sort_keys=False)


def _without_secrets(data: Any) -> Any:
    """``public(..., None)`` leaves ``api_key: null``: dropped, so the recipe reads back as written."""
    if isinstance(data, dict):
        return {k: _without_secrets(v) for k, v in data.items() if not (k == "api_key" and v is None)}
    return [_without_secrets(v) for v in data] if isinstance(data, list) else data


# The driver job's own sbatch options, taken from the recipe's ``slurm:`` (the rest are the arrays').
_DRIVER_OPTIONS = ("partition", "time", "qos")


def slurm_script(config: BuildConfig) -> str:
    """The sbatch script of the build's driver job: one CPU that runs the recipe (resolved by
    :func:`submit_slurm` beside it) with every stage as datatrove job arrays on the cluster, each
    submitted once the stage before it ended, then the blends and the export."""
    stages = slurm_array_options(config.slurm, "recipe: slurm")
    opts = {"job-name": "crossthink-build", "cpus-per-task": 1}
    opts.update({k: stages[k] for k in _DRIVER_OPTIONS if stages.get(k)})
    lines = ["#!/bin/bash"] + [f"#SBATCH --{k}={v}" for k, v in opts.items()]
    lines.append(f"#SBATCH --output={_job_dir(config)}/slurm-%j.out")
    command = [
        sys.executable,
        "-m",
        "crossthink_data.cli",
        "build",
        str(Path(_job_dir(config)) / "recipe.yaml"),
    ]
    # The driver's own SLURM_* variables would leak into the arrays' srun (e.g. --mem against --mem-per-cpu).
    clear = "unset $(compgen -e | grep '^SLURM_' | grep -vx SLURM_CONF || true)"
    lines += ["set -euo pipefail", clear, f"export {SLURM_STAGES_ENV}={shlex.quote(json.dumps(stages))}"]
    lines.append(shlex.join(command))
    return "\n".join(lines) + "\n"


def submit_slurm(config: BuildConfig) -> str:
    """Writes the resolved recipe and the sbatch script into the job folder and submits it; returns
    the job id."""
    from crossthink_data.ownership import claim

    # the work folder is the build's before the job folder is written in it: the driver job's own
    # ownership check then finds its mark, not files it did not write (the CLI claims it first too)
    work = config.work_dir or default_work_dir(config.output)
    claim(work, "build", option="work_dir", writes=WORK_ENTRIES)
    script = Path(_job_dir(config)) / "build.sbatch"
    script.parent.mkdir(parents=True, exist_ok=True)
    (script.parent / "recipe.yaml").write_text(resolved_recipe(config), encoding="utf-8")
    script.write_text(slurm_script(config), encoding="utf-8")
    result = subprocess.run(["sbatch", "--parsable", str(script)], capture_output=True, text=True, check=True)
    return result.stdout.strip().split(";")[0]


__all__ = [
    "BuildConfig",
    "BuildError",
    "SourceSpec",
    "apply_overrides",
    "recipe_from_work",
    "default_work_dir",
    "export_work",
    "link_pool",
    "run_build",
    "slurm_script",
    "submit_slurm",
]
