"""The one card of the whole dataset repo: what CrossThink is, how it was made, every config.

Every number comes from the build's reports (``report``: source summaries with filter H drops,
decontamination, dedup, difficulty, blends) and from the stats the exporter measured while writing
the shards; nothing is typed by hand. YAML through ``huggingface_hub``'s ``DatasetCardData`` (via
:func:`crossthink_data.hub.cards.card_data`), body from ``dataset_cards/dataset.md``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crossthink_data.licenses import is_non_commercial
from crossthink_data.paper import PAPER_CITATION

from .cards import (
    DATASET_TEMPLATE,
    PLACEHOLDER_NAMESPACE,
    all_licenses,
    card_data,
    card_template_dir,
    category_table,
    field_table,
    human_size,
    license_metadata,
    license_summary,
    markdown_table,
    non_commercial_banner,
    share_table,
    source_table,
)
from .charts import Chart, bar_chart, funnel_chart, stacked_bars
from .stats import UNKNOWN, ConfigStats


@dataclass
class RepoCard:
    """What the card of the one dataset repo says beyond the stats the exporter measures."""

    name: str  # the repo's name (placeholder repo id until push)
    pretty_name: str
    description: str  # markdown paragraph(s)
    licenses: list[str]  # license ids of every source in it
    source_datasets: list[str]  # upstream Hub ids
    citations: list[str]  # upstream bibtex; the CrossThink paper's is always added
    default_config: str
    configs: dict[str, tuple[str, str]]  # config -> (source or blend, template) for the table
    report: dict[str, Any]  # the build's reports (see crossthink_data.curation.build)
    recipe: str = "RECIPE"
    targets: dict[str, int] = field(default_factory=dict)  # source -> the paper's row count
    task_categories: list[str] = field(default_factory=lambda: ["question-answering", "text-generation"])
    non_commercial_sources: list[str] = field(default_factory=list)  # non-empty -> banner at the top
    repo_id: str | None = None  # the Hub repo, for the load snippet (push rewrites the placeholder)

    def __post_init__(self) -> None:
        problems = []
        if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", self.name or ""):
            problems.append(f"name must be letters, digits, '_', '-', '.', got {self.name!r}")
        if not str(self.pretty_name or "").strip():
            problems.append("pretty_name must not be empty")
        if not self.licenses:
            problems.append("licenses must list the license of every source (Hub ids such as 'mit')")
        if problems:
            raise ValueError("invalid RepoCard: " + "; ".join(problems))
        self.licenses = list(dict.fromkeys(lic.strip().lower() for lic in self.licenses))


def write_dataset_card(folder: Path, repo: RepoCard, stats: dict[str, ConfigStats]) -> Path:
    """Draws the charts under ``folder/assets`` and writes ``folder/README.md`` (and ``LICENSE.md``
    when a license is not a Hub id)."""
    from huggingface_hub import DatasetCard

    from .cards import LICENSE_FILE, license_table

    report = repo.report
    blends = {n: s for n, s in stats.items() if n.startswith("blend-") and not n.endswith("-verl")}
    shown = blends or {n: s for n, s in stats.items() if not n.endswith("-records")}
    charts = _charts(folder, report, blends, repo.default_config, stats)
    licenses = all_licenses(repo, stats)
    repo_id = repo.repo_id or f"{PLACEHOLDER_NAMESPACE}/{repo.name}"
    template = card_template_dir() / DATASET_TEMPLATE
    rendered = DatasetCard.from_template(
        card_data(repo, stats, default=repo.default_config),
        template_str=template.read_text(encoding="utf-8"),
        pretty_name=repo.pretty_name,
        description=repo.description.strip(),
        banner=non_commercial_banner(repo, stats),
        recipe=repo.recipe,
        repo_id=repo_id,
        default_config=repo.default_config,
        pipeline_chart=charts["pipeline"],
        pipeline_text=pipeline_text(report),
        config_table=config_table(repo, stats),
        composition_charts=charts["composition"],
        source_table=source_table(shown),
        domain_table=share_table("domain", {n: s.domains for n, s in shown.items()}),
        category_table=category_table(shown),
        targets_table=targets_table(repo.targets, report),
        blends_table=blends_table(report),
        filter_table=filter_table(report),
        filter_chart=charts.get("filter"),
        decont_text=decont_text(report.get("decontaminate")),
        decont_table=decont_table(report.get("decontaminate")),
        dedup_text=dedup_text(report.get("dedup")),
        dedup_table=dedup_table(report.get("dedup")),
        difficulty_text=difficulty_text(report.get("difficulty")),
        difficulty_table=difficulty_table(report.get("difficulty")),
        difficulty_chart=charts.get("difficulty"),
        mining_text=mining_text(report.get("mining")),
        field_table=field_table(stats),
        license_summary=license_summary(licenses),
        license_table=license_table(repo, {n: s for n, s in stats.items() if not n.endswith("-verl")}),
        citations=[PAPER_CITATION] + [c.strip() for c in repo.citations if c.strip()],
    )
    path = folder / "README.md"
    rendered.save(path)
    if license_metadata(licenses)["license"] == "other":
        (folder / LICENSE_FILE).write_text(
            f"# Licenses of {repo.pretty_name}\n\nEach row keeps the license of its source:\n\n"
            + license_table(repo, stats)
            + "\n",
            encoding="utf-8",
        )
    return path


# ---- sections ------------------------------------------------------------------------------------


def config_licenses(s: ConfigStats) -> list[str]:
    return sorted({lic for (_, lic), _n in s.licenses.items() if lic != UNKNOWN})


def config_table(repo: RepoCard, stats: dict[str, ConfigStats]) -> str:
    rows = []
    for name, s in stats.items():
        source, template = repo.configs.get(name, ("", ""))
        licenses = config_licenses(s)
        shown = ", ".join(f"`{lic}`" + (" (NC)" if is_non_commercial(lic) else "") for lic in licenses)
        default = " (default)" if name == repo.default_config else ""
        rows.append(
            [
                f"`{name}`{default}",
                s.rows,
                template,
                source,
                shown or UNKNOWN,
                len(s.shards),
                human_size(s.download_size),
            ]
        )
    return markdown_table(["config", "rows", "template", "source", "license", "shards", "parquet"], rows)


def pipeline_stages(report: dict[str, Any]) -> list[tuple[str, int]]:
    """(stage, rows after it) in pipeline order, from the reports (the funnel chart and its text)."""
    sources = report.get("sources", [])
    stages = [("upstream rows read", sum(s["rows_in"] for s in sources if s["config"] == "records"))]
    stages.append(("valid records", sum(s["kept"] for s in sources if s["config"] == "records")))
    stages.append(
        ("templated rows after filter H", sum(s["kept"] for s in sources if s["config"] != "records"))
    )
    if report.get("mining_rows"):
        stages.append(("+ Syn-QA rows from Common Crawl", stages[-1][1] + report["mining_rows"]))
    for key, label in (
        ("sample", "after sampling each source (Table 1 sizes)"),
        ("decontaminate", "after decontamination"),
        ("dedup", "after deduplication"),
        ("difficulty", "after the difficulty filter"),
    ):
        if report.get(key):
            stages.append((label, report[key]["kept"]))
    return stages


def pipeline_text(report: dict[str, Any]) -> str:
    steps = " -> ".join(f"{label} ({rows:,})" for label, rows in pipeline_stages(report))
    blends = report.get("blends", {})
    made = ", ".join(
        f"`blend-{n}` ({b.get('questions', b['rows']):,} questions, {b['rows']:,} rows)"
        for n, b in blends.items()
    )
    return f"{steps}; then the blends {made}." if made else steps + "."


def targets_table(targets: dict[str, int], report: dict[str, Any]) -> str:
    """Each source's question count in the paper (Table 1) beside this build's, at every step that
    can make ours smaller: the valid upstream records, the questions left by filter H (from the
    ``sample`` stage's report), the sample, and the questions in ``blend-natural`` (each question
    once, after decontamination, dedup and the difficulty filter); the last column says why."""
    if not targets:
        return ""
    records = {s["source"]: s["kept"] for s in report.get("sources", []) if s["config"] == "records"}
    sampled = (report.get("sample") or {}).get("questions", {})
    natural = (report.get("blends", {}).get("natural") or {}).get("questions_per_source")
    curated = [k for k in ("decontaminate", "dedup", "difficulty") if report.get(k)]
    rows = []
    for source, target in targets.items():
        after_h = sampled.get(source, {}).get("before")
        kept = sampled.get(source, {}).get("kept")
        ours = natural.get(source, 0) if natural is not None else kept
        why = _smaller_because(target, records.get(source, 0), after_h, kept, ours, curated)
        rows.append(
            [f"`{source}`", target, records.get(source, 0), _count(after_h), _count(kept), _count(ours), why]
        )
    headers = [
        "source",
        "paper (Table 1)",
        "valid records",
        "after filter H",
        "sampled",
        "in `blend-natural`",
    ]
    return markdown_table([*headers, "why ours is smaller"], rows)


def _count(value: int | None) -> int | str:
    return "-" if value is None else value


def _smaller_because(
    target: int, records: int, after_h: int | None, kept: int | None, ours: int | None, curated: list[str]
) -> str:
    if ours is None or ours >= target:
        return "-"
    reasons = []
    if records < target:
        reasons.append(f"the upstream source has {records:,} valid records")
    if after_h is not None and after_h < min(target, records):
        reasons.append(f"filter H kept {after_h:,} questions")
    if kept is not None and ours < kept:
        steps = ", ".join({"decontaminate": "decontamination"}.get(k, k) for k in curated) or "curation"
        reasons.append(f"{steps} removed {kept - ours:,}")
    return "; ".join(reasons) or "-"


def blends_table(report: dict[str, Any]) -> str:
    """Questions and rows per blend (each question once unless a blend up-samples), the form its
    questions take and the questions per source: the blend stage's reports."""
    rows = []
    for name, blend in report.get("blends", {}).items():
        questions = blend.get("questions_per_source") or {}
        per_source = ", ".join(f"{s} {n:,}" for s, n in questions.items())
        form = {"source": "own form", "open": "all T_Open", "mcq": "all T_MCQ"}.get(
            blend.get("form", "source"), "template per question"
        )
        rows.append(
            [f"`blend-{name}`", blend.get("questions", blend["rows"]), blend["rows"], form, per_source]
        )
    if not rows:
        return ""
    return markdown_table(["blend", "questions", "rows", "form", "questions per source"], rows)


def filter_table(report: dict[str, Any]) -> str:
    rows = []
    for s in report.get("sources", []):
        dropped = ", ".join(
            f"{rule}: {n:,}" for rule, n in sorted(s["dropped"].items(), key=lambda kv: -kv[1])
        )
        rows.append([f"`{s['source']}`", s["config"], s["rows_in"], s["kept"], dropped or "none"])
    return markdown_table(["source", "config", "rows in", "kept", "dropped by rule"], rows)


def rejected_text(report: dict[str, Any]) -> str:
    """The input rows a stage could not read, by reason (``rows.REJECT_REASONS``), as a sentence."""
    rejected = report.get("rejected") or {}
    if not rejected:
        return ""
    reasons = ", ".join(f"{reason}: {n:,}" for reason, n in rejected.items())
    return f" {sum(rejected.values()):,} input row(s) could not be read and were rejected ({reasons})."


def decont_text(decont: dict[str, Any] | None) -> str:
    if not decont:
        return "This build did not decontaminate (the recipe has no `decontaminate` section)."
    return (
        f"Every templated row was compared with the evaluation benchmarks' questions by n-gram overlap: "
        f"{decont['rows_in']:,} rows in, {decont['removed']:,} removed, {decont['kept']:,} kept."
        + rejected_text(decont)
    )


def decont_table(decont: dict[str, Any] | None) -> str:
    if not decont or not decont.get("per_benchmark"):
        return ""
    rows = []
    for benchmark, found in decont["per_benchmark"].items():
        example = (found.get("examples") or [{}])[0]
        ngram = example.get("ngram") or ""
        rows.append(
            [f"`{benchmark}`", found["hits"], f"`{ngram}`" if ngram else "", example.get("source", "")]
        )
    return markdown_table(["benchmark", "rows removed", "one matching n-gram", "from source"], rows)


def dedup_text(dedup: dict[str, Any] | None) -> str:
    if not dedup:
        return "This build did not deduplicate."
    exact, near = sum(dedup["exact_removed"].values()), sum(dedup["near_removed"].values())
    return (
        f"Exact duplicates (same normalised question and options) and near duplicates (MinHash) across "
        f"sources: {dedup['rows_in']:,} rows in, {exact:,} exact and {near:,} near duplicates removed, "
        f"{dedup['kept']:,} kept; the copy from the most trusted source stays." + rejected_text(dedup)
    )


def dedup_table(dedup: dict[str, Any] | None) -> str:
    if not dedup:
        return ""
    sources = sorted(set(dedup["exact_removed"]) | set(dedup["near_removed"]))
    if not sources:
        return ""
    rows = [[f"`{s}`", dedup["exact_removed"].get(s, 0), dedup["near_removed"].get(s, 0)] for s in sources]
    return markdown_table(["source", "exact duplicates removed", "near duplicates removed"], rows)


def difficulty_text(difficulty: dict[str, Any] | None) -> str:
    if not difficulty:
        return ""
    cut = difficulty.get("max_pass_rate")
    rule = f"rows with a pass rate above {cut} were dropped" if cut is not None else "no row was dropped"
    temperature = difficulty.get("temperature")
    how = "" if temperature is None else " (greedy)" if temperature == 0 else f" (temperature {temperature})"
    # reports written before require_format existed were judged with the format
    if difficulty.get("require_format", True):
        solved = "the `<think>...</think>` format and the right boxed answer (`--require-format`)"
    else:
        solved = "the right boxed answer, answer only (with or without `<think>`, as the paper judges its base model)"
    return (
        f"`{difficulty['model']}` answered every row {difficulty['samples']} time(s) zero-shot{how}; "
        f"an answer counted as solving the row with {solved}; {rule}: "
        f"{difficulty['rows_in']:,} rows in, {difficulty['too_easy']:,} too easy, "
        f"{difficulty['unscored']:,} unscored, {difficulty['kept']:,} kept." + rejected_text(difficulty)
    )


def difficulty_table(difficulty: dict[str, Any] | None) -> str:
    if not difficulty:
        return ""
    histogram = difficulty.get("histogram") or {}
    return markdown_table(["pass rate", "rows"], [[k, v] for k, v in sorted(histogram.items())])


def mining_text(mining: dict[str, Any] | None) -> str:
    if not mining:
        return ""
    categories = ", ".join(f"{c}: {n:,}" for c, n in (mining.get("categories") or {}).items())
    text = (
        f"{mining.get('extract_documents', 0):,} pages extracted, {mining.get('domain_documents', 0):,} kept "
        f"and labelled by domain ({categories or 'none'})."
    )
    if "records_rows" in mining:
        text += f" An LLM wrote {mining['records_rows']:,} Syn-QA records from them (config `syn_qa-*`)."
    else:
        text += " No generator was configured, so no Syn-QA rows were written from them."
    return text


# ---- charts ---------------------------------------------------------------------------------------


def _charts(
    folder: Path,
    report: dict[str, Any],
    blends: dict[str, ConfigStats],
    default: str,
    stats: dict[str, ConfigStats],
) -> dict[str, Any]:
    assets = folder / "assets"
    assets.mkdir(parents=True, exist_ok=True)
    charts: dict[str, Any] = {}
    stages = pipeline_stages(report)
    title = "Rows through the pipeline"
    charts["pipeline"] = _save(funnel_chart(stages, title), assets, "pipeline.png", title)
    composition = []
    main = blends.get(default) or next(iter(blends.values()), None)
    if main is not None:
        parts = {
            "source": main.sources,
            "domain": main.domains,
            "category": main.categories,
            "template": Counter({t: n for (_, t), n in main.templates.items()}),
        }
        title = f"Composition of {main.name} ({main.rows:,} rows)"
        composition.append(_save(bar_chart(parts, title), assets, "composition.png", title))
    if len(blends) > 1:
        sizes = Counter({name: s.rows for name, s in blends.items()})
        composition.append(
            _save(bar_chart({"rows": sizes}, "Rows per blend"), assets, "blends.png", "Rows per blend")
        )
    charts["composition"] = composition
    drops: dict[str, Counter] = {}
    for s in report.get("sources", []):
        if s["dropped"]:
            drops.setdefault(f"{s['source']}-{s['config']}", Counter()).update(s["dropped"])
    if drops:
        title = "Rows dropped by filter H, per rule"
        charts["filter"] = _save(stacked_bars(drops, title), assets, "filter_h.png", title)
    histogram = (report.get("difficulty") or {}).get("histogram")
    if histogram:
        title = "Difficulty: pass-rate histogram"
        figure = bar_chart({"pass rate": Counter(histogram)}, title, sort=False)
        charts["difficulty"] = _save(figure, assets, "difficulty.png", title)
    return charts


def _save(figure, assets: Path, filename: str, title: str) -> Chart:
    from .charts import DPI

    figure.savefig(assets / filename, dpi=DPI, bbox_inches="tight")
    return Chart(path=Path("assets") / filename, title=title)


__all__ = ["DATASET_TEMPLATE", "RepoCard", "write_dataset_card"]
