"""A real one-node Slurm cluster for tests: munge + slurmctld + slurmd, started and stopped by pid.

Debian's ``slurm-wlm`` and ``munge`` (installed by ``.ci/run``) run as a one-node cluster in
about 20 seconds: ``munged`` as the ``munge`` user, then ``slurmctld`` and ``slurmd`` with a
minimal ``slurm.conf`` under a temporary directory, until ``sinfo`` shows the node idle.

    cluster = start_slurm_cluster(tmp_dir)   # raises SlurmUnavailable with the reason
    cluster.partition                        # "debug"
    cluster.wait_for_jobs(timeout_s=300)     # until squeue is empty
    cluster.stop()                           # kills exactly the daemons it started

Needs root (slurmd runs jobs as their user; SlurmUser=root) and the binaries on PATH.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

SLURM_CONF = """\
ClusterName=crossthink-test
SlurmctldHost={host}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
SlurmctldPort={ctld_port}
SlurmdPort={d_port}
StateSaveLocation={state}/ctld
SlurmdSpoolDir={state}/d
SlurmctldPidFile={state}/slurmctld.pid
SlurmdPidFile={state}/slurmd.pid
SlurmctldLogFile={state}/slurmctld.log
SlurmdLogFile={state}/slurmd.log
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/builtin
MaxArraySize=1001
InactiveLimit=0
KillWait=5
MinJobAge=5
NodeName={host} CPUs={cpus} RealMemory={memory_mb} State=UNKNOWN
PartitionName={partition} Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""


class SlurmUnavailable(RuntimeError):
    """The machine cannot run a test cluster; the message says why."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class SlurmCluster:
    root: Path
    conf: Path
    partition: str
    processes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        """Environment in which sbatch/squeue/sinfo talk to this cluster."""
        return {**os.environ, "SLURM_CONF": str(self.conf)}

    def run(self, *args: str, check: bool = True) -> str:
        return subprocess.run(
            args, env=self.env, capture_output=True, text=True, check=check, timeout=60
        ).stdout

    def wait_for_jobs(self, timeout_s: float = 300) -> None:
        """Block until no job is pending or running (raises TimeoutError with squeue's view)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self.run("squeue", "-h").strip():
                return
            time.sleep(1)
        raise TimeoutError(f"Slurm jobs still queued after {timeout_s} s:\n{self.run('squeue')}")

    def stop(self) -> None:
        """Terminate the daemons this cluster started (by pid), then kill any that linger."""
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in reversed(self.processes):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        self.processes.clear()


def start_slurm_cluster(root: Path, partition: str = "debug", cpus: int | None = None) -> SlurmCluster:
    """Start munged, slurmctld and slurmd in the foreground under ``root``; wait for an idle node."""
    missing = [b for b in ("munged", "slurmctld", "slurmd", "sinfo", "sbatch") if not shutil.which(b)]
    if missing:
        raise SlurmUnavailable(f"not installed: {', '.join(missing)} (apt-get install slurm-wlm munge)")
    if os.geteuid() != 0:
        raise SlurmUnavailable("the test cluster needs root (SlurmUser=root, munged as munge)")
    root = Path(root)
    state = root / "state"
    for sub in ("ctld", "d"):
        (state / sub).mkdir(parents=True, exist_ok=True)
    host = socket.gethostname().split(".")[0]
    cpus = cpus or os.cpu_count() or 1
    conf = root / "slurm.conf"
    conf.write_text(
        SLURM_CONF.format(
            host=host,
            ctld_port=_free_port(),
            d_port=_free_port(),
            state=state,
            cpus=cpus,
            memory_mb=1024,
            partition=partition,
        )
    )
    cluster = SlurmCluster(root, conf, partition)
    try:
        cluster.processes.append(_start_munged(root))
        env = cluster.env
        log = (root / "daemons.log").open("ab")
        cluster.processes.append(
            subprocess.Popen(["slurmctld", "-D", "-i", "-f", str(conf)], env=env, stdout=log, stderr=log)
        )
        _wait(lambda: cluster.run("sinfo", "-h", check=False) != "", 30, "slurmctld did not answer", root)
        cluster.processes.append(
            subprocess.Popen(["slurmd", "-D", "-f", str(conf)], env=env, stdout=log, stderr=log)
        )
        _wait(
            lambda: "idle" in cluster.run("sinfo", "-h", "-o", "%t", check=False), 60, "node not idle", root
        )
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _start_munged(root: Path) -> subprocess.Popen:
    """munged as the munge user with its own socket; reuses /etc/munge/munge.key (created if absent)."""
    socket_dir = Path("/run/munge")
    socket_dir.mkdir(parents=True, exist_ok=True)
    shutil.chown(socket_dir, "munge", "munge")
    key = Path("/etc/munge/munge.key")
    if not key.exists():
        subprocess.run(["mungekey", "--create", "--keyfile", str(key)], check=True)
        shutil.chown(key, "munge", "munge")
        key.chmod(0o400)
    if (socket_dir / "munge.socket.2").exists() and subprocess.run(
        ["munge", "-n"], capture_output=True
    ).returncode == 0:
        # A munged already serves this machine (a previous cluster or the system's); keep using it.
        return subprocess.Popen(["sleep", "infinity"])
    log = (root / "munged.log").open("ab")
    # user=/group= (not runuser): munged is our direct child, so stop() reaps it.
    process = subprocess.Popen(
        ["munged", "--foreground", "--force"],
        user="munge",
        group="munge",
        extra_groups=[],
        stdout=log,
        stderr=log,
    )
    _wait(
        lambda: subprocess.run(["munge", "-n"], capture_output=True).returncode == 0,
        20,
        "munged not up",
        root,
    )
    return process


def _wait(ready, timeout_s: float, what: str, root: Path) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.5)
    logs = "\n".join(p.read_text(errors="replace")[-2000:] for p in sorted(root.rglob("*.log")))
    raise SlurmUnavailable(f"{what} after {timeout_s} s; logs:\n{logs}")
