"""``--executor ray``: stages run as datatrove ``RayPipelineExecutor`` tasks on a Ray cluster.

The module starts a 2-CPU Ray cluster in this process (``ray.init``) and shuts it down at the end;
commands run in a child process join it through ``RAY_ADDRESS``, as they would join a real cluster.
The rows must be the rows the local executor writes, and a failed task must stop the stage (datatrove
0.10.1's Ray executor only logs it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from crossthink_data.curation.dedup import DedupSettings, dedup
from crossthink_data.executors import StageFailed, make_executor
from crossthink_data.record import QARecord
from crossthink_data.rows import iter_rows
from crossthink_data.sources import get_source
from crossthink_data.templates import render
from tests.helpers.paths import REPO_ROOT


@pytest.fixture(scope="module")
def ray_address():
    """A local Ray cluster (2 CPUs) for this module; its address, for child processes."""
    import ray

    assert not ray.is_initialized()
    context = ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield context.address_info["address"]
    ray.shutdown()


@pytest.fixture(scope="module")
def pool(test_data: Path, tmp_path_factory) -> Path:
    """ARC-Challenge and MMLU auxiliary_train rows (they share questions) in two files: two tasks."""
    rows = [
        render(record, template)
        for source in ("arc_challenge", "mmlu_train")
        for record in get_source(source).records(from_dir=test_data / "curation" / source)
        if isinstance(record, QARecord)
        for template in ("mcq", "open")
    ]
    folder = tmp_path_factory.mktemp("pool")
    for part in range(2):
        lines = "".join(json.dumps(row) + "\n" for row in rows[part::2])
        (folder / f"rows{part}.jsonl").write_text(lines)
    return folder


def _cli(*args: str, ray_address: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, RAY_ADDRESS=ray_address, PYTHONPATH=str(REPO_ROOT))
    command = [sys.executable, "-m", "crossthink_data.cli", *args]
    return subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_dedup_on_ray_writes_the_rows_the_local_executor_writes(
    ray_address: str, pool: Path, tmp_path: Path
) -> None:
    local = dedup(str(pool), str(tmp_path / "local"), DedupSettings(near=False), tasks=2, workers=2)
    result = _cli(
        "dedup", "-i", str(pool), "-o", str(tmp_path / "ray"), "--no-near",
        "--tasks", "2", "--workers", "2", "--executor", "ray",
        ray_address=ray_address, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr

    # Both tasks ran as Ray tasks: the executor datatrove saved reserves Ray resources per task.
    logs = tmp_path / "ray" / "curation" / "2_dedup" / "logs" / "1_exact_signatures"
    saved = json.loads((logs / "executor.json").read_text())
    assert saved["cpus_per_task"] == 1 and saved["mem_per_cpu_gb"] == 2 and "local_tasks" not in saved
    assert sorted(p.name for p in (logs / "completions").iterdir()) == ["00000", "00001"]
    # The shared questions were found across the two tasks' files, as locally.
    assert local.exact_removed == {"arc_challenge": 68}
    ray_report = json.loads((tmp_path / "ray" / "curation" / "2_dedup" / "report.json").read_text())
    assert ray_report["exact_removed"] == local.exact_removed and ray_report["kept"] == local.kept
    ray_rows = iter_rows(tmp_path / "ray" / "curation" / "2_dedup" / "data")
    assert list(ray_rows) == list(iter_rows(tmp_path / "local" / "data"))


def _refused(data, rank: int, world_size: int):
    """A step whose endpoint refuses the request (what a mining or difficulty step raises)."""
    raise StageFailed(f"task {rank}: the endpoint refused the request (HTTP 401)", exit_code=1)
    yield  # a generator step, as datatrove's are


def _broken(data, rank: int, world_size: int):
    """A step with a bug: not a StageFailed, so the line names the exception and the task log."""
    raise KeyError("question")
    yield


@pytest.mark.parametrize(
    ("step", "line", "exit_code"),
    [
        (_refused, r"^task 0: the endpoint refused the request \(HTTP 401\)$", 1),
        (
            _broken,
            r"^stage generate: KeyError: 'question' \(1 of 1 Ray task\(s\) did not finish; see .*/logs/task_00000.log\)$",
            1,
        ),
    ],
)
def test_a_failed_ray_task_stops_the_stage_with_its_line(
    ray_address: str, tmp_path: Path, step, line: str, exit_code: int
) -> None:
    executor = make_executor([step], str(tmp_path / "logs"), "ray", stage="generate")

    with pytest.raises(StageFailed, match=line) as err:
        executor.run()

    assert err.value.exit_code == exit_code
    assert not (tmp_path / "logs" / "completions").exists()  # a rerun does the task again
    assert "Traceback" in (tmp_path / "logs" / "logs" / "task_00000.log").read_text()
