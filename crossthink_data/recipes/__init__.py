"""Data recipes shipped with the package (beside ``crossthink_train/recipes/``, as open-r1 keeps its
data and training recipes side by side): ``crossthink-data build NAME`` takes one by name.

- ``demo``: what ``make demo`` builds, offline, from the demo sources and pages shipped in the package.
- ``paper``: the paper's dataset from the Hub ids of every source, each sampled to its Table 1 count
  of questions (seeded), the decontamination benchmarks, dedup, optional difficulty and every
  paper blend.

Relative paths in a recipe are read against the recipe's own folder, so the shipped recipes find
the shipped data wherever the package is installed.
"""

from __future__ import annotations

from pathlib import Path

RECIPES_DIR = Path(__file__).resolve().parent


def shipped_recipes() -> list[str]:
    """Names of the recipes that ship with the package."""
    return sorted(p.stem for p in RECIPES_DIR.glob("*.yaml"))


def recipe_location(name_or_location: str) -> tuple[str, str | None]:
    """``(location, name)``: a shipped recipe by name (``demo``), else the path or URL as given (name None).

    Raises:
        FileNotFoundError: neither a shipped recipe nor an existing file; the message lists the names.
    """
    from crossthink_data import storage

    shipped = RECIPES_DIR / f"{name_or_location}.yaml"
    if "/" not in name_or_location and shipped.is_file():
        return str(shipped), name_or_location
    if storage.is_file(name_or_location):
        return name_or_location, None
    raise FileNotFoundError(
        f"no recipe {name_or_location!r}: give a YAML path or URL, or a shipped recipe: "
        f"{', '.join(shipped_recipes())}"
    )


__all__ = ["RECIPES_DIR", "recipe_location", "shipped_recipes"]
