"""Hub export of CrossThink subsets: dataset-repo folders with cards and charts, and push.

export_subset(folder, {"mcq": rows, "open": rows}, SubsetCard(...))  # parquet shards + README.md + charts
push_folder(folder, "org/name")                                       # one upload_folder commit
"""

from .cards import PAPER_CITATION, SubsetCard, license_metadata, size_category
from .export import ExportError, export_subset, shard_name
from .push import PushError, check_folder, push_folder

__all__ = [
    "PAPER_CITATION",
    "ExportError",
    "PushError",
    "SubsetCard",
    "check_folder",
    "export_subset",
    "license_metadata",
    "push_folder",
    "shard_name",
    "size_category",
]
