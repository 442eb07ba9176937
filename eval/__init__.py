"""Evaluation of CrossThink models with lighteval: the paper's seven benchmarks, one answer checker.

``eval/crossthink_tasks.py`` is the lighteval custom-tasks file; ``python -m eval.run`` (``make eval``)
runs the lighteval CLI and writes results.md / results.json / a bar chart beside the paper's numbers.
"""
