"""Ctrl-C during `crossthink-data build` always stops the run: exit 130 within seconds, no process
left behind, and nothing marked complete after the interrupt (a rerun redoes the stopped stage).

The interrupt is the one a terminal sends: the CLI runs as the leader of its own session and
process group, and SIGINT goes to that whole group at a chosen point (a line the build prints, plus
a delay). Points cover every stage of the build, with one task in-process and with a pool of two.
A leftover process is any process still in the command's session once it exited.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers.paths import REPO_ROOT

# the demo without its mining pages (about 6 s); two blends
ARGS = ["build", "demo", "--set", "mine=null", "--set", "blends=[crossthink, mcq_2to1]"]
POOL = ["--tasks", "2", "--workers", "2"]  # every stage's tasks in a multiprocess pool
EXIT_WITHIN_S = 8.0  # "a few seconds": the rule's watchdog ends a stuck command after 3 s
LATE_S = 0.5  # a marker written this long after the signal was written after the interrupt (a
# task finishing as the signal comes may mark itself before its SIGINT is handled, on a loaded box)
# (source line printed, seconds after it): sources, decontamination, dedup, blends, export
POINTS = [
    (line, delay)
    for line in (
        "source arc_challenge",
        "source gsm8k",
        "source agieval_math",
        "CrossThink subsets",
        "decontaminate",
        "dedup",
        "blend-crossthink",
        "export",
    )  # fmt: skip
    for delay in (0.0, 0.1, 0.25, 0.5)
]


@dataclass
class Interrupted:
    returncode: int | None
    seconds: float  # from the SIGINT to the exit
    left: list[str]  # processes of the command's session alive after it exited
    late: list[str]  # completion markers and reports written after the SIGINT
    stderr: str


def _session_processes(sid: int) -> list[str]:
    """``pid cmdline`` of every live process in session ``sid`` (Linux /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()  # state ppid pgrp session ...
        if fields[0] != "Z" and int(fields[3]) == sid:
            found.append(f"{entry} {cmdline[:120]}")
    return found


def _leftovers(sid: int, within_s: float = 3.0) -> list[str]:
    """The session's processes still alive ``within_s`` after the command exited (then killed)."""
    deadline = time.monotonic() + within_s
    while (left := _session_processes(sid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    for line in left:  # do not leave them to the next test
        with contextlib.suppress(OSError):
            os.kill(int(line.split()[0]), signal.SIGKILL)
    return left


def _written_after(folder: Path, since: float) -> list[str]:
    """Completion markers, stage reports and the repo's card written after ``since`` (epoch s)."""
    marks = ("report.json", "build_summary.json", "README.md")
    late = []
    for path in folder.rglob("*"):
        is_mark = path.parent.name == "completions" or path.name in marks or "export" in path.parts
        if is_mark and path.is_file() and path.stat().st_mtime > since:
            late.append(f"{path.relative_to(folder)} +{path.stat().st_mtime - since:.2f}s")
    return late


def _as_a_terminal() -> None:
    """SIGINT handled as in a terminal's foreground job: a test runner started in the background (a
    non-interactive shell's ``&``) ignores SIGINT, and an ignored signal stays ignored across exec."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def interrupt_build(tmp_path: Path, line: str, delay: float, extra=(), second_after: float | None = None):
    """Runs the build, sends SIGINT to its process group ``delay`` s after it printed ``line``
    (a second SIGINT ``second_after`` s later, if given) and reports how it ended."""
    out = tmp_path / "out"
    out.mkdir(parents=True, exist_ok=True)
    stdout, stderr = out / "stdout.txt", out / "stderr.txt"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "PYTHONUNBUFFERED": "1"}
    command = [
        sys.executable,
        "-m",
        "crossthink_data.cli",
        *ARGS,
        *extra,
        "--output",
        str(out / "crossthink"),
    ]
    with open(stdout, "w") as out_file, open(stderr, "w") as err_file:
        proc = subprocess.Popen(
            command,
            stdout=out_file,
            stderr=err_file,
            env=env,
            start_new_session=True,
            preexec_fn=_as_a_terminal,
        )
    try:
        deadline = time.monotonic() + 300
        while line not in stdout.read_text() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert line in stdout.read_text(), f"never printed {line!r}:\n{stdout.read_text()[-2000:]}"
        time.sleep(delay)
        sent = time.time()
        os.killpg(proc.pid, signal.SIGINT)
        if second_after is not None:
            time.sleep(second_after)
            os.killpg(proc.pid, signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=EXIT_WITHIN_S)
        seconds = time.time() - sent
    finally:
        returncode = proc.poll()
        left = _leftovers(proc.pid)
        if returncode is None:
            proc.kill()
            proc.wait()
    late = _written_after(out, sent + LATE_S)
    return Interrupted(returncode, seconds, left, late, stderr.read_text())


def check(result: Interrupted, point: str, pool: bool = False) -> None:
    """Exit 130 in time, nothing left running, nothing marked complete after the SIGINT, and the one
    line that says so. In-process, that line ends stderr and no exception shows; with a pool, workers
    started by datatrove's forkserver share the terminal and may print their own ``KeyboardInterrupt``
    (or, when the parent is gone mid-start, a ``FileNotFoundError``) after it."""
    assert result.returncode == 130, f"{point}: exit {result.returncode}\n{result.stderr[-3000:]}"
    assert result.seconds < EXIT_WITHIN_S, f"{point}: exited after {result.seconds:.1f} s"
    assert not result.left, f"{point}: left behind {result.left}"
    assert not result.late, f"{point}: marked complete after the interrupt: {result.late}"
    lines = result.stderr.strip().splitlines()
    assert "interrupted: stopped" in result.stderr, f"{point}: no interrupted line\n{result.stderr[-3000:]}"
    assert "Aborted" not in result.stderr, f"{point}: Aborted\n{result.stderr[-3000:]}"
    if not pool:
        assert lines[-1].startswith("interrupted: stopped"), f"{point}:\n{result.stderr[-3000:]}"
        errors = [line for line in lines if re.match(r"[\w.]*(Error|Exception)\b", line)]
        assert not errors, f"{point}: {errors}\n{result.stderr[-3000:]}"


@pytest.mark.parametrize(
    ("line", "delay", "extra"),
    [("source arc_challenge", 0.2, ()), ("dedup", 0.1, POOL), ("decontaminate", 0.0, POOL)],
)
def test_ctrl_c_stops_the_build(tmp_path: Path, line: str, delay: float, extra) -> None:
    check(interrupt_build(tmp_path, line, delay, extra), f"{line}+{delay}s", pool=bool(extra))


def test_a_second_ctrl_c_kills_at_once(tmp_path: Path) -> None:
    result = interrupt_build(tmp_path, "source gsm8k", 0.1, POOL, second_after=0.02)
    check(result, "twice", pool=True)
    assert result.seconds < 2.0  # the second SIGINT does not wait for the watchdog


@pytest.mark.slow  # about 3 min idle (32 interrupted builds), longer on a loaded box
def test_ctrl_c_at_many_points_of_build_always_stops(tmp_path: Path) -> None:
    failures = []
    for i, (line, delay) in enumerate(POINTS):
        extra = POOL if i % 2 else ()
        point = f"{line}+{delay}s{' pool' if extra else ''}"
        result = interrupt_build(tmp_path / str(i), line, delay, extra)
        try:
            check(result, point, pool=bool(extra))
        except AssertionError as err:
            failures.append(str(err).splitlines()[0])
    assert not failures, f"{len(failures)} of {len(POINTS)} interrupts misbehaved:\n" + "\n".join(failures)


@pytest.mark.slow
@pytest.mark.parametrize("line", ["source gsm8k", "dedup"])
def test_the_interrupted_build_resumes_to_the_clean_repo(tmp_path: Path, line: str) -> None:
    """What was stopped is redone: the rerun's rows per blend are those of a build never interrupted."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}

    def build(output: Path) -> list[str]:
        command = [sys.executable, "-m", "crossthink_data.cli", *ARGS, "--output", str(output)]
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        return [row for row in done.stdout.splitlines() if row.startswith("blend-")]

    check(interrupt_build(tmp_path / "stopped", line, 0.1), line)
    assert build(tmp_path / "stopped" / "out" / "crossthink") == build(tmp_path / "clean" / "crossthink")
