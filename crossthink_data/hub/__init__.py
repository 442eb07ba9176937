"""The one Hub dataset repo of a build: its shards, its one card, and push.

export_repo(dest, [RepoConfig(...), ...], write_card)  # every config's shards + the card, swapped in whole
write_dataset_card(folder, RepoCard(...), stats)        # the card: README.md + assets/ charts
push_folder(folder, "org/name")                         # one upload_folder commit (resumable when large)
"""

from .cards import license_metadata, size_category
from .dataset_card import RepoCard, write_dataset_card
from .export import ExportError, ParquetSelection, shard_name
from .push import PushError, check_folder, push_folder
from .repo import RepoConfig, export_repo

__all__ = [
    "ExportError",
    "ParquetSelection",
    "PushError",
    "RepoCard",
    "RepoConfig",
    "check_folder",
    "export_repo",
    "license_metadata",
    "push_folder",
    "shard_name",
    "size_category",
    "write_dataset_card",
]
