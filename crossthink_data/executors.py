"""Executors and stage counts: how every stage runs its datatrove steps and reads back what they did.

``make_executor`` is the one place that builds a datatrove executor (local processes, a Slurm
job array, or Ray tasks on a Ray cluster); ``stage_stats`` reads the per-task stats datatrove saved under a logging folder with
datatrove's own :class:`~datatrove.utils.stats.PipelineStats`, so a resumed run (whose finished tasks
were skipped) still reports every task, and a logging folder on remote storage reads the same.

A step that must stop its stage for a reason one line can say (a refused request, an unreachable
endpoint, too many failed requests) raises :class:`StageFailed`: the exception leaves the task, so
datatrove does not write the task's completion marker and a rerun does the work; the task log and
the console show the line without a traceback, and the CLI ends with it (``cli/common.fail``).
"""

from __future__ import annotations

import contextlib
import inspect
import json
import logging
import os
import subprocess
import sys
import time
from collections import Counter
from typing import Any

from datatrove.executor import LocalPipelineExecutor, RayPipelineExecutor, SlurmPipelineExecutor
from loguru import logger

from crossthink_data import storage
from crossthink_data.config import EXECUTORS, ConfigError
from crossthink_data.interrupts import raise_if_interrupted


class StageFailed(Exception):
    """A stage stopped for a reason one line explains; its task is not marked complete.

    ``exit_code`` is what the command exits with: 1 when a setting must change first (a refused
    request, a wrong URL or key), 3 when the same command may succeed later (transient failures
    above ``--max-failed``, a server that never became ready). Pickles through process pools.
    """

    def __init__(self, message: str, exit_code: int = 1) -> None:
        Exception.__init__(self, message, exit_code)  # not super(): subclasses mix in datatrove errors
        self.message = message
        self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message


def _one_line(record: dict) -> None:
    """loguru patcher: a :class:`StageFailed` logged by datatrove's executor is its line, no traceback."""
    exception = record["exception"]
    if exception is not None and isinstance(exception.value, StageFailed):
        record["exception"] = None
        record["message"] = f"stage failed: {exception.value}"


def quiet_stage_failures() -> None:
    """Log :class:`StageFailed` as one line in this process (idempotent; datatrove logs through loguru)."""
    logger.configure(patcher=_one_line)


class NamedLocalExecutor(LocalPipelineExecutor):
    """datatrove's local executor that names a stage it skips as already complete."""

    def __init__(self, *args, stage: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.stage = stage
        self.completions = storage.join(kwargs["logging_dir"], "completions")

    def run(self):
        raise_if_interrupted()
        ranks = range(self.local_rank_offset, self.local_rank_offset + self.local_tasks)
        done = sum(map(self.is_rank_completed, ranks))
        if done == self.local_tasks and not self.depends:
            self._launched = True
            logger.info(
                f"stage {self.stage}: already complete, skipped (delete {self.completions} to redo it)"
            )
            return None
        if done:
            logger.info(
                f"stage {self.stage}: {done} of {self.local_tasks} tasks already complete, resuming the rest"
            )
        try:
            stats = super().run()
        except (EOFError, BrokenPipeError, ConnectionResetError):
            # the pipe to a Manager or worker the Ctrl-C stopped: the interrupt, not an error (the
            # CLI would report an EOFError as a bare "Aborted." before the rule's own line)
            raise_if_interrupted()
            raise
        raise_if_interrupted()  # a Ctrl-C lost while the tasks ran: the caller writes no report
        return stats

    def mark_rank_as_completed(self, rank: int) -> None:
        """Marks a finished task, unless Ctrl-C came meanwhile (an interrupt lost in a finalizer
        lets the task run on: it stops here instead, so no stage is complete after a Ctrl-C)."""
        raise_if_interrupted()
        super().mark_rank_as_completed(rank)


def make_executor(
    pipeline: list,
    logging_dir: str,
    executor: str = "local",
    tasks: int = 1,
    workers: int = 1,
    job_name: str = "crossthink",
    start_method: str | None = None,
    stage: str | None = None,
    **slurm_kwargs,
):
    """A datatrove executor for ``pipeline``: local processes, a Slurm job array, or Ray tasks.

    Args:
        logging_dir: any storage URL; completion markers, logs and stats go there (rerun = resume).
        workers: tasks running at once (local and Ray; on Slurm the array's ``%N``); ``-1`` means all.
        start_method: how local worker processes start; ``None`` keeps datatrove's ``forkserver``
            (safe with threads and GPUs). ``"fork"`` spares each worker re-importing the stack
            (seconds per stage on a small machine), for CPU-only stages.
        stage: the stage's name in messages ("stage generate: already complete, skipped");
            default: the logging folder.
        slurm_kwargs: passed to ``SlurmPipelineExecutor`` (``partition``, ``time``, ``depends``...);
            not used on Ray, whose tasks reserve datatrove's defaults (1 CPU, 2 GB, no GPU): a Slurm
            GPU request (``gpus_per_task=8``) would leave a Ray task waiting for GPUs forever.
    """
    logging_dir = storage.as_url(logging_dir)
    quiet_stage_failures()
    if executor == "local":
        start = {"start_method": start_method} if start_method else {}
        return NamedLocalExecutor(
            pipeline,
            tasks=tasks,
            workers=workers,
            logging_dir=logging_dir,
            stage=stage or logging_dir,
            **start,
        )
    if executor == "slurm":
        return slurm_executor(pipeline, logging_dir, tasks, workers, job_name, stage, **slurm_kwargs)
    if executor == "ray":
        return ray_executor(pipeline, logging_dir, tasks, workers, stage or logging_dir)
    raise ValueError(f"unknown executor {executor!r}; expected one of {EXECUTORS}")


def connect_ray() -> None:
    """Joins a Ray cluster once per process: the one ``RAY_ADDRESS`` names, else one ``ray start``
    left on this machine, else a local one that lives as long as this process (``ray.init``'s own
    order). Workers of a local cluster inherit this process's environment (``PYTHONPATH`` included);
    on a remote cluster, every node needs crossthink installed and the stage folders on shared storage.
    """
    import ray

    if not ray.is_initialized():
        # Task logs land in each stage's logs/ folder (datatrove copies them there): not on the console.
        ray.init(log_to_driver=False, include_dashboard=False)


class NamedRayExecutor(RayPipelineExecutor):
    """datatrove's Ray executor, run like :class:`NamedLocalExecutor`: it names a stage it skips, and
    a failed task stops the stage with its reason.

    datatrove 0.10.1's ``RayPipelineExecutor.run`` logs a failed task at debug level and returns, so
    the next stage would read a partial output. Here each task records why it failed (its
    :class:`StageFailed` line and exit code, or the exception) under ``failures/`` in the logging
    folder, and ``run`` raises a :class:`StageFailed` with it once every task has ended.
    """

    def __init__(self, *args, stage: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.stage = stage
        self.completions = storage.join(kwargs["logging_dir"], "completions")

    def run(self):
        if not self.get_incomplete_ranks(range(self.world_size)):
            self._launched = True
            logger.info(
                f"stage {self.stage}: already complete, skipped (delete {self.completions} to redo it)"
            )
            return None
        connect_ray()
        for old in self.logging_dir.glob("failures/*.json"):
            self.logging_dir.rm(old)
        super().run()
        missing = self.get_incomplete_ranks(range(self.world_size))
        if missing:
            raise self._failure(missing)
        return None

    def _run_for_rank(self, rank: int, local_rank: int = 0, node_rank: int = -1):
        try:
            return super()._run_for_rank(rank, local_rank, node_rank)
        except Exception as err:
            failure = {
                "message": str(err),
                "type": type(err).__name__,
                "exit_code": getattr(err, "exit_code", None),
            }
            with self.logging_dir.open(f"failures/{rank:05d}.json", "w") as file:
                json.dump(failure, file)
            raise

    def _failure(self, missing: list[int]) -> StageFailed:
        """The first failed task's reason as a :class:`StageFailed` (its own line and exit code)."""
        log = storage.join(self.logging_dir.path, "logs", f"task_{missing[0]:05d}.log")
        where = f"{len(missing)} of {self.world_size} Ray task(s) did not finish; see {log}"
        for rank in missing:
            if self.logging_dir.exists(f"failures/{rank:05d}.json"):
                with self.logging_dir.open(f"failures/{rank:05d}.json") as file:
                    failure = json.load(file)
                if failure["exit_code"] is not None:  # a StageFailed: its own line
                    return StageFailed(failure["message"], failure["exit_code"])
                return StageFailed(f"stage {self.stage}: {failure['type']}: {failure['message']} ({where})")
        return StageFailed(f"stage {self.stage}: {where}", exit_code=3)


def ray_executor(pipeline: list, logging_dir: str, tasks: int, workers: int, stage: str) -> NamedRayExecutor:
    """Ray tasks for ``pipeline``, ``workers`` at once (``-1``: all); each task is one Ray actor that
    reserves 1 CPU and 2 GB (datatrove's defaults), so a laptop's local cluster runs as many at once
    as it has CPUs."""
    return NamedRayExecutor(pipeline, tasks=tasks, workers=workers, logging_dir=logging_dir, stage=stage)


def slurm_executor(
    pipeline: list, logging_dir: str, tasks: int, workers: int, job_name: str, stage: str | None, **options
) -> SlurmPipelineExecutor:
    """A datatrove Slurm job array (``qos`` unset, 4 h per task unless ``options`` say otherwise); in
    a build's driver job, a :class:`StageSlurmExecutor` with the build's array options."""
    options = {"qos": "", "time": "04:00:00", **options}
    stage_options = slurm_stage_options()
    if stage_options is None:
        cls, extra = SlurmPipelineExecutor, {}
    else:
        cls, extra = StageSlurmExecutor, {"stage": stage or logging_dir}
        options.update(stage_options)
    return cls(
        pipeline=pipeline, tasks=tasks, workers=workers, logging_dir=logging_dir, job_name=job_name,
        **extra, **options,
    )  # fmt: skip


# Set (to the stage arrays' options, as JSON) in the environment of a build's driver job on Slurm:
# there every Slurm stage submits its job array and waits for it, so the build's next step reads it.
SLURM_STAGES_ENV = "CROSSTHINK_SLURM_STAGES"


def slurm_stage_options() -> dict | None:
    """The stage arrays' ``SlurmPipelineExecutor`` options inside a build's driver job, else ``None``."""
    value = os.environ.get(SLURM_STAGES_ENV)
    return json.loads(value) if value else None


def slurm_array_options(options: dict[str, Any], where: str = "slurm") -> dict[str, Any]:
    """``options`` for every stage's ``SlurmPipelineExecutor`` (``partition``, ``time``,
    ``cpus_per_task``, ``mem_per_cpu_gb``, ``sbatch_args``...), with the jobs run from this Python's
    environment; a key datatrove does not take is one line naming the valid ones (``ConfigError``)."""
    own = ("self", "pipeline", "tasks", "workers", "logging_dir", "job_name", "depends", "depends_job_id")
    valid = [p for p in inspect.signature(SlurmPipelineExecutor.__init__).parameters if p not in own]
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {unknown}; valid: {valid}")
    result: dict[str, Any] = {"partition": "cpu", "requeue_signals": None, **options}
    activate = os.path.join(os.path.dirname(sys.executable), "activate")
    if not {"venv_path", "env_command", "condaenv"} & set(result) and os.path.exists(activate):
        result["venv_path"] = activate  # launch_pickled_pipeline is on the jobs' PATH
    return result


class StageSlurmExecutor(SlurmPipelineExecutor):
    """datatrove's Slurm executor for one stage of a build run by its driver job: ``run`` submits the
    stage's job array (after the array it ``depends`` on) and returns once every task ended, so the
    build reads the stage's output next, as it does locally; tasks that did not finish raise
    :class:`StageFailed` (exit code 3: a rerun resubmits only them).

    Inside an array task (``SLURM_ARRAY_TASK_ID`` set) ``run`` is datatrove's: it runs its ranks.
    """

    def __init__(self, *args, stage: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.stage = stage

    def launch_merge_stats(self) -> None:
        """No merge job: the build sums every task's stats itself (:func:`stage_stats`), and datatrove's
        merge job, which waits on the array succeeding, would stay pending forever after a failed task."""

    def run(self):
        if "SLURM_ARRAY_TASK_ID" in os.environ:
            return super().run()
        super().run()  # submits, or logs that every task is already complete (job_id -1)
        if self.job_id not in (None, -1):
            logger.info(f"stage {self.stage}: waiting for Slurm job {self.job_id}")
            wait_for_slurm_job(str(self.job_id))
        missing = self.get_incomplete_ranks(range(self.world_size))
        if missing:
            raise StageFailed(
                f"stage {self.stage}: {len(missing)} of {self.world_size} Slurm task(s) did not finish; "
                f"see {self.slurm_logs_folder}",
                exit_code=3,
            )
        return None


def wait_for_slurm_job(job_id: str, poll_s: float = 5) -> None:
    """Returns when ``squeue`` no longer lists the job; cancels it when its dependency failed (Slurm
    would keep it pending forever: ``DependencyNeverSatisfied``)."""
    while True:
        listed = subprocess.run(
            ["squeue", "-h", "-j", job_id, "-o", "%r"], capture_output=True, text=True, timeout=60
        )
        if listed.returncode != 0 and "Invalid job id" not in listed.stderr:
            time.sleep(poll_s)  # the controller did not answer this time: ask again
            continue
        reasons = listed.stdout.split() if listed.returncode == 0 else []
        if not reasons:  # ended (and left the queue, or aged out of it)
            return
        if any("DependencyNeverSatisfied" in reason for reason in reasons):
            subprocess.run(["scancel", job_id], capture_output=True, timeout=60)
            return
        time.sleep(poll_s)


def stage_stats(logging_dir: str):
    """The summed stats of every task that finished under ``logging_dir`` (a ``PipelineStats``)."""
    from datatrove.utils.stats import PipelineStats

    total = PipelineStats()
    for stats_file in storage.list_files(storage.join(logging_dir, "stats"), (".json",)):
        total += _pipeline_stats(storage.read_json(stats_file))
    return total


def _pipeline_stats(data: list[dict]):
    """``PipelineStats.from_json`` with every counter as a ``MetricStats``.

    datatrove 0.10.1's ``Stats.from_dict`` keeps the saved values raw (ints and dicts), so their sums
    and ``.total`` fail; ``MetricStatsDict.from_dict`` rebuilds them.
    """
    from datatrove.utils.stats import MetricStatsDict, PipelineStats

    stats = PipelineStats.from_json(data)
    for step, saved in zip(stats.stats, data, strict=True):
        step.stats = MetricStatsDict.from_dict(saved.get("stats", {}))
    return stats


def stage_counts(logging_dir: str) -> Counter:
    """Every counter of a stage as ``"<step name>/<counter>" -> total`` (timings and lengths left out)."""
    counts: Counter = Counter()
    for step in stage_stats(logging_dir).stats:
        for key, metric in step.stats.items():
            if key != "doc_len":
                counts[f"{step.name}/{key}"] += int(metric.total)
    return counts


@contextlib.contextmanager
def datatrove_logs_to(log_path: str):
    """Sends datatrove's per-step, per-task logs (and a failed task's traceback) to a local file, so a
    command prints its own summary and, on failure, one line. datatrove re-adds ``sys.stderr`` per
    task, so redirecting stderr is what works.

    On the way out every loguru sink is removed before the file closes, datatrove's included (each
    task's end adds one on ``sys.stderr``, here the file): a sink left on the closed file made every
    later log line a "Logging error in Loguru Handler ... I/O operation on closed file" traceback.
    Then the console (the ``sys.stderr`` of before) is the one sink again."""
    os.makedirs(os.path.dirname(os.path.abspath(log_path)), exist_ok=True)
    logging.getLogger("datasets").setLevel(logging.ERROR)
    console = sys.stderr
    with open(log_path, "a") as log_file, contextlib.redirect_stderr(log_file):
        logger.remove()
        logger.add(log_file, level="INFO")
        try:
            yield
        finally:
            logger.remove()
            logger.add(console, level="INFO")
