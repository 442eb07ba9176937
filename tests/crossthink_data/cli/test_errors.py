"""What a user must fix ends `crossthink-data` with one line and exit 1, not a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.helpers.paths import REPO_ROOT, TEST_DATA

DEMO_BENCHMARKS = REPO_ROOT / "crossthink_data" / "curation" / "demo_benchmarks"


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "crossthink_data.cli", *args], capture_output=True, text=True, cwd=cwd
    )


@pytest.mark.parametrize(
    "command",
    [["dedup"], ["decontaminate", "--benchmarks", str(DEMO_BENCHMARKS)]],
    ids=["dedup", "decontaminate"],
)
def test_a_missing_input_folder_is_one_line_and_the_rerun_finishes(command, tmp_path: Path) -> None:
    missing = tmp_path / "no_such_pool"
    failed = _cli(command[0], "-i", str(missing), "-o", "out", *command[1:], cwd=tmp_path)

    assert failed.returncode == 1
    assert "Traceback" not in failed.stderr
    errors = [line for line in failed.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: input folder {missing} does not exist"]
    stage = tmp_path / "out" / "curation" / {"dedup": "2_dedup", "decontaminate": "1_decont"}[command[0]]
    assert not (stage / "report.json").exists()

    pool = TEST_DATA / "train" / "crossthink_sample" / "data" / "mcq"
    fixed = _cli(command[0], "-i", str(pool), "-o", "out", *command[1:], cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stderr[-2000:]
    report = json.loads((stage / "report.json").read_text())
    assert report["rows_in"] == sum(pq.ParquetFile(f).metadata.num_rows for f in pool.glob("*.parquet")) > 0


def test_a_stage_failure_the_command_does_not_report_is_one_line_with_its_exit_code(
    monkeypatch, capsys, tmp_path: Path
) -> None:
    from crossthink_data.cli import main
    from crossthink_data.curation import dedup
    from crossthink_data.executors import StageFailed

    def stale_members(*args, **kwargs):
        raise StageFailed("dedup: 2 cluster members for 3 clustered rows", exit_code=3)

    monkeypatch.setattr(dedup, "dedup", stale_members)
    monkeypatch.setattr(
        sys, "argv", ["crossthink-data", "dedup", "-i", str(tmp_path), "-o", str(tmp_path / "o")]
    )
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 3
    assert capsys.readouterr().err.strip() == "error: dedup: 2 cluster members for 3 clustered rows"
