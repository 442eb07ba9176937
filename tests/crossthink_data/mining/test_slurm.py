"""The miner's CPU job submitted as a real Slurm job array (one-node cluster started by the test).

munged, slurmctld and slurmd run for real (tests/helpers/slurm_cluster.py); datatrove's
SlurmPipelineExecutor pickles the pipeline, writes the sbatch script and submits the array; each
array task runs ``launch_pickled_pipeline`` from this repo's venv. The output must equal a local
run over the same real WARC files.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest

from crossthink_data.mining.pipeline import MinerConfig, build_executors, run_miner
from tests.helpers.warc import DEMO_WARC, documents, split_warc

pytestmark = [pytest.mark.slow, pytest.mark.slurm]


def test_cpu_job_array_on_slurm_equals_a_local_run(slurm, tmp_path, monkeypatch):
    inputs = tmp_path / "in"
    split_warc(DEMO_WARC, inputs, 3)
    local = MinerConfig(input=str(inputs), output=str(tmp_path / "local"))
    run_miner(local, "domain", tasks=3, workers=1)

    monkeypatch.setenv("SLURM_CONF", str(slurm.conf))  # sbatch, and the jobs, talk to the test cluster
    on_slurm = MinerConfig(input=str(inputs), output=str(tmp_path / "slurm"))
    venv_activate = Path(sys.executable).parent / "activate"
    summary = run_miner(
        on_slurm,
        "domain",
        executor="slurm",
        tasks=3,
        workers=2,
        cpu_slurm={
            "partition": slurm.partition,
            "time": "00:10:00",
            "venv_path": str(venv_activate),
            "mem_per_cpu_gb": 0,
            "cpus_per_task": 1,
            "requeue_signals": None,
        },
    )
    job_id = summary["submitted"][0]
    assert job_id and str(job_id).isdigit()
    slurm.wait_for_jobs(timeout_s=300)

    logs = tmp_path / "slurm" / "logs" / "cpu"
    assert sorted(p.name for p in (logs / "completions").iterdir()) == ["00000", "00001", "00002"], "\n".join(
        p.read_text()[-3000:] for p in (logs / "slurm_logs").glob("*.out")
    )
    script = (logs / "launch_script.slurm").read_text()
    assert "#SBATCH --array=0-2%2" in script and f"#SBATCH --partition={slurm.partition}" in script
    for stage in ("extract", "filter", "domain"):
        assert documents(tmp_path / "slurm" / stage) == documents(tmp_path / "local" / stage), stage
    assert documents(tmp_path / "slurm" / "domain")


def test_generation_job_depends_on_the_cpu_job(tmp_path):
    """The GPU stage is a second array that Slurm starts only after the CPU array succeeded."""
    cfg = MinerConfig(input=str(tmp_path), output=str(tmp_path / "out"))
    cfg.generation = replace(cfg.generation, server_type="vllm", tp=4)
    cpu, gpu, *parse = build_executors(
        cfg,
        "parse",
        executor="slurm",
        tasks=8,
        gpu_tasks=2,
        cpu_slurm={"partition": "cpu", "time": "01:00:00"},
        gpu_slurm={"partition": "gpu", "time": "12:00:00", "gpus_per_task": 4, "cpus_per_task": 16},
    )
    assert gpu.depends is cpu and parse[0].depends is gpu and parse[-1].depends is parse[-2]
    assert gpu.get_sbatch_args()["gpus"] == 4 and gpu.get_sbatch_args()["partition"] == "gpu"
    assert cpu.tasks == 8 and gpu.tasks == 2
    runner = gpu.pipeline[-1]
    assert runner.config.server_type == "vllm" and runner.config.tp == 4
