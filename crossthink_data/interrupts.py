"""Ctrl-C, one rule for every data command: the first SIGINT stops the run, a second one kills it.

Why a rule of our own: datatrove's local executor runs a stage beside a ``multiprocess`` Manager
(which ignores SIGINT) and, with several workers, a pool of forked children. Python's default handler
raises ``KeyboardInterrupt`` wherever the main thread happens to be: inside a finalizer or an at-fork
hook (``logging._releaseLock``) it is printed and lost, and the stage runs on to exit 0; and a child
that ignores SIGINT keeps the parent waiting for it at exit, for good.

The rule, held by :func:`stop_on_ctrl_c` around a whole command (``cli.main``):

- children forked meanwhile start their own process group, so a terminal's Ctrl-C reaches the parent
  only, and the parent alone decides what happens to them;
- first SIGINT: the run is flagged, every descendant process gets it too (once: what a terminal
  would send them), and ``KeyboardInterrupt`` is raised in the main thread; the processes that ignore
  SIGINT (the Manager, a forkserver) are shut down by their owners as the stack unwinds. A task asks
  :func:`raise_if_interrupted` before it is marked complete (a forked worker keeps its own flag), and
  a stage before its report, so a lost exception marks nothing; the command exits 130 whatever
  happened to the exception; and a watchdog ends the process (descendants SIGKILLed, exit 130) if it
  is still alive :data:`GRACE_S` seconds later. On the way out, what is still running gets SIGTERM;
- second SIGINT: every descendant gets SIGKILL and the process exits 130 at once;
- SIGTERM or SIGHUP (``kill``, a closed terminal): passed on to every descendant, which its own
  process group would no longer deliver, then the process ends by it as before.

A command started with SIGINT ignored (``nohup``, a script's ``&``) keeps ignoring it, as Unix tools do.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator

EXIT_CODE = 130  # 128 + SIGINT, what a shell reports for a command stopped by Ctrl-C
GRACE_S = 3.0  # from the first SIGINT to the forced exit
MESSAGE = (
    "interrupted: stopped; the unfinished stage is not marked complete (rerun the same command to resume)"
)


class _Rule:
    """The process's interrupt state (one per process; a forked child starts clear)."""

    held = False  # the rule is installed: children forked now take their own process group
    interrupts = 0  # SIGINTs received while held


_rule = _Rule()
# Workers a forkserver starts are not forked from the command, so they keep no flag of ours: the
# first SIGINT also creates this file (its path travels in the environment the forkserver inherits),
# which every process of the command reads before marking a task complete.
FLAG_ENV = "CROSSTHINK_INTERRUPTED_FLAG"
_flag_path = os.path.join(tempfile.gettempdir(), f"crossthink-interrupted-{os.getpid()}")
_hooked = False
_alarm = threading.Lock()  # released by the first SIGINT: the watchdog waits on it
_watchdog_thread: threading.Thread | None = None


def raise_if_interrupted() -> None:
    """Raises ``KeyboardInterrupt`` if a SIGINT arrived: called before anything is marked complete,
    so an interrupt lost on its way (raised inside a finalizer) still stops the stage there."""
    if _rule.interrupts:
        raise KeyboardInterrupt
    flag = os.environ.get(FLAG_ENV)
    if flag and os.path.exists(flag):
        raise KeyboardInterrupt


def _raise_flag() -> None:
    """Creates the flag file (a plain system call: safe inside a signal handler)."""
    with contextlib.suppress(OSError):
        os.close(os.open(_flag_path, os.O_CREAT | os.O_WRONLY, 0o600))


def _lower_flag() -> None:
    with contextlib.suppress(OSError):
        os.unlink(_flag_path)


@contextlib.contextmanager
def stop_on_ctrl_c(to_the_end: bool = False) -> Iterator[None]:
    """Holds the rule for the block (a whole command); an interrupted block exits 130 with one line,
    whether the ``KeyboardInterrupt`` came out of it, was turned into an exit code, or was lost.

    Args:
        to_the_end: for a process that ends with the block (the console script): the handlers stay
            (a Ctrl-C during the interpreter's shutdown exits 130 at once, instead of a
            ``KeyboardInterrupt`` inside an exit handler), and an interrupted block exits 130 at
            once, without the shutdown (which resets SIGINT to the default: a late signal, seen once
            in 32 interrupted builds, killed the process after its line was printed).
    """
    if (
        signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return
    _hook_forks()
    _start_watchdog()
    _lower_flag()
    os.environ[FLAG_ENV] = _flag_path
    previous = {sig: signal.signal(sig, handler) for sig, handler in _handlers().items()}
    _rule.held, _rule.interrupts = True, 0
    try:
        try:
            yield
        except (KeyboardInterrupt, SystemExit, Exception):
            if not _rule.interrupts:
                raise
        finally:
            _rule.held = False
            for sig, handler in previous.items() if not to_the_end else ():
                signal.signal(sig, handler)
    except KeyboardInterrupt:  # the SIGINT came as the block ended: it counts all the same
        pass
    if _rule.interrupts:
        # what the unwinding did not stop: a Manager whose start the interrupt cut short ignores
        # SIGINT and would outlive us (the resource tracker ignores SIGTERM and ends with us)
        _signal_descendants(signal.SIGTERM)
        _lower_flag()
        print(MESSAGE, file=sys.stderr, flush=True)
        if to_the_end:  # the interpreter's shutdown resets SIGINT to the default: a late one killed it
            with contextlib.suppress(Exception):
                sys.stdout.flush()
            os._exit(EXIT_CODE)
        raise SystemExit(EXIT_CODE)


def _handlers() -> dict[int, object]:
    handlers = {signal.SIGINT: _on_sigint}
    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None and signal.getsignal(sig) is signal.SIG_DFL:
            handlers[sig] = _on_termination
    return handlers


def _on_termination(signum: int, frame: object) -> None:
    """SIGTERM/SIGHUP: to every descendant first (no orphan), then this process ends by it."""
    _signal_descendants(signum)
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _on_sigint(signum: int, frame: object) -> None:
    _rule.interrupts += 1
    if not _rule.held and _rule.interrupts == 1:  # after the command's block (`to_the_end`)
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        _signal_descendants(signal.SIGTERM)
        _exit_now()
    if _rule.interrupts > 1:
        _signal_descendants(signal.SIGKILL)
        _exit_now()
    _raise_flag()
    _signal_descendants(signal.SIGINT)
    with contextlib.suppress(RuntimeError):  # (already released)
        _alarm.release()  # never blocks: a handler must not wait on a lock its own thread may hold
    raise KeyboardInterrupt


def _start_watchdog() -> None:
    """One idle daemon thread per process, started before any SIGINT (starting a thread inside a
    handler could wait on a lock the interrupted code holds)."""
    global _watchdog_thread
    if _watchdog_thread is None or not _watchdog_thread.is_alive():
        if not _alarm.locked():
            _alarm.acquire()
        _watchdog_thread = threading.Thread(target=_watchdog, name="ctrl-c watchdog", daemon=True)
        _watchdog_thread.start()


def _watchdog() -> None:
    """Ends a process still alive :data:`GRACE_S` s after the first SIGINT (a child that ignores
    SIGINT, a main thread waiting on a task whose worker is gone)."""
    _alarm.acquire()
    time.sleep(GRACE_S)
    _signal_descendants(signal.SIGKILL)
    _exit_now()


def _exit_now() -> None:
    """Exits 130 from any thread or handler, without waiting on a lock (stderr written by fd)."""
    _lower_flag()
    with contextlib.suppress(OSError):
        os.write(2, f"\n{MESSAGE}\n".encode())
    os._exit(EXIT_CODE)


def _hook_forks() -> None:
    global _hooked
    if not _hooked and hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_in_forked_child)
        _hooked = True


def _in_forked_child() -> None:
    """A child forked while the rule is held: its own process group (a terminal's SIGINT is for the
    parent), the rule clear (its own children stay in its group), and a SIGINT handler that only
    flags and raises, so the SIGINT the parent relays stops its task from being marked complete
    even if the exception is lost."""
    if not _rule.held:
        return
    _rule.held, _rule.interrupts = False, 0
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)
    with contextlib.suppress(ValueError, OSError):
        for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", signal.SIGTERM)):
            if signal.getsignal(sig) is _on_termination:
                signal.signal(sig, signal.SIG_DFL)  # a child ends by SIGTERM the plain way
        signal.signal(signal.SIGINT, _on_sigint_in_child)


def _on_sigint_in_child(signum: int, frame: object) -> None:
    _rule.interrupts += 1
    raise KeyboardInterrupt


def _signal_descendants(sig: int) -> None:
    for pid in descendants():
        with contextlib.suppress(OSError):
            os.kill(pid, sig)


def descendants(pid: int | None = None) -> list[int]:
    """Every live process below ``pid`` (default: this one), children first. Linux reads ``/proc``
    (grandchildren too: a forkserver's workers, a task's server); elsewhere, the multiprocessing
    children this process knows."""
    root = pid or os.getpid()
    if not os.path.isdir("/proc"):
        return _known_children()
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()  # state ppid ...
        except OSError:
            continue
        if fields[0] != b"Z":
            children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(0), []):
            found.append(child)
            todo.append(child)
    return found


def _known_children() -> list[int]:
    pids = []
    for name in ("multiprocessing", "multiprocess"):
        module = sys.modules.get(name)
        if module is not None:
            pids += [p.pid for p in module.active_children()]
    return pids
