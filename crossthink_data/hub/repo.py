"""The whole dataset as ONE Hub dataset repo: every config's shards, one card, its charts.

Layout of ``destination`` (what ``load_dataset(destination, config)`` and the Hub viewer read)::

    README.md                      the whole-dataset card (configs, features, reports, licenses)
    LICENSE.md                     only when a source license is not a Hub license id
    assets/*.png                   the card's charts
    data/<config>/train-*.parquet  shards per config

Every config is written into a staging folder first; the repo is swapped in only when every config,
the charts and the card succeeded, so a failed or killed export never leaves a half-written repo:
a local destination is replaced by two renames (old repo aside, new repo in, old removed), a remote
one (``s3://``...) gets the staged files uploaded, then loses the files the previous export wrote
and this one does not. Configs stream: parquet inputs are read batch by batch and written shard by
shard.

The destination must be new, empty, or a folder crossthink-data marked as its own
(:mod:`crossthink_data.ownership`); files of the user's that ``--overwrite`` let it write beside are
never removed: a local repo with such files is then updated file by file instead of swapped whole.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from crossthink_data import ownership, storage

from .charts import Chart
from .export import (
    ASSETS_DIR,
    CONFIG_NAME,
    DATA_DIR,
    ConfigInput,
    ExportError,
    ParquetSelection,
    ShardWriter,
    _features,
    _tables,
    _write_config,
    finish_stats,
)
from .stats import ConfigStats

logger = logging.getLogger(__name__)

KINDS = ("records", "templated", "verl")
REPO_ENTRIES = ("README.md", "LICENSE.md", ASSETS_DIR, DATA_DIR)  # what an export writes at the top


@dataclass
class RepoConfig:
    """One config of the repo: its rows and what the card's config table says about it."""

    name: str
    rows: ConfigInput  # for ``verl``: templated rows, converted batch by batch
    kind: str  # records | templated | verl
    source: str  # a source name, or the blend the config is
    template: str  # records, mcq, open, "mcq + open", veRL

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ExportError(f"config {self.name!r}: kind must be one of {KINDS}, got {self.kind!r}")


CardWriter = Callable[[Path, dict[str, ConfigStats]], None]


def export_repo(
    destination: str | os.PathLike,
    configs: list[RepoConfig],
    write_card: CardWriter,
    rows_per_shard: int = 100_000,
    command: str = "build",
) -> dict[str, ConfigStats]:
    """Writes every config and then ``write_card(folder, stats)`` (README.md, assets/) into a staging
    folder, and swaps it in as ``destination`` (any storage URL). Returns the stats per config.

    Raises:
        OwnershipError: ``destination`` holds files crossthink-data did not write (checked first)."""
    names = [c.name for c in configs]
    if not configs or len(set(names)) != len(names):
        raise ExportError(f"a repo needs configs with distinct names, got {names}")
    bad = [name for name in names if not isinstance(name, str) or not CONFIG_NAME.match(name)]
    if bad:
        raise ExportError(f"invalid config name(s) {bad}: use letters, digits, '_', '-', '.'")
    if not isinstance(rows_per_shard, int) or rows_per_shard < 1:
        raise ExportError(f"rows_per_shard must be a positive integer, got {rows_per_shard!r}")
    destination = storage.as_url(destination)
    kept = ownership.check_output(destination, command, writes=REPO_ENTRIES)  # marked with the repo
    if storage.is_local(destination):
        target = Path(storage.local_path(destination))
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = target.with_name(f".{target.name}.staging")
        shutil.rmtree(staging, ignore_errors=True)
        try:
            stats = _write_repo(staging, configs, write_card, rows_per_shard)
            _mark(staging, command, kept, storage.basename(destination))
            if kept:
                _publish_local(staging, target)
            else:
                _swap_folder(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return stats
    with tempfile.TemporaryDirectory(prefix="crossthink-repo-") as staged:
        stats = _write_repo(Path(staged) / "repo", configs, write_card, rows_per_shard)
        _mark(Path(staged) / "repo", command, kept, storage.basename(destination))
        _publish_repo(Path(staged) / "repo", destination)
    return stats


def _mark(staged: Path, command: str, kept: list[str], repo: str) -> None:
    """The repo's marker, listing every file this export wrote (the next export removes exactly the
    ones it no longer writes) and the user's files it keeps."""
    files = [p.relative_to(staged).as_posix() for p in staged.rglob("*") if p.is_file()]
    ownership.write_marker(storage.as_url(staged), command, kept, files, repo)


def _write_repo(
    folder: Path, configs: list[RepoConfig], write_card: CardWriter, rows_per_shard: int
) -> dict[str, ConfigStats]:
    folder.mkdir(parents=True)
    stats: dict[str, ConfigStats] = {}
    for config in configs:
        where = folder / DATA_DIR / config.name
        if config.kind == "verl":
            stats[config.name] = _write_verl_config(config.name, config.rows, where, rows_per_shard)
        else:
            templated = config.kind == "templated"
            stats[config.name] = _write_config(config.name, config.rows, templated, where, rows_per_shard)
        logger.info("config %s: %d rows", config.name, stats[config.name].rows)
    (folder / ASSETS_DIR).mkdir(exist_ok=True)
    write_card(folder, stats)
    return stats


def _write_verl_config(name: str, rows: ConfigInput, where: Path, rows_per_shard: int) -> ConfigStats:
    """The veRL rows of templated rows; the card's counts come from the templated rows they carry."""
    from crossthink_data.verl import verl_batches, verl_schema

    schema = verl_schema()
    stats = ConfigStats(name=name, templated=True)
    stats.features = _features(schema)
    writer = ShardWriter(where, schema, rows_per_shard)
    try:
        for table, verl in verl_batches(t for _, t in _tables(name, rows, True)):
            stats.update(table)
            stats.num_bytes += verl.nbytes - table.nbytes
            writer.write(verl)
    finally:
        writer.abort()
    if not stats.rows:
        raise ExportError(f"config {name!r} has no rows: a Hub config needs at least one row")
    finish_stats(stats, writer.close())
    return stats


def _swap_folder(staging: Path, target: Path) -> None:
    """``target`` becomes ``staging`` by renames; the old repo is removed only once the new one is in."""
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def _publish_local(staging: Path, target: Path) -> None:
    """``target`` (which holds files of the user's) updated file by file: the files the previous
    export wrote and this one does not are removed, every staged file moved in, the marker last."""
    marker = staging / ownership.MARKER
    _remove_previous(storage.as_url(target), {p.relative_to(staging).as_posix() for p in staging.rglob("*")})
    for source in sorted(p for p in staging.rglob("*") if p.is_file() and p != marker):
        destination = target / source.relative_to(staging)
        destination.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, destination)
    for folder in sorted((p for p in target.rglob("*") if p.is_dir()), reverse=True):
        if not any(folder.iterdir()):  # a config the previous export had and this one has not
            folder.rmdir()
    os.replace(marker, target / ownership.MARKER)


def _publish_repo(staged: Path, destination: str) -> None:
    """Uploads the staged repo, then removes the files the previous export wrote that this one did
    not (never a file crossthink-data did not write)."""
    previous = _previous_files(destination)
    written = {storage.relative(u, destination) for u in storage.upload_folder(staged, destination)}
    for name in previous - written:
        storage.remove(storage.join(destination, name))


def _previous_files(destination: str) -> set[str]:
    """The files at ``destination`` that crossthink-data wrote (the marker aside)."""
    present = set(storage.file_sizes(destination)) - {ownership.MARKER}
    return present - set(ownership.foreign_files(destination))


def _remove_previous(destination: str, keep: set[str]) -> None:
    for name in sorted(_previous_files(destination) - keep):
        storage.remove(storage.join(destination, name))


def chart(path: str, title: str) -> Chart:
    """A chart as the card links it (path relative to the repo)."""
    return Chart(path=Path(path), title=title)


__all__ = ["KINDS", "REPO_ENTRIES", "ParquetSelection", "RepoConfig", "export_repo"]
