"""Executors and stage counts: how every stage runs its datatrove steps and reads back what they did.

``make_executor`` is the one place that builds a datatrove executor (local processes or a Slurm
job array); ``stage_stats`` reads the per-task stats datatrove saved under a logging folder with
datatrove's own :class:`~datatrove.utils.stats.PipelineStats`, so a resumed run (whose finished tasks
were skipped) still reports every task, and a logging folder on remote storage reads the same.

A step that must stop its stage for a reason one line can say (a refused request, an unreachable
endpoint, too many failed requests) raises :class:`StageFailed`: the exception leaves the task, so
datatrove does not write the task's completion marker and a rerun does the work; the task log and
the console show the line without a traceback, and the CLI ends with it (``cli/common.fail``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections import Counter

from datatrove.executor import LocalPipelineExecutor
from loguru import logger

from crossthink_data import storage
from crossthink_data.interrupts import raise_if_interrupted

EXECUTORS = ("local", "slurm")


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
        stats = super().run()
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
    """A datatrove executor for ``pipeline``: local processes, or a Slurm job array.

    Args:
        logging_dir: any storage URL; completion markers, logs and stats go there (rerun = resume).
        workers: tasks running at once (local); ``-1`` means all.
        start_method: how local worker processes start; ``None`` keeps datatrove's ``forkserver``
            (safe with threads and GPUs). ``"fork"`` spares each worker re-importing the stack
            (seconds per stage on a small machine), for CPU-only stages.
        stage: the stage's name in messages ("stage generate: already complete, skipped");
            default: the logging folder.
        slurm_kwargs: passed to ``SlurmPipelineExecutor`` (``partition``, ``time``, ``depends``...).
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
        from datatrove.executor import SlurmPipelineExecutor

        slurm_kwargs.setdefault("qos", "")
        slurm_kwargs.setdefault("time", "04:00:00")
        return SlurmPipelineExecutor(
            pipeline=pipeline,
            tasks=tasks,
            workers=workers,
            logging_dir=logging_dir,
            job_name=job_name,
            **slurm_kwargs,
        )
    raise ValueError(f"unknown executor {executor!r}; expected one of {EXECUTORS}")


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
