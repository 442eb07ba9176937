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
(``demo_output/crossthink`` -> ``demo_output/_work/crossthink``), or ``work_dir``:

    sources/<source>/{parquet,rejects,logs}/<config>   datatrove's output and completion markers
    mining/                                           the miner's stages
    curation/{0_pool,1_decont,2_dedup,3_difficulty}   stage rows + report.json + fingerprint.json
    blends/<name>/                                    the blend's rows + report.json + fingerprint.json
    export/fingerprint.json                           what the repo at ``output`` was exported from
    build_summary.json                                every report, as the card read them

Resuming (one rule, :mod:`crossthink_data.resume`): a source, curation stage, blend or export that
finished on the same inputs (every file's path, size and modification time) and settings is
skipped; a changed input or setting clears it, says so in one line, and so redoes every stage
after it. Rerunning the same command after a crash (even a SIGKILL) redoes only what was
unfinished, and the export swaps the new repo in only when every config succeeded. ``output``, ``work_dir`` and a source's ``from_dir``
are any storage URL. ``executor: slurm`` submits the same command as one Slurm job (``sbatch``).

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
    slurm: {partition: cpu, time: "24:00:00", cpus_per_task: 16, mem: 64G}
    sources:
      - mmlu_train
      - {name: natural_reasoning, from_dir: /data/natural_reasoning, limit: 100000, target: 100000}
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
    rows_per_shard: 100000

Each section is read into its settings dataclass by the one strict loader
(:func:`crossthink_data.config.from_dict`): ``mine`` -> :class:`MineSettings`, ``decontaminate`` ->
:class:`DecontStage` (:class:`~crossthink_data.curation.decont.DecontSettings` + what to index),
``dedup`` -> :class:`~crossthink_data.curation.dedup.DedupSettings`, ``difficulty`` ->
:class:`DifficultyStage`, ``generation`` -> :class:`~crossthink_data.inference.GenerationSettings`.
A typo, a wrong type (``"no"`` for a boolean, ``"10"`` for a number), a value out of range or an
unknown choice stops the build with one line naming the key, before any stage runs; ``null``
means a key's default.

A source's ``target`` is the row count the paper reports for it; the card sets it beside this
build's count (it does not cap anything: ``limit`` caps the upstream rows read).
"""

from __future__ import annotations

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
from crossthink_data.inference import GenerationSettings

# what a build writes at the top of its work folder (a file of the user's there stops it)
WORK_ENTRIES = ("sources", "mining", "curation", "blends", "export", "build_summary.json", "logs", "slurm")


@dataclass
class SourceSpec:
    name: str
    from_dir: str | None = None  # storage URL of the upstream files (None: the Hub)
    limit: int | None = field(default=None, metadata={"min": 1})  # upstream rows read at most
    target: int | None = field(default=None, metadata={"min": 0})  # rows the paper reports (card)


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
        if self.default_blend not in self.blends:
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


def link_pool(parquet_files: list[str], pool_dir: str) -> str:
    """One folder holding every templated parquet file, named uniquely (``<i>_<source>_<config>_<file>``).

    Local storage gets symlinks; elsewhere (``s3://``...) the files are copied, server-side when the
    pool is on the same store, since object stores have no links and every stage reads a folder.
    The pool is left as it is while its files are (:mod:`crossthink_data.resume`): a copy made again
    would be a new input to every later stage.
    """
    from crossthink_data.resume import REPORT, check_stage

    names = [storage.as_url(f) for f in parquet_files]
    if check_stage(pool_dir, names, {"files": names}, "pool", say=lambda line: None):
        return pool_dir
    local = storage.is_local(pool_dir)
    for i, file in enumerate(names):
        *_, source, _parquet, config, name = file.split("/")
        target = storage.join(pool_dir, f"{i:05d}_{source}_{config}_{name}")
        if local and storage.is_local(file):
            os.symlink(os.path.realpath(storage.local_path(file)), storage.local_path(target))
        else:
            storage.copy(file, target)
    storage.write_json(storage.join(pool_dir, REPORT), {"files": len(names)})
    return pool_dir


def run_build(config: BuildConfig) -> dict[str, Any]:
    """Runs (or resumes) the recipe into one Hub repo at ``config.output``; returns the build
    summary (every stage's report). On Slurm, submits the build and returns the job id instead."""
    if config.executor == "slurm":
        return {"slurm_job": submit_slurm(config)}
    from rich.console import Console

    from crossthink_data.sources import first_reject, parquet_files, run_source, summary_table

    console = Console()
    out = storage.as_url(config.output)
    work = storage.as_url(config.work_dir) if config.work_dir else default_work_dir(out)
    sources_work = storage.join(work, "sources")
    summary: dict[str, Any] = {"recipe": recipe_label(config), "sources": []}

    source_summaries = []
    for source in config.sources:
        console.print(f"[bold]source {source.name}[/bold]")
        found = run_source(
            source.name,
            sources_work,
            source.from_dir,
            source.limit,
            ["records", *config.templates],
            tasks=config.tasks,
            workers=config.workers,
            executor=config.executor,
        )
        malformed = max(s.dropped.get("malformed_row", 0) for s in found)
        if malformed:
            first = first_reject(sources_work, source.name, found[0].config, "malformed_row")
            console.print(
                f"warning: source {source.name}: {malformed:,} malformed row(s) counted as rejects "
                f"(malformed_row), the first: {first}",
                markup=False,
                highlight=False,
                soft_wrap=True,  # one line, however long the path
            )
        if not any(s.kept for s in found):
            raise BuildError(
                f"source {source.name!r} produced no rows; see the rejects under {storage.join(sources_work, source.name)}"
            )
        source_summaries += found
    console.print(summary_table(source_summaries))
    summary["sources"] = [asdict(s) for s in source_summaries]
    summary["targets"] = {s.name: s.target for s in config.sources if s.target}
    files = [
        f for s in config.sources for t in config.templates for f in parquet_files(sources_work, s.name, t)
    ]
    records = {s.name: parquet_files(sources_work, s.name, "records") for s in config.sources}
    if config.mine:
        mined = run_mining(config.mine, storage.join(work, "mining"), config.executor)
        summary["mining"] = mined["summary"]
        summary["mining_rows"] = sum(storage_rows(f) for t in config.templates for f in mined.get(t, []))
        files += [f for t in config.templates for f in mined.get(t, [])]
        if mined.get("records"):
            records["syn_qa"] = mined["records"]
    if not files:
        raise BuildError("no templated rows came out of the sources: nothing to curate")
    current = link_pool(files, storage.join(work, "curation", "0_pool"))

    if config.decontaminate:
        from crossthink_data.curation.decont import decontaminate

        stage = storage.join(work, "curation", "1_decont")
        decont = config.decontaminate
        console.print(f"[bold]decontaminate[/bold] against {decont.benchmarks}")
        decontaminate(  # skipped when finished on the same inputs and settings (crossthink_data.resume)
            current, stage, decont.benchmarks, decont, decont.only, config.tasks, config.workers, 20,
            decont.custom_tasks, config.executor,
        )  # fmt: skip
        summary["decontaminate"] = storage.read_json(storage.join(stage, "report.json"))
        current = storage.join(stage, "data")

    if config.dedup is not None:
        from crossthink_data.curation.dedup import dedup

        stage = storage.join(work, "curation", "2_dedup")
        console.print("[bold]dedup[/bold]")
        dedup(current, stage, config.dedup, config.tasks, config.workers, config.executor)
        summary["dedup"] = storage.read_json(storage.join(stage, "report.json"))
        current = storage.join(stage, "data")

    difficulty = config.difficulty_settings
    if difficulty:
        from crossthink_data.curation.difficulty import score_difficulty

        stage = storage.join(work, "curation", "3_difficulty")
        console.print(f"[bold]difficulty[/bold] with {difficulty.generation.model}")
        score_difficulty(current, stage, difficulty, config.tasks, config.workers, executor=config.executor)
        summary["difficulty"] = storage.read_json(storage.join(stage, "report.json"))
        current = storage.join(stage, "data")

    summary["blends"] = run_blends(config, current, storage.join(work, "blends"), console)
    summary["curated_rows"] = storage_rows(current)
    storage.write_json(storage.join(work, "build_summary.json"), summary)
    export_build(config, summary, current, records, storage.join(work, "blends"), out, work, console)
    return summary


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
    if mine.generation:
        for config in ("records", "mcq", "open"):
            result[config] = storage.list_files(storage.join(work, "parse", config), (".parquet",))
    return result


def run_blends(config: BuildConfig, pool: str, blends_dir: str, console) -> dict[str, Any]:
    """Samples every recipe blend into ``blends_dir/<name>/data`` (skipped when fresh), streaming
    the pool (:func:`crossthink_data.curation.blends.write_blend`)."""
    from crossthink_data.curation.blends import BlendSpec, write_blend
    from crossthink_data.resume import check_stage

    results = {}
    for name in config.blends:
        spec = BlendSpec.load(name)
        stage = storage.join(blends_dir, spec.name)
        settings = {"spec": asdict(spec), "commercial_only": config.commercial_only}
        if not check_stage(stage, [pool], settings, f"blend {spec.name}"):
            write_blend(pool, spec, stage, config.commercial_only)
        results[spec.name] = storage.read_json(storage.join(stage, "report.json"))
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
    from crossthink_data.hub import RepoCard, SubsetCard
    from crossthink_data.sources import SOURCES

    adapters = [SOURCES[s.name] for s in config.sources if s.name in SOURCES]
    description = config.description.strip() or (
        f"CrossThink built by the `{config.name}` recipe from {', '.join(s.name for s in config.sources)}."
    )
    card = SubsetCard(
        name=config.name,
        pretty_name=config.pretty_name,
        description=description,
        licenses=sorted({a.license for a in adapters}) or ["other"],
        source_datasets=sorted({a.hub_id for a in adapters if a.hub_id}),
        citations=list(dict.fromkeys(a.citation for a in adapters if a.citation)),
        task_categories=["question-answering", "text-generation"],
        non_commercial_sources=[a.name for a in adapters if not a.commercial_use],
    )
    return RepoCard(
        card, default, shown, summary, recipe=recipe_label(config), targets=summary.get("targets", {})
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
    """Exports the repo, unless the one at ``out`` was exported from exactly these inputs."""
    from crossthink_data.hub import export_repo, write_dataset_card
    from crossthink_data.resume import identity

    blend_names = list(summary["blends"])
    inputs = {
        "curated": identity([curated]),
        "blends": identity([blends_dir]),
        "records": {s: identity(files) for s, files in records.items()},
        "summary": summary,
        "recipe": {k: v for k, v in public(config).items() if k not in ("work_dir", "path", "output")},
    }
    fingerprint = json.dumps(inputs, sort_keys=True, default=str)
    marker = storage.join(work, "export", "fingerprint.json")
    readme = storage.join(out, "README.md")
    if storage.exists(marker) and storage.exists(readme) and storage.read_text(marker) == fingerprint:
        console.print(f"export: {out} is up to date")
        return
    storage.remove(marker)
    configs, shown = repo_configs(config, curated, records, blends_dir, blend_names)
    default = f"blend-{config.default_blend}" if config.default_blend in blend_names else configs[0].name
    card = repo_card(config, summary, shown, default)
    console.print(f"[bold]export[/bold] {len(configs)} configs -> {out}")
    export_repo(
        out, configs, lambda folder, stats: write_dataset_card(folder, card, stats), config.rows_per_shard
    )
    storage.write_text(marker, fingerprint)


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
    data["executor"] = "local"
    return yaml.safe_dump(data, sort_keys=False)


def _without_secrets(data: Any) -> Any:
    """``public(..., None)`` leaves ``api_key: null``: dropped, so the recipe reads back as written."""
    if isinstance(data, dict):
        return {k: _without_secrets(v) for k, v in data.items() if not (k == "api_key" and v is None)}
    return [_without_secrets(v) for v in data] if isinstance(data, list) else data


def slurm_script(config: BuildConfig) -> str:
    """The sbatch script that runs this recipe on one node (stages use ``workers`` processes); it
    reads the resolved recipe :func:`submit_slurm` writes beside it."""
    opts = {
        "job-name": "crossthink-build",
        "cpus-per-task": max(config.workers, 1),
        **{k.replace("_", "-"): v for k, v in config.slurm.items()},
    }
    lines = ["#!/bin/bash"] + [f"#SBATCH --{k}={v}" for k, v in opts.items()]
    lines.append(f"#SBATCH --output={_job_dir(config)}/slurm-%j.out")
    command = [
        sys.executable,
        "-m",
        "crossthink_data.cli",
        "build",
        str(Path(_job_dir(config)) / "recipe.yaml"),
    ]
    lines += ["set -euo pipefail", shlex.join(command)]
    return "\n".join(lines) + "\n"


def submit_slurm(config: BuildConfig) -> str:
    """Writes the resolved recipe and the sbatch script into the job folder and submits it; returns
    the job id."""
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
    "default_work_dir",
    "link_pool",
    "run_build",
    "slurm_script",
    "submit_slurm",
]
