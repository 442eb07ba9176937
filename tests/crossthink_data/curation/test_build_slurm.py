"""``executor: slurm`` on a real one-node Slurm (started by the test): ``build`` submits a driver job
that runs the recipe with every stage as datatrove job arrays, and the repo equals a local build's;
a stage command (``dedup``) submits its arrays and waits for them."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from crossthink_data.curation.build import BuildConfig, run_build
from crossthink_data.executors import SLURM_STAGES_ENV, StageFailed, make_executor
from tests.helpers.paths import DEMO_DATA, REPO_ROOT, TEST_DATA

pytestmark = [pytest.mark.slow, pytest.mark.slurm]


def _recipe(out: Path, **values) -> BuildConfig:
    return BuildConfig.from_dict(
        {
            "sources": [{"name": "gsm8k", "from_dir": str(DEMO_DATA / "gsm8k")}],
            "templates": ["open"],
            "dedup": {"near": False},
            "blends": ["natural"],
            "default_blend": "natural",
            "output": str(out / "repo"),
            "tasks": 2,
            "workers": 2,
            **values,
        }
    )


def _rows(repo: Path) -> dict[str, list[dict]]:
    return {
        folder.name: [row for f in sorted(folder.glob("*.parquet")) for row in pq.read_table(f).to_pylist()]
        for folder in sorted((repo / "data").iterdir())
    }


def test_build_on_slurm_runs_stage_arrays_and_writes_the_local_repo(slurm, tmp_path, monkeypatch):
    run_build(_recipe(tmp_path / "local"))

    monkeypatch.setenv(
        "SLURM_CONF", str(slurm.conf)
    )  # sbatch, the driver and its arrays use the test cluster
    monkeypatch.setenv("PYTHONPATH", str(REPO_ROOT))
    options = {"partition": slurm.partition, "time": "00:20:00", "mem_per_cpu_gb": 0, "cpus_per_task": 1}
    submitted = run_build(_recipe(tmp_path / "slurm", executor="slurm", slurm=options))
    assert str(submitted["slurm_job"]).isdigit()
    slurm.wait_for_jobs(timeout_s=480)

    work = tmp_path / "slurm" / "_work" / "repo"
    driver_log = "\n".join(p.read_text()[-3000:] for p in (work / "slurm").glob("slurm-*.out"))
    assert (tmp_path / "slurm" / "repo" / "README.md").exists(), driver_log
    # Every datatrove stage ran as a job array: the source's two configs and dedup's steps, two tasks
    # each (finding the exact duplicates is one task by design).
    arrays = {
        s.parent.name: re.search(r"#SBATCH --array=(\S+)", s.read_text()).group(1)
        for s in work.rglob("launch_script.slurm")
    }
    two = "0-1%2"
    assert arrays == {
        "records": two, "open": two,
        "0_read": two, "1_exact_signatures": two, "2_exact_find": "0-0%1", "7_write": two,
    }  # fmt: skip
    assert _rows(tmp_path / "slurm" / "repo") == _rows(tmp_path / "local" / "repo")


def _refused(data, rank: int, world_size: int):
    """A step whose endpoint refuses the request (what a mining or difficulty step raises)."""
    raise StageFailed(f"task {rank}: the endpoint refused the request (HTTP 401)")
    yield


def test_a_failed_stage_array_stops_the_driver_with_a_line(slurm, tmp_path, monkeypatch):
    """In the driver, a stage whose task failed raises once the array ended; no job is left pending."""
    monkeypatch.setenv("SLURM_CONF", str(slurm.conf))
    monkeypatch.setenv("PYTHONPATH", str(REPO_ROOT))
    options = {"partition": slurm.partition, "time": "00:10:00", "mem_per_cpu_gb": 0, "requeue_signals": None}
    options["venv_path"] = str(Path(sys.executable).parent / "activate")
    monkeypatch.setenv(SLURM_STAGES_ENV, json.dumps(options))
    executor = make_executor(
        [_refused], str(tmp_path / "logs"), "slurm", tasks=2, workers=2, stage="generate"
    )

    with pytest.raises(
        StageFailed, match=r"^stage generate: 2 of 2 Slurm task\(s\) did not finish; see "
    ) as err:
        executor.run()

    assert err.value.exit_code == 3
    assert slurm.run("squeue", "-h").strip() == ""  # nothing waits on the failed array
    logs = "".join(p.read_text() for p in (tmp_path / "logs" / "slurm_logs").glob("*.out"))
    assert "the endpoint refused the request (HTTP 401)" in logs


def test_a_stage_command_runs_its_arrays_on_slurm_and_waits(slurm, tmp_path, monkeypatch):
    """``dedup --executor slurm``: each step a job array the command waits for; rows as locally."""
    pool = tmp_path / "pool"
    pool.mkdir()
    sample = TEST_DATA / "train" / "crossthink_sample" / "data" / "mcq" / "train-00000-of-00001.parquet"
    for part in range(2):  # the same rows twice: half the pool are exact duplicates
        shutil.copy(sample, pool / f"part{part}.parquet")
    command = [sys.executable, "-m", "crossthink_data.cli", "dedup", "-i", str(pool), "--no-near"]
    local = subprocess.run([*command, "-o", str(tmp_path / "local")], capture_output=True, text=True)
    assert local.returncode == 0, local.stderr

    env = {**os.environ, "SLURM_CONF": str(slurm.conf), "PYTHONPATH": str(REPO_ROOT)}
    on_slurm = [
        *command,
        "-o",
        str(tmp_path / "slurm"),
        "--executor",
        "slurm",
        "--tasks",
        "2",
        "--workers",
        "2",
    ]
    on_slurm += ["--slurm", f"partition={slurm.partition}", "--slurm", "mem_per_cpu_gb=0"]
    result = subprocess.run(on_slurm, env=env, capture_output=True, text=True, timeout=400)

    assert result.returncode == 0, result.stderr[-3000:]
    stage = Path("curation", "2_dedup")
    script = (tmp_path / "slurm" / stage / "logs" / "1_exact_signatures" / "launch_script.slurm").read_text()
    assert "#SBATCH --array=0-1%2" in script and f"#SBATCH --partition={slurm.partition}" in script
    assert slurm.run("squeue", "-h").strip() == ""  # the command returned after its arrays ended
    report = json.loads((tmp_path / "slurm" / stage / "report.json").read_text())
    assert report == json.loads((tmp_path / "local" / stage / "report.json").read_text())
    assert report["exact_removed"] and report["kept"] * 2 == report["rows_in"]
