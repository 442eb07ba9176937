"""`mine` with its input and output on any storage: local path, file://, memory://, an S3 bucket.

The summary counts what the stages wrote, read back through the output's own URL; a run on a URL
must report what a run on a local path reports, and write the same documents. The S3 test runs on
moto's loopback server, an emulator of the S3 HTTP API (see tests/helpers/s3.py).
"""

from __future__ import annotations

import ast
import gzip
import json
import shutil
import uuid
from collections import Counter
from pathlib import Path

import fsspec
import pytest
from typer.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from crossthink_data.cli import app
from tests.helpers.paths import REPO_ROOT, TEST_DATA

DEMO_DIR = REPO_ROOT / "crossthink_data" / "demo_data" / "common_crawl"
DEMO_WARC = DEMO_DIR / "article_pages_sample.warc.gz"
OTHER_WARC = TEST_DATA / "common_crawl" / "whirlwind.warc.gz"


def mine(*args: str):
    result = CliRunner().invoke(app, ["mine", *args])
    return result


def summary_of(result) -> dict:
    """The summary `mine` prints (a Python dict literal)."""
    assert result.exit_code == 0, (result.output, result.exception)
    return ast.literal_eval(result.stdout.strip())


def response_ids(warc: Path) -> list[str]:
    """WARC-Record-IDs of the page responses, read with warcio (independently of the miner)."""
    with warc.open("rb") as handle:
        return sorted(
            r.rec_headers["WARC-Record-ID"] for r in ArchiveIterator(handle) if r.rec_type == "response"
        )


def stage_rows(folder_url: str) -> list[dict]:
    """A stage's rows read straight from its ``*.jsonl.gz`` files with fsspec (not the miner's reader)."""
    fs, path = fsspec.core.url_to_fs(folder_url)
    found = []
    for name in sorted(fs.glob(f"{path.rstrip('/')}/*.jsonl.gz")):
        with fs.open(name, "rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as handle:
            found += [json.loads(line) for line in handle if line.strip()]
    return found


def documents(rows: list[dict]) -> list[tuple[str, str, str]]:
    return sorted((r["id"], r["metadata"]["url"], r["text"]) for r in rows)


def categories(rows: list[dict]) -> dict[str, int]:
    return dict(sorted(Counter(r["metadata"]["category"] for r in rows).items()))


@pytest.fixture(scope="module")
def local_run(tmp_path_factory) -> tuple[dict, dict[str, list[dict]]]:
    """The reference: `mine --until domain` on a plain local path, and its stages' rows."""
    out = tmp_path_factory.mktemp("local") / "out"
    summary = summary_of(mine("-i", str(DEMO_DIR), "-o", str(out), "--until", "domain"))
    return summary, {stage: stage_rows(str(out / stage)) for stage in ("extract", "filter", "domain")}


def check_same_as_local(summary: dict, output: str, local_run) -> None:
    local_summary, local_rows = local_run
    # a file:// URL is reported as the path it names (the CLI reads every folder argument that way)
    assert summary["output"] == output.removeprefix("file://")
    rows = {stage: stage_rows(f"{output}/{stage}") for stage in local_rows}
    # what was written: the same documents as the local run, all 16 pages of the sample
    assert [d[0] for d in documents(rows["extract"])] == response_ids(DEMO_WARC)
    for stage in local_rows:
        assert documents(rows[stage]) == documents(local_rows[stage]), stage
    # what is reported: the counts of what was written, equal to the local run's
    assert summary["extract_documents"] == len(rows["extract"]) == 16
    assert summary["filter_documents"] == len(rows["filter"])
    assert summary["domain_documents"] == len(rows["domain"]) > 0
    assert summary["categories"] == categories(rows["domain"]) == local_summary["categories"]
    assert {k: v for k, v in summary.items() if k != "output"} == {
        k: v for k, v in local_summary.items() if k != "output"
    }


@pytest.mark.slow
def test_file_url_output_reports_what_it_wrote(tmp_path, local_run):
    output = f"file://{tmp_path}/out"  # was: 16 documents written, 0 reported
    summary = summary_of(mine("-i", str(DEMO_DIR), "-o", output, "--until", "domain"))
    check_same_as_local(summary, output, local_run)


@pytest.mark.slow
def test_memory_url_output_reports_what_it_wrote(local_run):
    output = f"memory://mine-{uuid.uuid4().hex}/out"  # fsspec's in-memory filesystem, another scheme
    try:
        summary = summary_of(mine("-i", str(DEMO_DIR), "-o", output, "--until", "domain"))
        check_same_as_local(summary, output, local_run)
    finally:
        fsspec.filesystem("memory").rm(output.removeprefix("memory://").split("/")[0], recursive=True)


@pytest.fixture
def mixed(tmp_path) -> Path:
    """The sample next to another crawl whose name ends the same, and a non-WARC file."""
    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(DEMO_WARC, folder / "pages.warc.gz")
    shutil.copy(OTHER_WARC, folder / "more-pages.warc.gz")  # a careless `*pages.warc.gz` matches it too
    (folder / "NOTES.txt").write_text("not a crawl")
    return folder


def test_each_input_form_names_exactly_its_files(mixed):
    """What datatrove's reader will list for each form (its own DataFolder listing, no run needed)."""
    from datatrove.io import get_datafolder

    from crossthink_data.mining.warc import warc_input

    def listed(given: str, glob: str = "**/*.warc.gz") -> list[str]:
        folder, pattern = warc_input(given, glob)
        return get_datafolder(folder).list_files(glob_pattern=pattern)  # relative to the folder

    assert listed(str(mixed)) == ["more-pages.warc.gz", "pages.warc.gz"]
    assert listed(f"file://{mixed}", "p*.warc.gz") == ["pages.warc.gz"]
    assert listed(str(mixed / "pages.warc.gz")) == ["pages.warc.gz"]
    assert listed(f"file://{mixed}/pages.warc.gz") == ["pages.warc.gz"]
    assert listed(f"{mixed}/*.warc.gz") == ["more-pages.warc.gz", "pages.warc.gz"]
    assert listed(f"{mixed}/p*.warc.gz") == ["pages.warc.gz"]
    assert listed(f"{mixed.parent}/**/p*.warc.gz") == ["mixed/pages.warc.gz"]


@pytest.mark.slow
def test_single_file_and_glob_inputs_read_the_same_pages_as_a_folder(mixed, tmp_path, local_run):
    _, local_rows = local_run  # read from the folder holding only the sample
    expected = documents(local_rows["extract"])
    assert [d[0] for d in expected] == response_ids(DEMO_WARC)
    for name, given in {"file": f"file://{mixed}/pages.warc.gz", "glob": f"{mixed}/p*.warc.gz"}.items():
        out = tmp_path / name
        summary = summary_of(mine("-i", given, "-o", str(out), "--until", "extract"))
        assert documents(stage_rows(str(out / "extract"))) == expected, name
        assert summary["extract_documents"] == 16, name


@pytest.mark.parametrize(
    "given, says",
    [
        ("{tmp}/missing", "does not exist; it takes a folder of WARC files"),
        ("{tmp}/crawl/*.warc.gz", "the glob matches no file"),
        ("{tmp}/crawl/NOTES.txt", "NOTES.txt is not a WARC file"),
        ("{tmp}/crawl/*", "NOTES.txt is not a WARC file"),
        ("{tmp}/crawl", "no file matching **/*.warc.gz in this folder"),
        ("memory://no-such-bucket/x/*.warc.gz", "the glob matches no file"),
    ],
)
def test_bad_input_is_one_line_and_a_failure(tmp_path, given, says):
    (tmp_path / "crawl").mkdir()
    (tmp_path / "crawl" / "NOTES.txt").write_text("not a crawl")
    result = mine("-i", given.format(tmp=tmp_path), "-o", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # no traceback
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --input ") and says in lines[0], result.stderr
    assert not (tmp_path / "out").exists()  # refused before any stage ran


def test_checkpoints_stay_local_when_the_output_is_remote(tmp_path, monkeypatch):
    from crossthink_data.mining.pipeline import MinerConfig

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    local = MinerConfig(input="in", output=f"file://{tmp_path}/out")
    assert local.checkpoints("generate") == f"{tmp_path}/out/checkpoints/generate"
    remote = MinerConfig(input="in", output="s3://bucket/mine/run-1")
    folder = remote.checkpoints("generate")
    assert folder.startswith(f"{tmp_path}/cache/crossthink_data/")
    assert folder.endswith("/checkpoints/generate") and "run-1" in folder
    assert MinerConfig(input="in", output="s3://bucket/mine/run-2").checkpoints() != folder
    chosen = MinerConfig(input="in", output="s3://b/x", checkpoints_dir=str(tmp_path / "ck"))
    assert chosen.checkpoints("generate") == f"{tmp_path}/ck/generate"

    result = mine("-i", str(DEMO_DIR), "-o", str(tmp_path / "o"), "--checkpoints-dir", "s3://b/ck")
    assert result.exit_code == 1 and "must be on local disk" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_input_and_output_in_an_s3_bucket(s3_bucket, local_run):
    """Input uploaded to a bucket, output to the same bucket, over the S3 HTTP API (moto emulator,
    see tests/helpers/s3_server.py); results read back with boto3, independent of fsspec."""
    import boto3

    bucket, name = s3_bucket, s3_bucket.removeprefix("s3://")
    client = boto3.client("s3")  # endpoint and credentials from the AWS variables the fixture set
    client.upload_file(str(DEMO_WARC), name, "crawl/seg-1/pages.warc.gz")
    output = f"{bucket}/runs/1"

    summary = summary_of(mine("-i", f"{bucket}/crawl/*/*.warc.gz", "-o", output, "--until", "domain"))
    check_same_as_local(summary, output, local_run)
    # outputs are objects in the bucket, readable by any S3 client
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=name, Prefix="runs/1/")
    keys = sorted(item["Key"] for page in pages for item in page.get("Contents", []))
    assert "runs/1/domain/00000.jsonl.gz" in keys and any(
        k.startswith("runs/1/logs/cpu/stats/") for k in keys
    )
    body = client.get_object(Bucket=name, Key="runs/1/domain/00000.jsonl.gz")["Body"].read()
    lines = gzip.decompress(body).splitlines()
    assert len(lines) == summary["domain_documents"]

    missing = mine("-i", f"{bucket}/nothing/*.warc.gz", "-o", output)
    assert missing.exit_code == 1 and missing.stderr.count("\n") == 1
    assert "the glob matches no file" in missing.stderr
