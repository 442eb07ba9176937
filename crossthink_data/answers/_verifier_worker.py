"""math-verify in a child process: one JSON request per line on stdin, one verdict per line out.

Run as a script (``python _verifier_worker.py``) so it needs nothing but math-verify; the parent
(:mod:`crossthink_data.answers.verifier`) kills it when a comparison runs past its deadline.
Here math-verify runs in the main thread, so its own ``signal.alarm`` timeouts work with every
math-verify version (0.5.2 cannot disable them; 0.9 can), and the same calls give the same
verdicts whether the parent is a main thread, a worker thread or a worker process.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import resource
import signal
import sys
from collections import OrderedDict

# Run as a script, this folder is sys.path[0]: keep its modules from shadowing the stdlib.
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)

MEMORY_LIMIT_BYTES = int(os.environ.get("CROSSTHINK_VERIFIER_MEMORY_BYTES", 4 * 1024**3))
GOLD_CACHE_SIZE = 4096


def _limit_memory() -> None:
    """A power tower may try to build a number with billions of digits: fail it, don't swap."""
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))


# One comparison of each common shape: sympy imports simplification, sets, matrices and trig
# lazily (up to 0.5 s on first use), which would otherwise eat the first real deadline.
WARM_UP_PAIRS = (
    ("1", "2"),
    ("(3,4]", "[3,4]"),
    ("x^2+7x+10", "(x+2)(x+5)"),
    ("\\{1,2\\}", "\\{2,1\\}"),
    ("\\sin x", "\\cos x"),
    ("\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "\\begin{pmatrix} 1 \\\\ 3 \\end{pmatrix}"),
    ("\\frac{1}{3}", "0.333333"),
    ("x=5", "5"),
)


def _warm(parse, verify) -> None:
    for gold, answer in WARM_UP_PAIRS:
        with contextlib.suppress(Exception):
            verify(parse("\\boxed{" + gold + "}"), parse("\\boxed{" + answer + "}"))


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C belongs to the parent
    # The protocol owns the real stdout; math-verify 0.5.2 prints parse errors to stdout.
    protocol = os.fdopen(os.dup(1), "wb", buffering=0)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    _limit_memory()

    import math_verify
    from math_verify import LatexExtractionConfig, parse, verify

    # Both sides arrive wrapped in \\boxed{}: LaTeX extraction alone reads them (and is ~30% faster).
    latex_only = [LatexExtractionConfig()]

    _warm(lambda text: parse(text, extraction_config=latex_only), verify)
    version = getattr(math_verify, "__version__", None)
    if version is None:
        from importlib.metadata import version as dist_version

        version = dist_version("math-verify")
    protocol.write(json.dumps({"ready": True, "math_verify": version}).encode() + b"\n")

    gold_cache: OrderedDict[str, list] = OrderedDict()

    def parse_boxed(text: str, seconds: int) -> list:
        return parse("\\boxed{" + text + "}", extraction_config=latex_only, parsing_timeout=seconds)

    for line in sys.stdin.buffer:
        try:
            request = json.loads(line)
            seconds = max(1, math.ceil(float(request.get("timeout", 1.0))))
            gold = gold_cache.get(request["gold"])
            if gold is None:
                gold = parse_boxed(request["gold"], seconds)
                gold_cache[request["gold"]] = gold
                if len(gold_cache) > GOLD_CACHE_SIZE:
                    gold_cache.popitem(last=False)
            else:
                gold_cache.move_to_end(request["gold"])
            answer = parse_boxed(request["answer"], seconds)
            verdict = bool(gold) and bool(answer) and bool(verify(gold, answer, timeout_seconds=seconds))
            reply = b"1\n" if verdict else b"0\n"
        except BaseException:  # MemoryError, RecursionError, TimeoutError...: a wrong answer, keep serving
            reply = b"0\n"
        protocol.write(reply)


if __name__ == "__main__":
    main()
