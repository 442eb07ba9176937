"""A small pool of math-verify child processes with a hard, killable deadline per comparison.

Why processes: math-verify times out with ``signal.alarm``, which only works in a main thread
(TRL calls rewards from worker threads; 0.5.2 then silently returns "wrong"), and no signal can
interrupt sympy stuck inside one C call (``9^{9^{9^{9}}}``). A child process runs math-verify in
its own main thread and is killed when the deadline passes, which bounds every comparison from
any thread of any process. Children are started with :mod:`subprocess`, so this also works
inside daemonic ``multiprocessing`` workers (datatrove), which may not fork pool children.

The budget of a comparison is wall-clock and covers everything a caller waits for: a free child,
a killed child's replacement still starting, the comparison, and killing the child when it runs
over (:data:`KILL_MARGIN_S` is kept for that). Only the first start of each of the pool's children
(importing sympy, ~0.6 s, once per process and child; :meth:`VerifierPool.warm_up` does it ahead)
is not charged, so the first comparisons of a run are not lost to the start-up.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import select
import subprocess
import sys
import threading
import time
from pathlib import Path

logger = logging.getLogger(__name__)

WORKER_SCRIPT = Path(__file__).with_name("_verifier_worker.py")
STARTUP_TIMEOUT_S = 60.0
"""A new child's one-time start (importing sympy, ~0.6 s) is not counted in a comparison's deadline."""
KILL_MARGIN_S = 0.1
"""Kept inside a comparison's budget for killing and reaping a child that ran over it."""


def _worker_python() -> str:
    """Interpreter for the children: ours, or CROSSTHINK_VERIFIER_PYTHON (e.g. another math-verify)."""
    return os.environ.get("CROSSTHINK_VERIFIER_PYTHON") or sys.executable


class VerifierTimeout(Exception):
    """The comparison ran past its deadline; the child was killed."""


class _Child:
    """One math-verify process and its line protocol (raw pipes, no buffering to get out of sync)."""

    def __init__(self, replacement: bool = False) -> None:
        # a replacement for a killed child: waiting for its start is charged to the comparison
        self.replacement = replacement
        self.process = subprocess.Popen(
            [_worker_python(), str(WORKER_SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            bufsize=0,
            close_fds=True,
            start_new_session=True,  # a terminal's Ctrl-C goes to the parent only
        )
        self._buffer = b""
        self.math_verify_version: str | None = None
        self.killed = False

    @property
    def alive(self) -> bool:
        return not self.killed and self.process.poll() is None

    def is_ready(self) -> bool:
        """Has the child finished starting? (Never blocks.)"""
        if self.math_verify_version is None and self.alive:
            try:
                if select.select([self.process.stdout.fileno()], [], [], 0)[0]:
                    self.wait_ready()
            except (OSError, ValueError, KeyError):  # died while starting; ask() will report it
                return False
        return self.math_verify_version is not None

    def wait_ready(self, deadline: float | None = None) -> None:
        """Waits for the child's start; past ``deadline`` raises VerifierTimeout and leaves it starting."""
        if self.math_verify_version is None:
            limit = time.monotonic() + STARTUP_TIMEOUT_S if deadline is None else deadline
            hello = json.loads(self._read_line(limit, kill=deadline is None))
            self.math_verify_version = hello["math_verify"]

    def ask(self, gold: str, answer: str, deadline: float) -> bool:
        """math-verify's verdict by ``deadline`` (``time.monotonic()``); VerifierTimeout past it (the
        child is killed if it was comparing)."""
        self.wait_ready(deadline)
        remaining = max(deadline - time.monotonic(), 0.0)
        request = json.dumps({"gold": gold, "answer": answer, "timeout": remaining}).encode() + b"\n"
        self.process.stdin.write(request)
        return self._read_line(deadline) == b"1"

    def _read_line(self, deadline: float, kill: bool = True) -> bytes:
        fd = self.process.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                if kill:
                    self.kill(reap=False)  # reaped off the caller's time (VerifierPool._replace)
                raise VerifierTimeout
            chunk = os.read(fd, 65536)
            if not chunk:
                self.kill(reap=False)
                raise ConnectionError("math-verify worker exited")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line

    def kill(self, reap: bool = True) -> None:
        """SIGKILL; ``reap``: also wait for the exit (a child with gigabytes mapped takes a while)."""
        if self.alive:
            self.process.kill()
        self.killed = True
        if reap:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=5)
        self.close_pipes()

    def close_pipes(self) -> None:
        for pipe in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError):
                pipe.close()


class VerifierPool:
    """Up to ``max_children`` children; callers borrow one for a comparison and give it back.

    The first borrow starts a hot spare alongside, and a killed child is replaced at once (it
    starts in the background), so the comparison after a timeout rarely waits for a start.
    """

    def __init__(self, max_children: int | None = None) -> None:
        # At least two: while one child is killed and restarts, the other one serves.
        self.max_children = max_children or max(2, min(4, os.cpu_count() or 1))
        self._idle: list[_Child] = []
        self._count = 0
        self._condition = threading.Condition()
        self._closed = False

    def verify(self, gold: str, answer: str, timeout_s: float) -> bool:
        """math-verify(gold, answer) within ``timeout_s`` of wall-clock time, waiting for a free child
        included; raises VerifierTimeout past it (see the module doc for the one start not charged)."""
        start = time.monotonic()
        child = self._borrow(start + timeout_s - KILL_MARGIN_S)
        try:
            if not child.replacement and child.math_verify_version is None:
                child.wait_ready()  # this child's first start: not charged
                start = time.monotonic()
            return child.ask(gold, answer, start + timeout_s - KILL_MARGIN_S)
        finally:
            self._give_back(child)

    def warm_up(self, children: int = 1) -> str:
        """Start ``children`` children now (their start is not charged to any comparison)."""
        borrowed = [self._borrow() for _ in range(min(children, self.max_children))]
        try:
            for child in borrowed:
                child.wait_ready()
            return borrowed[0].math_verify_version
        finally:
            for child in borrowed:
                self._give_back(child)

    def _borrow(self, deadline: float | None = None) -> _Child:
        """An idle child (a started one first), or a new one while the pool is not full; past
        ``deadline`` with every child busy, VerifierTimeout."""
        with self._condition:
            while not self._idle and self._count >= self.max_children:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise VerifierTimeout
                self._condition.wait(remaining)
            if self._idle:
                ready = [child for child in self._idle if child.is_ready()]
                child = ready[-1] if ready else self._idle[-1]
                self._idle.remove(child)
                return child
            self._count += 1
            spare = self._count == 1 and self.max_children > 1
            if spare:
                self._count += 1
        if spare:
            self._give_back(_Child())  # a hot spare, started alongside the first child
        try:
            return _Child()
        except BaseException:
            with self._condition:
                self._count -= 1
                self._condition.notify()
            raise

    def _give_back(self, child: _Child) -> None:
        if self._closed:
            child.close_pipes()
            child.kill()
            with self._condition:
                self._count -= 1
                self._condition.notify()
            return
        if not child.alive:  # killed: reaped and replaced in the background, off the caller's budget
            threading.Thread(
                target=self._replace, args=(child,), name="crossthink-verifier-restart", daemon=True
            ).start()
            return
        with self._condition:
            self._idle.append(child)
            self._condition.notify()

    def _replace(self, dead: _Child) -> None:
        """Reaps a killed child and starts its replacement in its slot (borrowers wait for the slot)."""
        dead.kill()
        replacement = None
        try:
            if not self._closed:
                replacement = _Child(replacement=True)
        except OSError as err:  # out of processes: shrink the pool instead
            logger.warning("could not restart a math-verify worker: %s", err)
        with self._condition:
            kept = replacement is not None and not self._closed
            if kept:
                self._idle.append(replacement)
            else:
                self._count -= 1
            self._condition.notify()
        if replacement is not None and not kept:
            replacement.kill()

    def close(self) -> None:
        """Stop every idle child (children out on loan stop when given back)."""
        with self._condition:
            self._closed = True
            children, self._idle = self._idle, []
            self._count -= len(children)
        for child in children:
            child.close_pipes()  # EOF on stdin: the child exits by itself
            child.kill()

    def forget_after_fork(self) -> None:
        """In a forked child process: drop the parent's children without touching them.

        No lock: another thread of the parent may have held it at the fork; only this thread exists now.
        """
        for child in self._idle:
            child.close_pipes()
        self._idle, self._count = [], 0
        self._condition = threading.Condition()


_pool: VerifierPool | None = None
_pool_lock = threading.Lock()


def get_pool() -> VerifierPool:
    """The process-wide pool, created on first use."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = VerifierPool()
        return _pool


def shutdown() -> None:
    """Stop the children now (also runs at interpreter exit)."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.close()


def _after_fork_in_child() -> None:
    global _pool, _pool_lock
    _pool_lock = threading.Lock()
    if _pool is not None:
        _pool.forget_after_fork()
        _pool = None


atexit.register(shutdown)
os.register_at_fork(after_in_child=_after_fork_in_child)
