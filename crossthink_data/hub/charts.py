"""PNG charts for the dataset card's statistics section.

Figures are drawn on matplotlib's Agg canvas directly (no pyplot), so exporting never touches the
global backend of a notebook or another library in the same process and works on headless nodes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .stats import ConfigStats

MAX_WORDS = 30  # longer answers share the last bin of the histogram
OPEN_ANSWER_LIMIT = 10  # filter H keeps open answers of at most 10 words
DPI = 110
LINE_STYLES = ("-", "--", ":", "-.")  # configs often share a distribution: keep overlapping lines visible


@dataclass(frozen=True)
class Chart:
    path: Path  # relative to the exported folder, as the card links it
    title: str


def render_charts(stats: dict[str, ConfigStats], output_dir: Path, assets_dir: str = "assets") -> list[Chart]:
    """Draws the card's charts under ``output_dir/assets`` and returns them (paths relative).

    ``output_dir`` is a local folder: the exporter stages remote destinations locally first."""
    folder = Path(output_dir) / assets_dir
    folder.mkdir(parents=True, exist_ok=True)
    charts = [
        (_rows_per_category, "rows_per_category.png", "Rows per category and config"),
        (_answer_lengths, "answer_length_words.png", "Answer length in words"),
        (_rows_per_source, "rows_per_source.png", "Rows per source and template"),
    ]
    rendered = []
    for draw, filename, title in charts:
        figure = draw(stats, title)
        figure.savefig(folder / filename, dpi=DPI, bbox_inches="tight")
        rendered.append(Chart(path=Path(assets_dir) / filename, title=title))
    return rendered


def _figure(width: float = 7.0, height: float = 4.0):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height))
    FigureCanvasAgg(figure)
    return figure


def _grouped_bars(axes, labels: list[str], series: dict[str, list[int]]) -> None:
    width = 0.8 / max(len(series), 1)
    for i, (name, values) in enumerate(series.items()):
        positions = [x + (i - (len(series) - 1) / 2) * width for x in range(len(labels))]
        axes.bar(positions, values, width=width, label=name)
    axes.set_xticks(range(len(labels)), labels, rotation=20, ha="right")


def _rows_per_category(stats: dict[str, ConfigStats], title: str):
    categories = sorted({c for s in stats.values() for c in s.categories})
    figure = _figure()
    axes = figure.add_subplot()
    _grouped_bars(
        axes, categories, {name: [s.categories[c] for c in categories] for name, s in stats.items()}
    )
    axes.set_ylabel("rows")
    axes.set_title(title)
    axes.legend(title="config", loc="upper left", bbox_to_anchor=(1.01, 1))
    return figure


def _answer_lengths(stats: dict[str, ConfigStats], title: str):
    figure = _figure()
    axes = figure.add_subplot()
    bins = list(range(1, MAX_WORDS + 1))
    for i, (name, s) in enumerate(stats.items()):
        binned: Counter = Counter()
        for words, n in s.answer_words.items():
            binned[min(max(words, 1), MAX_WORDS)] += n
        axes.step(
            bins,
            [binned[b] for b in bins],
            where="mid",
            label=name,
            linestyle=LINE_STYLES[i % 4],
            linewidth=1.5,
        )
    axes.axvline(OPEN_ANSWER_LIMIT + 0.5, color="grey", linestyle="--", linewidth=1)
    axes.text(OPEN_ANSWER_LIMIT + 0.7, axes.get_ylim()[1] * 0.9, "filter H limit (10)", color="grey")
    axes.set_xlabel(f"words in the answer (gold option text for MCQ; {MAX_WORDS} = {MAX_WORDS} or more)")
    axes.set_ylabel("rows")
    axes.set_title(title)
    axes.legend(title="config", loc="upper left", bbox_to_anchor=(1.01, 1))
    return figure


def _rows_per_source(stats: dict[str, ConfigStats], title: str):
    totals: dict[str, Counter] = {}
    for s in stats.values():
        for (source, template), rows in s.templates.items():
            totals.setdefault(source, Counter())[template] += rows
    return stacked_bars(totals, title, xlabel="rows (all configs)", legend="template")


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
