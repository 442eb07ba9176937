"""Source adapters: each upstream QA dataset mapped to QARecords.

``SOURCES`` is the registry the pipeline and CLI use (adapter name -> adapter); ``get_source``
looks one up with a clear error. ``DEMO_SOURCES`` names the real rows that ship with the package
for ``make demo`` (adapter name -> the ``from_dir`` to pass to ``records``). ``TableAdapter`` maps
any jsonl/json/csv/parquet table by columns.
"""

from __future__ import annotations

from pathlib import Path

from .base import SourceAdapter
from .math_train import MathTrain
from .mmlu import MMLUAuxiliaryTrain
from .natural_reasoning import NaturalReasoning
from .numina import NuminaMath
from .nvidia import CrossThinkMath, CrossThinkQA
from .standins import GSM8K, AGIEvalMath, ARCChallenge
from .table import ColumnMapping, TableAdapter

ADAPTER_CLASSES: tuple[type[SourceAdapter], ...] = (
    MMLUAuxiliaryTrain,
    NaturalReasoning,
    NuminaMath,
    MathTrain,
    CrossThinkQA,
    CrossThinkMath,
    ARCChallenge,
    GSM8K,
    AGIEvalMath,
)

SOURCES: dict[str, SourceAdapter] = {cls.name: cls() for cls in ADAPTER_CLASSES}

DEMO_DATA_DIR = Path(__file__).resolve().parent.parent / "demo_data"
DEMO_SOURCES: dict[str, Path] = {
    "arc_challenge": DEMO_DATA_DIR / "arc_challenge",
    "gsm8k": DEMO_DATA_DIR / "gsm8k",
    "agieval_math": DEMO_DATA_DIR / "agieval_math",
}


# The pipeline API other stages use (datatrove-backed, so imported on first use, not with the registry).
_PIPELINE_API = {
    "CONFIGS": "crossthink_data.sources.pipeline",
    "ConfigSummary": "crossthink_data.sources.pipeline",
    "parquet_files": "crossthink_data.sources.pipeline",
    "run_source": "crossthink_data.sources.pipeline",
    "build_source_subset": "crossthink_data.sources.subsets",
    "summary_table": "crossthink_data.sources.subsets",
}


def __getattr__(name: str):
    if name in _PIPELINE_API:
        import importlib

        return getattr(importlib.import_module(_PIPELINE_API[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def get_source(name: str) -> SourceAdapter:
    """The registered adapter called ``name``; KeyError listing the known names otherwise."""
    try:
        return SOURCES[name]
    except KeyError:
        raise KeyError(f"unknown source {name!r}; known sources: {', '.join(sorted(SOURCES))}") from None


__all__ = [
    "CONFIGS",
    "ConfigSummary",
    "build_source_subset",
    "parquet_files",
    "run_source",
    "summary_table",
    "DEMO_SOURCES",
    "SOURCES",
    "ColumnMapping",
    "SourceAdapter",
    "TableAdapter",
    "get_source",
]
