"""Storage by URL: every data command reads and writes any fsspec URL, not only local paths.

Each command runs through the real CLI (typer's CliRunner) against ``memory://`` (fsspec's
in-process store), ``file://`` URLs and ``s3://`` buckets, and must give exactly what the same
command gives on plain local paths: the same reports, row ids, card numbers. The S3 tests talk to
moto's standalone server on loopback, an emulator of the S3 HTTP API (no real object store can be
reached here); s3fs sends it the same signed HTTP requests it would send to AWS, configured only
through the AWS environment variables a user sets (``tests/helpers/s3_server.py``).
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from typer.testing import CliRunner

from crossthink_data import storage
from crossthink_data.cli import app
from crossthink_data.curation.demo import DEMO_BENCHMARKS
from crossthink_data.sources import DEMO_SOURCES
from tests.helpers.openai_server import message_text, start_openai_server

SOURCES = ("arc_challenge", "gsm8k", "agieval_math")


def cli(*args: str) -> str:
    """Runs one ``crossthink-data`` command in-process; fails the test with its output if it fails."""
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, f"{' '.join(map(str, args))}\n{result.output}\n{result.exception!r}"
    return result.output


def card_rows(folder: str) -> dict[str, int]:
    """``config -> num_examples`` from the YAML header of an exported folder's README.md."""
    header = yaml.safe_load(storage.read_text(storage.join(folder, "README.md")).split("---")[1])
    infos = header["dataset_info"]
    infos = infos if isinstance(infos, list) else [infos]  # a lone "default" config: one unnamed mapping
    return {info.get("config_name", "default"): info["splits"][0]["num_examples"] for info in infos}


def shard_rows(folder: str, config: str) -> int:
    """Rows in a config's shards, counted with plain pyarrow + fsspec (not the code under test)."""
    fs, path = fsspec.core.url_to_fs(storage.join(folder, "data", config))
    fs.invalidate_cache()
    total = 0
    for name in fs.glob(f"{path}/*.parquet"):
        with fs.open(name, "rb") as handle:
            total += pq.ParquetFile(handle).metadata.num_rows
    return total


def ids(folder: str) -> list[str]:
    from crossthink_data.rows import read_table

    return sorted(read_table(folder).column("id").to_pylist())


def upload_demo_sources(root: str) -> dict[str, str]:
    """The shipped demo source files copied to ``root/upstream/<source>``; returns their URLs."""
    urls = {}
    for name in SOURCES:
        urls[name] = storage.join(root, "upstream", name)
        storage.upload_folder(DEMO_SOURCES[name], urls[name])
    return urls


def run_chain(root: str, from_dirs: dict[str, str]) -> dict:
    """``sources -> decontaminate -> dedup -> blend`` into one work folder, then ``export`` of the one
    repo, through the CLI, every folder under ``root``; returns what a user would look at: reports,
    the repo card's counts, row ids."""
    work, repo = storage.join(root, "work"), storage.join(root, "repo")
    for name, from_dir in from_dirs.items():
        output = cli("sources", name, "--from-dir", from_dir, "-o", work)
        assert f"building {name}" in output
    cli("decontaminate", "--benchmarks", DEMO_BENCHMARKS, "-o", work)
    cli("dedup", "-o", work)
    blend_out = cli("blend", "crossthink", "-o", work)
    cli("export", work, "-o", repo)
    report = storage.read_json(storage.join(work, "sources", "report.json"))
    card = card_rows(repo)
    return {
        "sources": {n: {e["config"]: e["kept"] for e in report if e["source"] == n} for n in from_dirs},
        "decont": storage.read_json(storage.join(work, "curation", "1_decont", "report.json")),
        "dedup": storage.read_json(storage.join(work, "curation", "2_dedup", "report.json")),
        "dedup_ids": ids(storage.join(work, "curation", "2_dedup", "data")),
        "card": card,
        "shards": {config: shard_rows(repo, config) for config in card},
        "blend_ids": ids(storage.join(repo, "data", "blend-crossthink")),
        "blend_report": storage.read_json(storage.join(work, "blends", "crossthink", "report.json")),
        "blend_printed": blend_out,
    }


@pytest.fixture(scope="module")
def local_chain(tmp_path_factory) -> dict:
    """The reference: the same chain on plain local paths (the behaviour every other test pins)."""
    root = tmp_path_factory.mktemp("local_chain")
    return run_chain(str(root), {name: str(DEMO_SOURCES[name]) for name in SOURCES})


def assert_same_as_local(remote: dict, local: dict) -> None:
    for key in ("sources", "decont", "dedup", "dedup_ids", "card", "blend_ids"):
        assert remote[key] == local[key], key
    assert remote["shards"] == remote["card"]  # the card counts what the shards hold
    assert remote["card"]["blend-crossthink"] == len(remote["blend_ids"]) == remote["blend_report"]["rows"]


@pytest.mark.slow
def test_local_chain_is_a_real_reference(local_chain: dict) -> None:
    """The reference is not vacuous: every stage kept rows and removed some (see test_curation_*)."""
    sources, card = local_chain["sources"], local_chain["card"]
    assert all(rows["records"] > 100 for rows in sources.values())
    templated = sum(rows.get(t, 0) for rows in sources.values() for t in ("mcq", "open"))
    assert local_chain["decont"]["rows_in"] == templated  # the pool: every source's templated rows
    assert local_chain["decont"]["removed"] > 0 and local_chain["decont"]["kept"] > 0
    assert local_chain["decont"]["kept"] == local_chain["dedup"]["rows_in"]
    assert local_chain["dedup"]["kept"] == len(local_chain["dedup_ids"]) > 0
    # the repo's per-source configs hold exactly the curated rows; the blend draws from them
    assert sum(n for c, n in card.items() if c.endswith(("-mcq", "-open"))) == local_chain["dedup"]["kept"]
    assert 0 < card["blend-crossthink"] == card["blend-crossthink-verl"] <= local_chain["dedup"]["kept"]
    assert set(card) >= {f"{s}-records" for s in SOURCES}


@pytest.mark.slow
def test_every_command_of_the_chain_on_memory_urls(local_chain: dict) -> None:
    root = f"memory://chain-{uuid.uuid4().hex[:8]}"
    try:
        remote = run_chain(root, upload_demo_sources(root))
        assert_same_as_local(remote, local_chain)
        assert "memory://" in remote["blend_printed"]  # the summary names the URL it wrote
    finally:
        storage.remove(root)


@pytest.mark.slow
def test_the_chain_with_input_and_output_in_an_s3_bucket(
    local_chain: dict, s3_bucket: str, tmp_path: Path
) -> None:
    """sources -> decontaminate -> dedup -> blend -> export, reading and writing only the bucket."""
    from datasets import load_dataset

    root = storage.join(s3_bucket, "run")
    remote = run_chain(root, upload_demo_sources(s3_bucket))
    assert_same_as_local(remote, local_chain)
    # nothing was written locally by mistake: the bucket holds every stage's output
    fs, _ = fsspec.core.url_to_fs(s3_bucket)
    top = {storage.basename(p) for p in fs.ls(storage.fs_and_path(root)[1], detail=False, refresh=True)}
    assert top == {"work", "repo"}
    # the exported folders load with `datasets` once downloaded, as from any bucket
    for folder, config, rows in (
        ("repo", "blend-crossthink", remote["card"]["blend-crossthink"]),
        ("repo", "gsm8k-open", remote["card"]["gsm8k-open"]),
    ):
        local = tmp_path / folder.replace("/", "_")
        fs.get(storage.fs_and_path(storage.join(root, folder))[1] + "/", str(local), recursive=True)
        dataset = load_dataset(str(local), config, split="train", cache_dir=str(tmp_path / "cache"))
        assert dataset.num_rows == rows


def source_rows(work: str, source: str, config: str) -> int:
    """Rows in one (source, config) of the sources stage, counted with plain pyarrow."""
    folder = Path(storage.local_path(storage.join(work, "sources", source, "parquet", config)))
    return sum(pq.read_metadata(f).num_rows for f in folder.glob("*.parquet"))


def test_sources_with_a_file_url_output_writes_the_stage(test_data: Path, tmp_path: Path) -> None:
    """The reported failure: `sources math_train --from-dir ... -o file://$PWD/out` said 'produced no rows'."""
    from_dir = test_data / "sources" / "math_train"
    cli("sources", "math_train", "--from-dir", from_dir, "-o", tmp_path / "plain")
    output = cli("sources", "math_train", "--from-dir", f"file://{from_dir}", "-o", f"file://{tmp_path}/url")
    expected = storage.read_json(str(tmp_path / "plain" / "sources" / "report.json"))
    kept = {e["config"]: e["kept"] for e in expected if e["kept"]}
    assert set(kept) == {"records", "open"} and kept["records"] > 0  # MATH has no options: no mcq
    assert storage.read_json(str(tmp_path / "url" / "sources" / "report.json")) == expected
    assert {c: source_rows(str(tmp_path / "url"), "math_train", c) for c in kept} == kept
    assert "math_train" in output and "file:///" in output


def test_export_to_a_remote_folder_swaps_the_repo_only_when_every_config_succeeds(test_data: Path) -> None:
    """Remote export from a remote work folder: resharding replaces the old shards; a failing export
    leaves the repo as it was."""
    root = f"memory://export-{uuid.uuid4().hex[:8]}"
    try:
        work, out = storage.join(root, "work"), storage.join(root, "repo")
        cli(
            "sources",
            "gsm8k",
            "--from-dir",
            test_data / "sources" / "gsm8k",
            "-o",
            work,
            "--configs",
            "records,open",
        )
        open_rows = storage.read_json(storage.join(work, "sources", "report.json"))[1]["kept"]
        assert open_rows >= 4
        cli("export", work, "-o", out, "--set", "rows_per_shard=2")
        shards = storage.list_files(storage.join(out, "data", "gsm8k-open"))
        assert len(shards) == -(-open_rows // 2) > 1 and card_rows(out)["gsm8k-open"] == open_rows
        before = {f: storage.file_size(f) for f in storage.list_files(out)}
        # a shard of the stage whose rows break the schema: the export fails, the remote repo is unchanged
        stage = storage.join(work, "sources", "gsm8k", "parquet", "open")
        with storage.open_url(storage.list_files(stage, (".parquet",))[0]) as handle:
            table = pq.read_table(handle)
        domain = table.schema.get_field_index("domain")
        garbage = storage.join(stage, "zz.parquet")
        with storage.open_url(garbage, "wb") as handle:
            pq.write_table(table.set_column(domain, "domain", pa.array(["physics"] * table.num_rows)), handle)
        bad = CliRunner().invoke(app, ["export", work, "-o", out])
        assert bad.exit_code == 1 and "'physics' is not one of" in bad.output
        assert {f: storage.file_size(f) for f in storage.list_files(out)} == before
        # resharded: one shard now, the old ones gone
        storage.remove(garbage)
        cli("export", work, "-o", out)
        assert [storage.basename(f) for f in storage.list_files(storage.join(out, "data", "gsm8k-open"))] == [
            "train-00000-of-00001.parquet"
        ]
        assert card_rows(out)["gsm8k-open"] == open_rows == shard_rows(out, "gsm8k-open")
        assert not [f for f in storage.list_files(out) if ".staging" in f]
    finally:
        storage.remove(root)


def test_difficulty_reads_and_writes_memory_urls(test_data: Path, tmp_path: Path, monkeypatch) -> None:
    """Scripted loopback model: right on the even rows, wrong on the odd ones; easy rows are dropped."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    from crossthink_data.sources import get_source
    from crossthink_data.templates import render

    records = list(get_source("gsm8k").records(from_dir=test_data / "curation" / "gsm8k"))[:6]
    rendered = [render(r, "open") for r in records]
    right = {row["prompt"][0]["content"]: row["ground_truth"] for row in rendered[::2]}

    def reply(request) -> str:
        text = message_text(request)
        answer = right.get(text, "no idea")
        return f"<think>Let me work it out.</think> The answer is \\boxed{{{answer}}}."

    root = f"memory://difficulty-{uuid.uuid4().hex[:8]}"
    try:
        storage.write_text(
            storage.join(root, "in", "rows.jsonl"), "".join(json.dumps(r) + "\n" for r in rendered)
        )
        with start_openai_server(reply, api_key=None) as server:
            cli(
                "difficulty", "-i", storage.join(root, "in"), "-o", storage.join(root, "work"), "--model", "scripted",
                "--endpoint-url", server.base_url, "--api-key-env", "NO_KEY_NEEDED", "-k", "2",
                "--max-pass-rate", "0.5",
            )  # fmt: skip
        stage = storage.join(root, "work", "curation", "3_difficulty")  # the build's stage folder
        report = storage.read_json(storage.join(stage, "report.json"))
        assert (report["rows_in"], report["too_easy"], report["kept"]) == (6, 3, 3)
        assert report["histogram"] == {"0.0-0.1": 3, "0.9-1.0": 3}
        kept = ids(storage.join(stage, "data"))
        assert kept == sorted(r["id"] for r in rendered[1::2])
        # datatrove's checkpoints must be local: a scratch folder named after the remote URL
        scratch = storage.local_scratch(stage, "checkpoints")
        assert scratch.startswith(os.environ["XDG_CACHE_HOME"]) and Path(scratch).is_dir()
    finally:
        storage.remove(root)
        shutil.rmtree(Path(storage.local_scratch(storage.join(root, "out"), "checkpoints")).parent, True)


@pytest.mark.slow
def test_build_recipe_on_memory_urls_matches_a_local_build_and_resumes(tmp_path: Path) -> None:
    """`build` with its output (and the sources' files) on a URL: the pool is copied, not linked."""
    from crossthink_data.curation.build import BuildConfig, run_build

    def recipe(output: str, from_dirs: dict[str, str]) -> BuildConfig:
        return BuildConfig.from_dict(
            {
                "output": output,
                "sources": [{"name": name, "from_dir": from_dirs[name]} for name in SOURCES],
                "decontaminate": {"benchmarks": str(DEMO_BENCHMARKS)},
                "dedup": {},
                "blends": ["crossthink"],
            }
        )

    local = run_build(recipe(str(tmp_path / "local"), {n: str(DEMO_SOURCES[n]) for n in SOURCES}))
    root = f"memory://build-{uuid.uuid4().hex[:8]}"
    out = storage.join(root, "out")
    work = storage.join(root, "_work", "out")  # beside the repo, never inside it
    try:
        upstream = upload_demo_sources(root)
        remote = run_build(recipe(out, upstream))
        assert remote["decontaminate"] == local["decontaminate"] and remote["dedup"] == local["dedup"]
        assert remote["blends"] == local["blends"]
        rows = card_rows(out)
        assert (
            rows["blend-crossthink"]
            == rows["blend-crossthink-verl"]
            == remote["blends"]["crossthink"]["rows"]
        )
        assert rows == card_rows(str(tmp_path / "local"))
        assert shard_rows(out, "blend-crossthink") == rows["blend-crossthink"]
        assert not storage.exists(storage.join(out, "_work"))
        local_pool = sorted((tmp_path / "_work" / "local" / "curation" / "0_pool").glob("*.parquet"))
        assert local_pool and all(p.is_symlink() for p in local_pool)  # local: linked
        pool = storage.list_files(storage.join(work, "curation", "0_pool"), (".parquet",))
        assert [storage.basename(f) for f in pool] == [p.name for p in local_pool]  # remote: copied
        assert [storage.file_size(f) for f in pool] == [p.stat().st_size for p in local_pool]
        assert storage.read_json(storage.join(work, "build_summary.json"))["dedup"] == local["dedup"]
        # a rerun finds every curation stage fresh (same inputs and settings) and redoes none of them
        sentinel = storage.join(work, "curation", "2_dedup", "sentinel")
        storage.write_text(sentinel, "a redone stage is cleared first")
        again = run_build(recipe(out, upstream))  # the same upstream files (uploading them again is a change)
        assert again["dedup"] == remote["dedup"] and storage.exists(sentinel)
    finally:
        storage.remove(root)


def test_push_refuses_a_remote_folder_in_one_line() -> None:
    result = CliRunner().invoke(app, ["push", "s3://bucket/subset", "org/name"])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "remote storage" in lines[0] and "s3://bucket/subset" in lines[0]
