"""No logging traceback in what a command or benchmark prints.

datatrove adds a loguru sink on ``sys.stderr`` at the end of each task; inside
:func:`~crossthink_data.executors.datatrove_logs_to` that stream is the log file, so the sink
outlived the file and every later log line printed "Logging error in Loguru Handler ... ValueError:
I/O operation on closed file". Each case runs in a fresh interpreter, so its real stderr is read.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.paths import REPO_ROOT

STAGE_THEN_LOG = """
import sys
from loguru import logger
from datatrove.pipeline.readers import JsonlReader
from crossthink_data.executors import datatrove_logs_to, make_executor

folder = sys.argv[1]
with datatrove_logs_to(folder + "/stage.log"):
    make_executor([JsonlReader(folder, glob_pattern="*.jsonl")], folder + "/logs").run()
logger.info("after the stage")
"""

MINING_BENCHMARK = """
import tempfile
from pathlib import Path

from benchmarks import bench_mining as bench

pages = bench.DEMO  # the 16 shipped pages: the benchmark's path at its smallest size
with tempfile.TemporaryDirectory() as tmp:
    for build in (bench.ours, bench.fineweb_reference):
        rate, kept = bench.timed(build, str(pages.parent), pages.name, 16, Path(tmp))
        print(build.__name__, kept)
"""


def run_python(code: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=600,
    )


def assert_clean(stderr: str) -> None:
    assert "Logging error" not in stderr and "Traceback" not in stderr, stderr[-3000:]


def test_a_log_line_after_a_stage_goes_to_the_console(tmp_path: Path) -> None:
    (tmp_path / "rows.jsonl").write_text('{"text": "a row"}\n')
    done = run_python(STAGE_THEN_LOG, str(tmp_path))
    assert done.returncode == 0, done.stderr[-3000:]
    assert_clean(done.stderr)
    assert "after the stage" in done.stderr  # the console is a sink again
    log = (tmp_path / "stage.log").read_text()
    assert "Processing done for rank=0" in log and "after the stage" not in log


@pytest.mark.slow  # about 40 s idle: both pipelines of the benchmark over 16 real pages
def test_the_mining_benchmark_prints_no_logging_error() -> None:
    done = run_python(MINING_BENCHMARK)
    assert done.returncode == 0, done.stderr[-3000:]
    assert_clean(done.stderr)
    kept = dict(line.split() for line in done.stdout.splitlines())
    assert int(kept["ours"]) > 0 and int(kept["fineweb_reference"]) > 0
