"""``python -m crossthink_eval``: the ``crossthink-eval`` app."""

from crossthink_eval.cli import main

main()
