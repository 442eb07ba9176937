"""Make lighteval 0.13 importable offline.

lighteval builds its task registry by importing every task module; ``tiny_benchmarks`` then
downloads ``tinyBenchmarks.pkl`` from GitHub unless the file already sits beside the module, so
without network every ``lighteval`` command fails before reaching our tasks. The file is only
read by the tinyBenchmarks metrics (which we never run, and which read it from another path
anyway), so an empty placeholder is enough. ``make venv`` and ``eval.run`` call this; by hand:

    .venv/bin/python -m crossthink_eval.lighteval_setup
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

PLACEHOLDER_NAME = "tinyBenchmarks.pkl"


def tiny_benchmarks_path() -> Path:
    """Where lighteval's tiny_benchmarks module looks for the file (found without importing it)."""
    spec = importlib.util.find_spec("lighteval")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("lighteval is not installed: pip install -e '.[eval]'")
    package_dir = Path(next(iter(spec.submodule_search_locations)))
    return package_dir / "tasks" / "tasks" / PLACEHOLDER_NAME


def ensure_offline_ready() -> Path:
    """Create the placeholder if missing (an existing real file is left alone); returns its path."""
    path = tiny_benchmarks_path()
    if not path.exists():
        path.touch()
    return path


if __name__ == "__main__":
    print(f"lighteval offline placeholder: {ensure_offline_ready()}")
