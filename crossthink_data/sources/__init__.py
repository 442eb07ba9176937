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
    "first_reject": "crossthink_data.sources.pipeline",
    "SourceError": "crossthink_data.sources.stage",
    "read_source_report": "crossthink_data.sources.stage",
    "run_source_stage": "crossthink_data.sources.stage",
    "summary_table": "crossthink_data.sources.stage",
}


def __getattr__(name: str):
    if name in _PIPELINE_API:
        import importlib

        return getattr(importlib.import_module(_PIPELINE_API[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def input_location(name: str, from_dir: str | None = None, hub: bool = False) -> tuple[str | None, str]:
    """Where ``crossthink-data sources`` reads ``name`` from, and a one-line note saying so.

    ``from_dir`` wins; else a demo stand-in reads the rows shipped in ``demo_data/`` (the README
    calls them local files; going to the Hub offline costs retries and a traceback) unless ``hub``
    asks for its full upstream set; else the adapter's Hub dataset (``None``).
    """
    adapter = get_source(name)
    if from_dir is not None:
        return from_dir, f"reading files under {from_dir}"
    if name in DEMO_SOURCES and not hub:
        return str(DEMO_SOURCES[name]), (
            f"reading the demo rows shipped in {DEMO_SOURCES[name]} "
            f"(--from-dir DIR reads a full copy{', --hub the Hub' if adapter.hub_id else ''})"
        )
    if adapter.hub_id is None:
        raise ValueError(f"source {name!r} has no Hub dataset: pass --from-dir with its files")
    return None, f"reading {adapter.hub_id} from the Hub"


def get_source(name: str) -> SourceAdapter:
    """The registered adapter called ``name``; KeyError listing the known names otherwise."""
    try:
        return SOURCES[name]
    except KeyError:
        raise KeyError(f"unknown source {name!r}; known sources: {', '.join(sorted(SOURCES))}") from None


__all__ = [
    "CONFIGS",
    "ConfigSummary",
    "SourceError",
    "first_reject",
    "parquet_files",
    "read_source_report",
    "run_source",
    "run_source_stage",
    "summary_table",
    "DEMO_SOURCES",
    "SOURCES",
    "ColumnMapping",
    "SourceAdapter",
    "TableAdapter",
    "get_source",
    "input_location",
]
