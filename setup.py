"""Package layout that ``pyproject.toml`` cannot express (everything else lives there).

Two folders install under another name: ``eval/`` becomes the importable ``crossthink_eval``
(so ``lighteval --custom-tasks crossthink_eval.crossthink_tasks`` works from anywhere) and the card
templates in ``dataset_cards/`` ship as ``crossthink_data/_cards/`` (so ``crossthink-data export``
works from a non-editable install). pyproject's ``packages.find`` only finds folders by their own
name and cannot be combined with a package list, so the list is computed here, with the same
discovery (``find_namespace_packages``, as pyproject's default) for the packages named like their folder.
"""

from setuptools import find_namespace_packages, setup

RENAMED = {"crossthink_eval": "eval", "crossthink_data._cards": "dataset_cards"}
# The packages named like their folder: data, training, and the demo that drives all three.
NAMED = ["crossthink_data*", "crossthink_train*", "crossthink_demo*"]
# Subpackages of a renamed folder (eval/cli -> crossthink_eval.cli), found in that folder.
RENAMED_SUBPACKAGES = [
    f"{package}.{sub}" for package, folder in RENAMED.items() for sub in find_namespace_packages(folder)
]

setup(
    packages=find_namespace_packages(include=NAMED) + list(RENAMED) + RENAMED_SUBPACKAGES,
    package_dir=RENAMED,
)
