"""Hub export of CrossThink subsets: dataset-repo folders with cards and charts, and push.

export_subset(folder, {"mcq": rows, "open": rows}, SubsetCard(...))  # parquet shards + README.md + charts
push_folder(folder, "org/name")                                       # one upload_folder commit
export_repo(dest, [RepoConfig(...), ...], write_card)                 # the whole dataset as one repo
"""

from .cards import PAPER_CITATION, SubsetCard, license_metadata, size_category
from .charts import bar_chart
from .dataset_card import RepoCard, write_dataset_card
from .export import ExportError, ParquetSelection, export_subset, shard_name
from .push import PushError, check_folder, push_folder
from .repo import RepoConfig, export_repo

__all__ = [
    "PAPER_CITATION",
    "ExportError",
    "ParquetSelection",
    "PushError",
    "RepoCard",
    "RepoConfig",
    "SubsetCard",
    "bar_chart",
    "check_folder",
    "export_repo",
    "export_subset",
    "license_metadata",
    "push_folder",
    "shard_name",
    "size_category",
    "write_dataset_card",
]
