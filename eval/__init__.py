"""Evaluation of CrossThink models with lighteval: the paper's seven benchmarks, one answer checker.

Installed as ``crossthink_eval`` from the repository's ``eval/`` folder (see ``setup.py``).
``crossthink_eval.crossthink_tasks`` is the lighteval custom-tasks module (``lighteval ...
--custom-tasks crossthink_eval.crossthink_tasks``); ``python -m crossthink_eval.run`` (``make eval``)
runs the lighteval CLI and writes results.md / results.json / a bar chart beside the paper's numbers.
"""
