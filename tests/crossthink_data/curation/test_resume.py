"""Resume keyed on content (issue 18, finding 2): a stage's earlier output is reused only for the
same input files and settings; a changed input redoes the stage, in one line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crossthink_data.cli import app
from crossthink_data.resume import check_stage, identity
from crossthink_data.rows import count_rows
from crossthink_data.sources.pipeline import run_source
from crossthink_data.templates import render
from tests.helpers.paths import REPO_ROOT
from tests.helpers.records import math_record


def _rows(n: int = 40) -> list[dict]:
    """n open math rows, every question different (no two are duplicates, exact or near)."""
    return [
        render(
            math_record(str(i), question=f"Compute problem number {i} with care, using {i * 7} apples."),
            "open",
        )
        for i in range(n)
    ]


def _write(folder: Path, rows: list[dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_dedup_of_a_fixed_input_does_not_reuse_the_failed_run(tmp_path: Path) -> None:
    """Before: the failed run's exact-dedup stages were reused, and the fixed file (40 unique rows)
    lost one row as an "exact duplicate" of a row that only the broken file had twice."""
    rows = _rows()
    broken = [dict(r) for r in rows]
    broken[10]["answer"] = 5  # the writer fails on it, after the signatures were computed
    broken[20] = dict(rows[5])  # a duplicate only the broken file has
    source, out = tmp_path / "in", tmp_path / "out"
    _write(source, broken)
    first = CliRunner().invoke(app, ["dedup", "-i", str(source), "-o", str(out)])
    assert first.exit_code != 0
    _write(source, rows)
    os.utime(source / "rows.jsonl", ns=(10**18, 10**18))  # a changed time, whatever the clock's resolution
    second = CliRunner().invoke(app, ["dedup", "-i", str(source), "-o", str(out)])
    assert second.exit_code == 0, second.output
    report = json.loads((out / "curation" / "2_dedup" / "report.json").read_text())
    assert report["rows_in"] == 40 and report["kept"] == 40 and report["exact_removed"] == {}
    said = [line for line in second.output.splitlines() if "since its last run" in line]
    assert len(said) == 1 and "rows.jsonl changed" in said[0] and said[0].startswith("dedup: input ")
    assert count_rows(out / "curation" / "2_dedup" / "data") == 40


def test_a_source_reads_its_changed_files_again(tmp_path: Path, capsys) -> None:
    """Before: `sources` and build's sources stage kept the old rows after the upstream files changed
    (datatrove's completion markers said the tasks were done)."""
    upstream = tmp_path / "gsm8k"
    shutil.copytree(REPO_ROOT / "crossthink_data" / "demo_data" / "gsm8k", upstream)
    data = upstream / "test.jsonl"
    lines = data.read_text().splitlines(True)
    work = tmp_path / "work"
    first = run_source("gsm8k", str(work), str(upstream), configs=["records"])
    assert first[0].rows_in == len(lines)
    again = run_source("gsm8k", str(work), str(upstream), configs=["records"])  # unchanged: reused
    assert again[0].rows_in == len(lines) and "since its last run" not in capsys.readouterr().out
    data.write_text("".join(lines[:5]))
    changed = run_source("gsm8k", str(work), str(upstream), configs=["records"])
    assert changed[0].rows_in == 5 and count_rows(work / "gsm8k" / "parquet" / "records") == changed[0].kept
    out = capsys.readouterr().out
    assert out.count("since its last run") == 1 and "test.jsonl changed" in out


def test_decontaminate_redoes_a_changed_input(test_data: Path, tmp_path: Path) -> None:
    """The stage command (as the build runs it) reads a changed input again: datatrove's completion
    markers of the earlier run would have kept its 12 rows."""
    source, work = tmp_path / "in", tmp_path / "work"
    benchmarks = test_data / "curation" / "benchmarks"
    command = ["decontaminate", "-i", str(source), "-o", str(work), "--benchmarks", str(benchmarks)]
    report = work / "curation" / "1_decont" / "report.json"
    _write(source, _rows(12))
    first = CliRunner().invoke(app, command)
    assert first.exit_code == 0, first.output
    assert json.loads(report.read_text())["rows_in"] == 12
    _write(source, _rows(7))
    os.utime(source / "rows.jsonl", ns=(10**18, 10**18))
    second = CliRunner().invoke(app, command)
    assert second.exit_code == 0, second.output
    assert (
        "decontaminate: input " in second.output and "rows.jsonl changed since its last run" in second.output
    )
    assert json.loads(report.read_text())["rows_in"] == 7
    assert count_rows(work / "curation" / "1_decont" / "data") == 7


def test_check_stage_rule(tmp_path: Path) -> None:
    """Finished: same identity and a report. Unfinished: same identity, no report (tasks resume,
    nothing cleared). Stale: cleared, except the user's kept files, and said in one line."""
    from crossthink_data.ownership import claim

    source, stage = tmp_path / "in", tmp_path / "stage"
    _write(source, _rows(3))
    stage.mkdir()
    (stage / "notes.txt").write_text("mine\n")
    claim(stage, "dedup", overwrite=True)
    said: list[str] = []
    assert not check_stage(stage, [source], {"k": 1}, "dedup", said.append)
    (stage / "logs").mkdir()
    (stage / "logs" / "done").write_text("")
    assert not check_stage(stage, [source], {"k": 1}, "dedup", said.append)
    assert (stage / "logs" / "done").exists() and said == []  # unfinished: kept for datatrove to resume
    (stage / "report.json").write_text("{}")
    assert check_stage(stage, [source], {"k": 1}, "dedup", said.append)
    assert not check_stage(stage, [source], {"k": 2}, "dedup", said.append)
    assert said == ["dedup: its settings changed since its last run: redoing it and every stage after it"]
    assert sorted(p.name for p in stage.iterdir()) == [
        ".crossthink-data.json",
        "fingerprint.json",
        "notes.txt",
    ]
    link = tmp_path / "pool"
    link.mkdir()
    os.symlink(source / "rows.jsonl", link / "a.jsonl")
    before = identity([link])
    os.remove(link / "a.jsonl")
    os.symlink(source / "rows.jsonl", link / "a.jsonl")  # a link made again: the same identity
    assert identity([link]) == before


@pytest.mark.slow
def test_build_redoes_a_changed_source_and_every_stage_after_it(tmp_path: Path) -> None:
    """Before: build's sources stage kept the old rows after its files changed, and the export said
    the repo "is up to date". Now the source, decontaminate, dedup, the blend and the export are
    redone, and the run says why in one line."""
    upstream = tmp_path / "gsm8k"
    shutil.copytree(REPO_ROOT / "crossthink_data" / "demo_data" / "gsm8k", upstream)
    data = upstream / "test.jsonl"
    output = tmp_path / "out" / "crossthink"
    command = [
        sys.executable, "-m", "crossthink_data.cli", "build", "demo", "--set", "mine=null",
        "--set", "blends=[crossthink]", "--from-dir", f"gsm8k={upstream}", "--output", str(output),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    first = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
    assert first.returncode == 0, first.stderr[-3000:]
    summary = output.parent / "_work" / "crossthink" / "build_summary.json"
    rows_before = {
        s["config"]: s["rows_in"]
        for s in json.loads(summary.read_text())["sources"]
        if s["source"] == "gsm8k"
    }
    card_before = (output / "README.md").read_text()
    dedup_before = json.loads(summary.read_text())["dedup"]["rows_in"]
    data.write_text("".join(data.read_text().splitlines(True)[:20]))
    second = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
    assert second.returncode == 0, second.stderr[-3000:]
    said = [line for line in second.stdout.splitlines() if "since its last run" in line]
    assert (
        said[0]
        == f"source gsm8k: input {data} changed since its last run: redoing it and every stage after it"
    )
    assert {line.split(":")[0] for line in said} == {
        "source gsm8k",
        "decontaminate",
        "dedup",
        "blend crossthink",
    }
    assert "is up to date" not in second.stdout
    after = json.loads(summary.read_text())
    assert rows_before["records"] > 20
    assert {s["config"]: s["rows_in"] for s in after["sources"] if s["source"] == "gsm8k"}["records"] == 20
    assert after["dedup"]["rows_in"] < dedup_before  # the pool lost the cut rows
    assert (output / "README.md").read_text() != card_before  # exported again, from the new rows
