"""``crossthink-data sources``: demo stand-ins read their shipped rows; an unreachable Hub is one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

from crossthink_data.sources import DEMO_SOURCES
from tests.helpers.paths import REPO_ROOT


def _sources(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=str(REPO_ROOT))
    command = [sys.executable, "-m", "crossthink_data.cli", "sources", *args]
    return subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=300)


def test_a_demo_stand_in_reads_its_shipped_rows_without_the_hub(tmp_path: Path) -> None:
    result = _sources("arc_challenge", "-o", str(tmp_path / "out"), "--configs", "records", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"reading the demo rows shipped in {DEMO_SOURCES['arc_challenge']}" in " ".join(
        result.stdout.split()
    )
    # the build's sources stage: parquet under OUTPUT/sources/<source>/, counts in its report.json
    shards = sorted(
        (tmp_path / "out" / "sources" / "arc_challenge" / "parquet" / "records").glob("*.parquet")
    )
    # 300 shipped MUI-Eval rows; 25 answers name no option (or contradict it) and are rejected
    assert sum(pq.read_metadata(s).num_rows for s in shards) == 275
    report = json.loads((tmp_path / "out" / "sources" / "report.json").read_text())
    assert [(e["source"], e["config"], e["rows_in"], e["kept"]) for e in report] == [
        ("arc_challenge", "records", 300, 275)
    ]
    assert "Traceback" not in result.stderr


def test_an_unreachable_hub_dataset_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    result = _sources("mmlu_train", "-o", str(tmp_path / "out"), "--limit", "3", cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: mmlu_train: cannot reach the Hub dataset cais/mmlu (")
    assert "pass --from-dir" in lines[0]


def test_hub_for_a_stand_in_without_a_hub_dataset_says_so(tmp_path: Path) -> None:
    result = _sources("agieval_math", "--hub", "-o", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: source 'agieval_math' has no Hub dataset: pass --from-dir with its files"
    ]
