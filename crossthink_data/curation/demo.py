"""The demo's benchmark rows: MATH-500 problems shipped in ``demo_benchmarks/`` so the demo recipe
(``crossthink_data/recipes/demo.yaml``) decontaminates offline (AGIEval's math rows come from the
MATH test split, like MATH-500, so the demo finds real contamination)."""

from __future__ import annotations

from pathlib import Path

DEMO_BENCHMARKS = Path(__file__).resolve().parent / "demo_benchmarks"

__all__ = ["DEMO_BENCHMARKS"]
