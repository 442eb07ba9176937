"""What the one dataset card is built from: YAML metadata, the license rule, the shared tables.

The YAML is built with the libraries that read it: ``huggingface_hub.DatasetCardData`` for the Hub
fields, ``datasets``' ``MetadataConfigs`` (configs -> data_files) and ``DatasetInfosDict`` (features
and split sizes), so ``load_dataset(folder, config)`` returns exactly the declared features. The
card's body and sections live in :mod:`crossthink_data.hub.dataset_card`; its template is
``dataset_cards/dataset.md`` (an installed package carries it as ``crossthink_data/_cards/``,
mapped in ``setup.py``, so export works from any install).

License field (decided here, stated in the card's Licenses section):
- one license for every source: that Hub license id (``license: mit``);
- several Hub license ids: the list (``license: [cc-by-sa-4.0, mit]``): the Hub accepts a list and
  indexes each id, so a license filter finds the dataset under every license that applies;
- any license that is not a Hub license id: ``license: other`` with ``license_name`` and
  ``license_link: LICENSE.md``, a file listing each source's license.
Licenses recorded in the rows' provenance are added to the declared ones, so a card never lists
fewer licenses than its rows carry. A non-commercial license (declared or found in the rows) puts
a warning banner at the top of the card even when ``non_commercial_sources`` was left empty.

``size_categories`` counts the largest config, not the sum: configs are views of the same questions.
"""

from __future__ import annotations

import logging
from collections import Counter
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crossthink_data.licenses import is_non_commercial

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    from .dataset_card import RepoCard
    from .stats import ConfigStats

logger = logging.getLogger(__name__)

DATASET_TEMPLATE = "dataset.md"
PLACEHOLDER_NAMESPACE = "<your-hf-username>"  # replaced by the real repo id when the folder is pushed
LICENSE_FILE = "LICENSE.md"


TAGS = ["crossthink", "reasoning", "reinforcement-learning", "verifiable-rewards", "grpo"]

# License ids the Hub knows (https://huggingface.co/docs/hub/repositories-licenses).
HUB_LICENSE_IDS = frozenset(
    [
        "apache-2.0",
        "mit",
        "openrail",
        "bigscience-openrail-m",
        "creativeml-openrail-m",
        "bigscience-bloom-rail-1.0",
        "bigcode-openrail-m",
        "afl-3.0",
        "artistic-2.0",
        "bsl-1.0",
        "bsd",
        "bsd-2-clause",
        "bsd-3-clause",
        "bsd-3-clause-clear",
        "c-uda",
        "cc",
        "cc0-1.0",
        "cc-by-2.0",
        "cc-by-2.5",
        "cc-by-3.0",
        "cc-by-4.0",
        "cc-by-sa-3.0",
        "cc-by-sa-4.0",
        "cc-by-nc-2.0",
        "cc-by-nc-3.0",
        "cc-by-nc-4.0",
        "cc-by-nd-4.0",
        "cc-by-nc-nd-3.0",
        "cc-by-nc-nd-4.0",
        "cc-by-nc-sa-2.0",
        "cc-by-nc-sa-3.0",
        "cc-by-nc-sa-4.0",
        "cdla-sharing-1.0",
        "cdla-permissive-1.0",
        "cdla-permissive-2.0",
        "wtfpl",
        "ecl-2.0",
        "epl-1.0",
        "epl-2.0",
        "etalab-2.0",
        "eupl-1.1",
        "eupl-1.2",
        "agpl-3.0",
        "gfdl",
        "gpl",
        "gpl-2.0",
        "gpl-3.0",
        "lgpl",
        "lgpl-2.1",
        "lgpl-3.0",
        "isc",
        "h-research",
        "intel-research",
        "lppl-1.3c",
        "ms-pl",
        "apple-ascl",
        "apple-amlr",
        "mpl-2.0",
        "odc-by",
        "odbl",
        "openmdw-1.0",
        "openrail++",
        "osl-3.0",
        "postgresql",
        "ofl-1.1",
        "ncsa",
        "unlicense",
        "zlib",
        "pddl",
        "lgpl-lr",
        "deepfloyd-if-license",
        "fair-noncommercial-research-license",
        "llama2",
        "llama3",
        "llama3.1",
        "llama3.2",
        "llama3.3",
        "llama4",
        "gemma",
        "unknown",
        "other",
    ]
)

SIZE_CATEGORIES = [
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
    (100_000_000, "10M<n<100M"),
    (1_000_000_000, "100M<n<1B"),
    (10_000_000_000, "1B<n<10B"),
    (100_000_000_000, "10B<n<100B"),
    (1_000_000_000_000, "100B<n<1T"),
]

FIELD_DOCS = {
    "id": "stable hash of source + question + options + answer",
    "source": "upstream source of the question (`mmlu_train`, `natural_reasoning`, ...)",
    "domain": "`gpr` (general-purpose reasoning) or `math`",
    "category": "`stem`, `humanities`, `social_sciences`, `other` or `math`",
    "subject": "finer label from the source (e.g. MMLU's `college_physics`), may be null",
    "question": "the question stem, without options",
    "options": "MCQ choices in order (labels A, B, ... implied); null for open questions",
    "answer": "gold answer: the option label for MCQ, the short answer otherwise",
    "answer_text": "for MCQ, the text of the gold option",
    "provenance": "JSON: upstream dataset, license, upstream id/row, url or generator where relevant",
    "template": "`mcq` (T_MCQ, options shown) or `open` (T_Open, options removed)",
    "kind": "answer checker kind: `mcq`, `open` or `math`",
    "prompt": "TRL conversational prompt: a list of `{role, content}` messages",
    "ground_truth": "what the reward compares the model's `\\boxed{}` answer with",
    "pass_rate": "share of sampled answers of the difficulty model judged correct",
    "difficulty_model": "model that produced `pass_rate`",
    "difficulty_samples": "number of answers sampled for `pass_rate`",
}


# ---- metadata ------------------------------------------------------------------------------------


def size_category(rows: int) -> str:
    """The Hub's ``size_categories`` bucket for a number of rows."""
    for limit, label in SIZE_CATEGORIES:
        if rows < limit:
            return label
    return "n>1T"


def license_metadata(licenses: list[str]) -> dict[str, Any]:
    """YAML license fields for a set of source licenses (see the module docstring for the rule)."""
    licenses = _unique(licenses)
    if not licenses:
        raise ValueError("no licenses given")
    if all(lic in HUB_LICENSE_IDS for lic in licenses):
        return {"license": licenses[0] if len(licenses) == 1 else licenses}
    return {"license": "other", "license_name": "crossthink-mixed-sources", "license_link": LICENSE_FILE}


def observed_licenses(stats: dict[str, ConfigStats]) -> dict[str, set[str]]:
    """Source -> licenses recorded in its rows' provenance (over every config)."""
    from .stats import UNKNOWN

    found: dict[str, set[str]] = {}
    for s in stats.values():
        for (source, lic), _ in s.licenses.items():
            found.setdefault(source, set())
            if lic != UNKNOWN:
                found[source].add(lic.strip().lower())
    return found


def card_data(card: RepoCard, stats: dict[str, ConfigStats], default: str | None = None):
    """``DatasetCardData`` with licenses, configs/data_files, features and sizes of every config.

    ``default`` names the config ``load_dataset(repo)`` opens (else the first, when there are several)."""
    from datasets.info import DatasetInfo, DatasetInfosDict
    from datasets.splits import SplitDict, SplitInfo
    from datasets.utils.metadata import MetadataConfigs
    from huggingface_hub import DatasetCardData

    licenses = all_licenses(card, stats)
    data = DatasetCardData(
        language=["en"],
        pretty_name=card.pretty_name,
        size_categories=[size_category(max(s.rows for s in stats.values()))],
        source_datasets=list(card.source_datasets) or None,
        task_categories=list(card.task_categories),
        tags=list(TAGS),
        **license_metadata(licenses),
    )
    names = list(stats)
    has_default = "default" in stats
    configs = {}
    infos = {}
    for i, (name, s) in enumerate(stats.items()):
        configs[name] = {"data_files": [{"split": "train", "path": f"data/{name}/*.parquet"}]}
        if (name == default) if default else (i == 0 and not has_default and len(names) > 1):
            configs[name]["default"] = True
        splits = SplitDict()
        splits.add(SplitInfo(name="train", num_bytes=s.num_bytes, num_examples=s.rows))
        infos[name] = DatasetInfo(
            features=s.features, splits=splits, download_size=s.download_size, dataset_size=s.num_bytes
        )
    MetadataConfigs(configs).to_dataset_card_data(data)
    DatasetInfosDict(infos).to_dataset_card_data(data)
    return data


def all_licenses(card: RepoCard, stats: dict[str, ConfigStats]) -> list[str]:
    """Declared licenses plus any the rows carry that the card forgot (with a warning)."""
    found = sorted(set().union(*observed_licenses(stats).values()))
    missing = [lic for lic in found if lic not in card.licenses]
    if missing:
        logger.warning(
            "%s: rows carry license(s) %s not declared in the card; adding them", card.name, missing
        )
    return _unique(card.licenses + found)


# ---- body ----------------------------------------------------------------------------------------


def card_template_dir() -> Traversable:
    """The card template's folder: ``crossthink_data/_cards/`` when installed, ``dataset_cards/`` in a checkout.

    A wheel carries ``dataset_cards/`` as package data under ``_cards``; a checkout (editable install
    or ``PYTHONPATH``) has no ``_cards`` and keeps the source folder beside the package.
    """
    installed = files("crossthink_data") / "_cards"
    checkout = Path(__file__).resolve().parents[2] / "dataset_cards"
    for folder in (installed, checkout):
        if folder.joinpath(DATASET_TEMPLATE).is_file():
            return folder
    raise FileNotFoundError(
        f"the card template {DATASET_TEMPLATE} found neither in {installed} nor in "
        f"{checkout}: reinstall crossthink (pip install .)"
    )


def non_commercial_banner(card: RepoCard, stats: dict[str, ConfigStats]) -> str:
    """Warning shown first in the card when any source is non-commercial (empty string otherwise)."""
    flagged = dict.fromkeys(card.non_commercial_sources)
    for source, licenses in observed_licenses(stats).items():
        if any(is_non_commercial(lic) for lic in licenses):
            flagged.setdefault(source)
    nc_licenses = [lic for lic in all_licenses(card, stats) if is_non_commercial(lic)]
    if not flagged and not nc_licenses:
        return ""
    what = ", ".join(f"`{s}`" for s in flagged) or "some sources"
    licenses = f" ({', '.join(nc_licenses)})" if nc_licenses else ""
    return (
        "> [!WARNING]\n"
        f"> **Not for commercial use.** This dataset includes non-commercial source(s): {what}{licenses}. "
        "Rows from these sources may only be used under their non-commercial terms; for commercial use, "
        "rebuild without them (leave them out of the recipe's `sources`; `commercial_only: true` keeps "
        "them out of the blends)."
    )


def license_summary(licenses: list[str]) -> str:
    meta = license_metadata(licenses)
    if meta["license"] == "other":
        return (
            "The sources' licenses are not all Hub license ids, so the metadata says `license: other` and "
            f"[{LICENSE_FILE}]({LICENSE_FILE}) lists them. Each row keeps the license of its source."
        )
    if isinstance(meta["license"], list):
        return (
            "The sources have different licenses, so the metadata lists all of them "
            f"({', '.join(f'`{lic}`' for lic in meta['license'])}). Each row keeps the license of its source: "
            "check the table before reusing a part of the data."
        )
    return f"Every source is licensed `{meta['license']}`."


# ---- tables -------------------------------------------------------------------------------------


def markdown_table(headers: list[str], rows: list[list[Any]]) -> str:
    def cell(value: Any) -> str:
        if isinstance(value, int):
            return f"{value:,}"
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def field_table(stats: dict[str, ConfigStats]) -> str:
    """Every column of any config, with the configs that have it when they differ."""
    columns: dict[str, Any] = {}
    for s in stats.values():
        for name, feature in s.features.items():
            columns.setdefault(name, feature)
    rows = []
    for name, feature in columns.items():
        where = [config for config, s in stats.items() if name in s.features]
        in_configs = "all" if len(where) == len(stats) else ", ".join(f"`{c}`" for c in where)
        rows.append(
            [f"`{name}`", f"`{type_name(feature)}`", in_configs, FIELD_DOCS.get(name, "curation column")]
        )
    return markdown_table(["field", "type", "configs", "meaning"], rows)


def type_name(feature: Any) -> str:
    """Short readable type of a ``datasets`` feature: ``string``, ``list<string>``, ``list<{a: string}>``."""
    if isinstance(feature, dict):
        return "{" + ", ".join(f"{k}: {type_name(v)}" for k, v in feature.items()) + "}"
    inner = getattr(feature, "feature", None)
    if inner is not None:
        return f"list<{type_name(inner)}>"
    return str(getattr(feature, "dtype", feature))


def category_table(stats: dict[str, ConfigStats]) -> str:
    categories = sorted({c for s in stats.values() for c in s.categories})
    rows = [[f"`{c}`"] + [s.categories[c] for s in stats.values()] for c in categories]
    rows.append(["**total**"] + [s.rows for s in stats.values()])
    return markdown_table(["category"] + [f"`{name}`" for name in stats], rows)


def source_table(stats: dict[str, ConfigStats]) -> str:
    """Rows per (source, template) in each config: a blend's composition, a source's views."""
    keys = sorted({key for s in stats.values() for key in s.templates})
    rows = []
    for source, template in keys:
        rows.append([f"`{source}`", template] + [s.templates[(source, template)] for s in stats.values()])
    return markdown_table(["source", "template"] + [f"`{name}`" for name in stats], rows)


def share_table(label: str, counts: dict[str, Counter]) -> str:
    values = sorted({v for c in counts.values() for v in c})
    rows = []
    for value in values:
        row: list[Any] = [f"`{value}`"]
        for c in counts.values():
            total = sum(c.values())
            row.append(f"{c[value]:,} ({100 * c[value] / total:.1f}%)" if total else "0")
        rows.append(row)
    return markdown_table([label] + [f"`{name}`" for name in counts], rows)


def license_table(card: RepoCard, stats: dict[str, ConfigStats]) -> str:
    """Source -> license(s) from the rows' provenance, with rows per config."""
    from .stats import UNKNOWN

    per_source: dict[str, Counter] = {}
    licenses: dict[str, set[str]] = {}
    for name, s in stats.items():
        for (source, lic), n in s.licenses.items():
            per_source.setdefault(source, Counter())[name] += n
            licenses.setdefault(source, set()).add(lic)
    rows = []
    for source in sorted(per_source):
        known = sorted(lic for lic in licenses[source] if lic != UNKNOWN)
        shown = ", ".join(f"`{lic}`" for lic in known) or f"{UNKNOWN}; declared: {', '.join(card.licenses)}"
        rows.append([f"`{source}`", shown] + [per_source[source][name] for name in stats])
    return markdown_table(["source", "license"] + [f"rows in `{name}`" for name in stats], rows)


def human_size(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


def _unique(items) -> list:
    return list(dict.fromkeys(items))
