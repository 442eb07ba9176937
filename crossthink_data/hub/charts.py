"""PNG charts for the dataset card (pipeline funnel, compositions, filter-H drops, difficulty).

Figures are drawn on matplotlib's Agg canvas directly (no pyplot), so exporting never touches the
global backend of a notebook or another library in the same process and works on headless nodes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

DPI = 110


@dataclass(frozen=True)
class Chart:
    path: Path  # relative to the exported folder, as the card links it
    title: str


def _figure(width: float = 7.0, height: float = 4.0):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height))
    FigureCanvasAgg(figure)
    return figure


# ---- the whole-dataset card's charts ------------------------------------------------------------------


def funnel_chart(stages: list[tuple[str, int]], title: str):
    """Rows left after each pipeline stage, top to bottom (the card's picture of the pipeline)."""
    figure = _figure(7.0, 0.45 * len(stages) + 1.5)
    axes = figure.add_subplot()
    labels = [label for label, _ in stages][::-1]
    values = [rows for _, rows in stages][::-1]
    bars = axes.barh(labels, values, color="#4C72B0")
    axes.bar_label(bars, labels=[f"{v:,}" for v in values], padding=3)
    axes.set_xlabel("rows")
    axes.set_title(title)
    axes.set_xlim(0, max(values + [1]) * 1.2)
    return figure


def bar_chart(parts: dict[str, Counter], title: str, sort: bool = True):
    """One horizontal bar panel per counter (e.g. rows per source, domain, category, template)."""
    figure = _figure(4.0 * len(parts), 3.4)
    for index, (label, counts) in enumerate(parts.items(), start=1):
        axes = figure.add_subplot(1, len(parts), index)
        items = sorted(counts.items(), key=lambda kv: -kv[1]) if sort else sorted(counts.items())
        names = [str(k) for k, _ in items][::-1]
        axes.barh(names, [v for _, v in items][::-1], color="#4C72B0")
        axes.set_title(f"rows per {label}" if len(parts) > 1 else label)
    figure.suptitle(title)
    figure.tight_layout()
    return figure


def stacked_bars(rows: dict[str, Counter], title: str, xlabel: str = "rows dropped", legend: str = "rule"):
    """One horizontal bar per row name, stacked by key (e.g. filter-H drops per source and rule,
    rows per source and template)."""
    names = sorted(rows)
    keys = sorted({k for c in rows.values() for k in c})
    figure = _figure(7.0, 0.45 * len(names) + 1.8)
    axes = figure.add_subplot()
    left = [0] * len(names)
    for key in keys:
        values = [rows[n][key] for n in names]
        axes.barh(names, values, left=left, label=key)
        left = [a + b for a, b in zip(left, values, strict=True)]
    axes.set_xlabel(xlabel)
    axes.set_title(title)
    axes.legend(title=legend, loc="upper left", bbox_to_anchor=(1.01, 1))
    return figure
