"""The Ctrl-C rule itself (crossthink_data/interrupts.py), on the two ways the build used to go wrong:
an interrupt lost on its way (the command exited 0) and a child that ignores SIGINT (the command
waited for it for good). Each case is a small program run under the rule in its own session; SIGINT
goes to its process group, as a terminal sends it. tests/crossthink_data/cli/test_interrupt.py
interrupts the real build.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crossthink_data import interrupts
from tests.helpers.paths import REPO_ROOT

# Under the rule, a forked child; "stuck": the child ignores SIGINT and SIGTERM (as a stuck Manager
# did) and the parent waits for it; "swallowed": the parent loses the KeyboardInterrupt and returns;
# "deaf": the same with a child that ignores SIGINT only (a Manager whose start was cut short).
PROGRAM = """
import multiprocessing, os, signal, sys, time
from crossthink_data.interrupts import stop_on_ctrl_c

def child_main(case):
    if case in ("stuck", "deaf"):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    if case == "stuck":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    time.sleep(600)

case = sys.argv[1]
with stop_on_ctrl_c():
    child = multiprocessing.get_context("fork").Process(target=child_main, args=(case,))
    child.start()
    print(child.pid, flush=True)
    if case == "stuck":
        while True:
            try:
                child.join()
            except KeyboardInterrupt:
                pass  # keeps waiting, as the old executor did at exit
    else:
        try:
            time.sleep(600)
        except BaseException:
            pass  # lost, as in a finalizer
        print("returned normally", flush=True)
"""


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # a test runner started with `&` ignores SIGINT


def run_program(
    case: str, signals: int = 1, sig: int = signal.SIGINT
) -> tuple[int | None, float, int, int, str]:
    """Runs PROGRAM, SIGINTs its group ``signals`` times; (exit code, seconds, child pid, child's
    process group, stderr)."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", PROGRAM, case],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
        preexec_fn=_default_sigint,
    )
    child = int(proc.stdout.readline())
    time.sleep(0.3)
    group = int(Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[2])
    sent = time.monotonic()
    for _ in range(signals):
        if sig == signal.SIGINT:
            os.killpg(proc.pid, sig)  # a terminal's Ctrl-C: the whole foreground group
        else:
            os.kill(proc.pid, sig)  # `kill PID`: the command only
        time.sleep(0.05)
    try:
        proc.wait(timeout=interrupts.GRACE_S + 5)
    except subprocess.TimeoutExpired:
        proc.kill()
    seconds = time.monotonic() - sent
    stderr = proc.stderr.read()
    alive = Path(f"/proc/{child}").exists() and "Z" not in Path(f"/proc/{child}/stat").read_text().split()[2]
    if alive:
        os.kill(child, signal.SIGKILL)
    assert not alive, "the child was left running"
    return proc.returncode, seconds, child, group, stderr


def test_a_child_that_ignores_ctrl_c_is_killed_after_the_grace_period() -> None:
    code, seconds, child, group, stderr = run_program("stuck")
    assert group == child  # the forked child has its own process group
    assert code == interrupts.EXIT_CODE
    assert interrupts.GRACE_S <= seconds < interrupts.GRACE_S + 2
    assert stderr.strip().splitlines()[-1] == interrupts.MESSAGE


def test_a_second_ctrl_c_kills_the_children_at_once() -> None:
    code, seconds, *_ = run_program("stuck", signals=2)
    assert code == interrupts.EXIT_CODE and seconds < 1.5


def test_a_lost_interrupt_still_exits_130() -> None:
    code, seconds, *_, stderr = run_program("swallowed")
    assert code == interrupts.EXIT_CODE and seconds < interrupts.GRACE_S
    assert interrupts.MESSAGE in stderr.splitlines()  # (the child may print its own KeyboardInterrupt)


def test_a_child_deaf_to_sigint_is_stopped_on_the_way_out() -> None:
    code, seconds, *_ = run_program("deaf")
    assert code == interrupts.EXIT_CODE and seconds < interrupts.GRACE_S  # not left to the watchdog


def test_sigterm_reaches_the_children_and_ends_the_command() -> None:
    code, seconds, *_ = run_program("swallowed", sig=signal.SIGTERM)
    assert code == -signal.SIGTERM and seconds < 1.5  # (run_program asserts the child is gone)


def test_no_task_is_marked_complete_after_an_interrupt(tmp_path: Path, monkeypatch) -> None:
    """A task that runs on after a lost interrupt stops where it would be marked complete."""
    from datatrove.pipeline.readers import JsonlReader

    from crossthink_data.executors import make_executor

    def lost_interrupt(data, rank: int, world_size: int):
        monkeypatch.setattr(interrupts._rule, "interrupts", 1)  # a SIGINT whose exception was lost
        yield from data

    (tmp_path / "rows.jsonl").write_text('{"text": "a row"}\n')
    steps = [JsonlReader(str(tmp_path), glob_pattern="*.jsonl"), lost_interrupt]
    with pytest.raises(KeyboardInterrupt):
        make_executor(steps, str(tmp_path / "logs")).run()
    assert (tmp_path / "logs" / "stats" / "00000.json").exists()  # the task did run to its end
    assert not (tmp_path / "logs" / "completions" / "00000").exists()


def test_descendants_include_grandchildren() -> None:
    inner = subprocess.Popen([sys.executable, "-c", "import subprocess, sys, time; "
                              "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)']); "
                              "print(p.pid, flush=True); time.sleep(30)"], stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        grandchild = int(inner.stdout.readline())
        found = interrupts.descendants()
        assert inner.pid in found and grandchild in found
        assert found.index(inner.pid) < found.index(grandchild)
    finally:
        for pid in (grandchild, inner.pid):
            os.kill(pid, signal.SIGKILL)
        inner.wait()
