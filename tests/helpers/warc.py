"""WARC samples and stage-output readers shared by the mining tests."""

from __future__ import annotations

from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.warcwriter import WARCWriter

from crossthink_data.mining.pipeline import read_jsonl_folder
from tests.helpers.paths import REPO_ROOT

DEMO_WARC = REPO_ROOT / "crossthink_data" / "demo_data" / "common_crawl" / "article_pages_sample.warc.gz"


def split_warc(source: Path, folder: Path, parts: int) -> list[Path]:
    """Deal the records of ``source`` round-robin into ``parts`` WARC files (tasks shard by file)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"part-{i:02d}.warc.gz" for i in range(parts)]
    handles = [p.open("wb") for p in paths]
    writers = [WARCWriter(h, gzip=True) for h in handles]
    with source.open("rb") as f:
        for index, record in enumerate(ArchiveIterator(f)):
            writers[index % parts].write_record(record)
    for handle in handles:
        handle.close()
    return paths


def documents(folder: Path) -> list[tuple[str, str, str]]:
    """(id, url, text) of a stage's output, sorted: equal lists mean equal outputs."""
    return sorted((r["id"], r["metadata"]["url"], r["text"]) for r in read_jsonl_folder(folder))
