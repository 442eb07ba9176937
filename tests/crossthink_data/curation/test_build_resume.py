"""`crossthink-data build` killed with SIGKILL in the middle of each stage, then rerun: the repo equals
a clean run's (same configs, row ids and card) and the stages that had finished are not redone.
Errors end in one line and never leave a half-written repo.

The kill is real: a small driver runs the CLI in its own process group and, at a chosen point inside
a stage (the decontamination filter about to run, the MinHash pass of dedup, the second blend's rows
written but not its report, the export's fifth shard), SIGKILLs the whole group, workers included.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from crossthink_data.hub import ExportError, ParquetSelection, RepoConfig, export_repo
from tests.helpers.paths import REPO_ROOT

# a smaller demo: no mining pages, two blends
ARGS = ["build", "demo", "--set", "mine=null", "--set", "blends=[crossthink, mcq_2to1]"]
DRIVER = """
import os, signal, sys

stage = sys.argv[1]


def die():
    os.killpg(os.getpgid(0), signal.SIGKILL)


if stage in ("decont", "dedup"):
    from crossthink_data import executors

    where = {"decont": "1_decont/logs/filter", "dedup": "2_dedup/logs/3_minhash"}[stage]
    make = executors.make_executor

    def make_executor(pipeline, logging_dir, *args, **kwargs):
        if where in str(logging_dir):
            die()
        return make(pipeline, logging_dir, *args, **kwargs)

    executors.make_executor = make_executor
elif stage == "blend":
    from crossthink_data.curation import blends

    calls = []
    write_report = blends._write_report

    def write(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # the second blend's rows are written, its report not yet
            die()
        write_report(*args, **kwargs)

    blends._write_report = write
elif stage == "export":
    from crossthink_data.hub import export

    calls = []
    write = export.ShardWriter.write

    def shard_write(self, table):
        calls.append(1)
        if len(calls) == 5:
            die()
        write(self, table)

    export.ShardWriter.write = shard_write

from crossthink_data.cli import main

sys.argv = ["crossthink-data", *sys.argv[2:]]
main()
"""


def run_build(output: Path, kill_in: str = "none") -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [sys.executable, "-c", DRIVER, kill_in, *ARGS, "--output", str(output)],
        capture_output=True,
        text=True,
        env=env,
        start_new_session=True,
        timeout=600,
    )


def repo_content(repo: Path) -> dict:
    """Configs -> row ids in order, and the card's text."""
    configs = {}
    for folder in sorted((repo / "data").iterdir()):
        ids = []
        for shard in sorted(folder.glob("*.parquet")):
            table = pq.read_table(shard)
            column = "id" if "id" in table.column_names else "extra_info"
            values = table[column].to_pylist()
            ids += [v["id"] if isinstance(v, dict) else v for v in values]
        configs[folder.name] = ids
    return {"configs": configs, "card": (repo / "README.md").read_text()}


def mtimes(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> dict:
    output = tmp_path_factory.mktemp("clean") / "crossthink"
    result = run_build(output)
    assert result.returncode == 0, result.stderr[-3000:]
    return repo_content(output)


# the stages that finished before the kill: their outputs must be left as they were
FINISHED_BEFORE = {
    "decont": ["sources"],
    "dedup": ["sources", "curation/1_decont"],
    "blend": ["sources", "curation/1_decont", "curation/2_dedup", "blends/crossthink"],
    "export": ["sources", "curation/1_decont", "curation/2_dedup", "blends"],
}


@pytest.mark.slow
@pytest.mark.parametrize("stage", list(FINISHED_BEFORE))
def test_killed_build_resumes_to_the_clean_repo(stage, clean, tmp_path):
    output = tmp_path / "out" / "crossthink"
    work = tmp_path / "out" / "_work" / "crossthink"
    killed = run_build(output, stage)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    assert not output.exists()  # nothing half-written where the repo goes
    before = {part: mtimes(work / part) for part in FINISHED_BEFORE[stage]}
    assert all(before.values())
    again = run_build(output)
    assert again.returncode == 0, again.stderr[-3000:]
    assert {part: mtimes(work / part) for part in FINISHED_BEFORE[stage]} == before  # not recomputed
    assert repo_content(output) == clean
    assert not list(output.parent.glob(".crossthink.*"))  # no staging folder left behind


def test_failed_export_leaves_the_previous_repo(test_data: Path, tmp_path: Path):
    def card(folder, stats):
        (folder / "README.md").write_text(f"{sorted(stats)}\n")

    rows = str(test_data / "curation" / "gsm8k")  # jsonl: not parquet, so it fails as a config input
    repo = tmp_path / "repo"
    good = [RepoConfig("a", [{"id": "1", "source": "s", "domain": "math", "category": "math",
                              "question": "1+1?", "answer": "2"}], "records", "s", "records")]  # fmt: skip
    export_repo(repo, good, card)
    before = mtimes(repo)
    bad = good + [RepoConfig("b", ParquetSelection((rows + "/test.jsonl",)), "records", "s", "records")]
    with pytest.raises(ExportError, match="config 'b'"):
        export_repo(repo, bad, card)
    assert mtimes(repo) == before and (repo / "README.md").read_text() == "['a']\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["repo"]  # the staging folder is gone


def build_error(tmp_path: Path, *args: str) -> list[str]:
    """Runs a failing build; returns its stderr lines (the repo must not appear)."""
    output = tmp_path / "out" / "crossthink"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    command = [sys.executable, "-m", "crossthink_data.cli", *ARGS, "--output", str(output), *args]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 1 and not output.exists()
    return [line for line in result.stderr.splitlines() if line.strip()]


@pytest.mark.slow
def test_build_errors_are_one_line_and_leave_no_repo(tmp_path: Path):
    lines = build_error(tmp_path, "--from-dir", f"gsm8k={tmp_path / 'nowhere'}")
    assert len(lines) == 1 and lines[0].startswith("error: ") and "nowhere is not a directory" in lines[0]
    too_big = tmp_path / "too_big.yaml"
    too_big.write_text("name: too_big\nby: domain\nratio: {gpr: 2, math: 1}\ntotal: 100000\n")
    lines = build_error(tmp_path, "--set", f"blends=[crossthink, {too_big}]")
    assert (
        len(lines) == 1
        and lines[0].startswith("error: blend too_big: 100000 questions")
        and "reuse" in lines[0]
    )


@pytest.mark.slow
def test_a_malformed_row_is_one_line_and_counted_in_the_card(tmp_path: Path):
    """A JSON line cut short does not stop the build: one warning line names file:line, and the
    card's filter-H table counts it as ``malformed_row`` for every config of that source."""
    demo_gsm8k = REPO_ROOT / "crossthink_data" / "demo_data" / "gsm8k" / "test.jsonl"
    rows = demo_gsm8k.read_text().splitlines(True)
    bad = tmp_path / "bad_gsm8k"
    bad.mkdir()
    (bad / "test.jsonl").write_text("".join(rows[:5]) + '{"question": "cut\n' + "".join(rows[5:]))
    output = tmp_path / "out" / "crossthink"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    command = [sys.executable, "-m", "crossthink_data.cli", *ARGS, "--output", str(output)]
    result = subprocess.run(
        [*command, "--from-dir", f"gsm8k={bad}"], capture_output=True, text=True, env=env, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    warnings = [line for line in result.stdout.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1
    assert warnings[0].startswith("warning: source gsm8k: 1 malformed row(s)")
    assert f"{bad / 'test.jsonl'}:6: not valid JSON" in warnings[0]
    card = (output / "README.md").read_text()
    for config in ("records", "mcq", "open"):  # the filter-H table: source, config, rows in, kept, dropped
        start = f"| `gsm8k` | {config} | {len(rows) + 1:,} | "
        row = next(line for line in card.splitlines() if line.startswith(start))
        assert "malformed_row: 1" in row, row
