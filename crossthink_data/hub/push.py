"""Publish an exported subset folder to the Hub in one commit with ``HfApi.upload_folder``.

The token comes from the argument, ``HF_TOKEN`` or a saved ``hf auth login``; it is handed to
``huggingface_hub`` only, never formatted into a message, and scrubbed from any error text we
re-raise (a server could echo a header back).

huggingface_hub's upload pipeline commits up to 256 files per commit, and regular (non-LFS) files up
to 100 MB per commit; an exported subset is a card, three charts and its shards, so it goes in one
commit unless it has more than ~250 shards (raise ``rows_per_shard`` then; we warn).
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

logger = logging.getLogger(__name__)

MAX_FILES_ONE_COMMIT = 256
_PLACEHOLDER = re.compile(r"<your-hf-username>/[A-Za-z0-9_.\-]+")


class PushError(RuntimeError):
    """A push that cannot start or failed; the message never contains the token."""


def resolve_token(token: str | None = None) -> str:
    """The token to push with: the argument, else ``HF_TOKEN``, else the saved login."""
    if token:
        return token
    from huggingface_hub import get_token

    found = os.environ.get("HF_TOKEN") or get_token()
    if not found:
        raise PushError(
            "no Hugging Face token: set HF_TOKEN to a token with write access "
            "(https://huggingface.co/settings/tokens) or run `hf auth login`"
        )
    return found


def local_folder(folder: str | os.PathLike) -> Path:
    """The local folder to push (a path or ``file://`` URL); a remote URL is refused in one line."""
    from crossthink_data import storage

    if not storage.is_local(folder):
        raise PushError(
            f"push uploads a local folder, and {storage.as_url(folder)} is on remote storage: export to a "
            "local folder (or copy it here) and push that"
        )
    return Path(storage.local_path(folder))


def check_folder(folder: str | os.PathLike) -> list[str]:
    """Checks an exported folder (card, data, configs' files) and returns its config names."""
    from huggingface_hub import DatasetCard

    folder = local_folder(folder)
    if not folder.is_dir():
        raise PushError(f"{folder} is not a folder")
    readme = folder / "README.md"
    if not readme.is_file():
        raise PushError(
            f"{folder} has no README.md dataset card: export it with export_subset / `export` first"
        )
    if not (folder / "data").is_dir() or not any((folder / "data").rglob("*.parquet")):
        raise PushError(f"{folder} has no data/ folder with parquet shards: export it first")
    try:
        card = DatasetCard.load(readme)
    except Exception as err:  # yaml errors, validation errors
        raise PushError(f"{readme} is not a valid dataset card: {err}") from None
    configs = card.data.to_dict().get("configs") or []
    if not configs:
        raise PushError(f"{readme} declares no configs (YAML `configs:` with data_files)")
    names = []
    for config in configs:
        for data_file in config.get("data_files", []):
            paths = data_file["path"] if isinstance(data_file["path"], list) else [data_file["path"]]
            for pattern in paths:
                if not list(folder.glob(pattern)):
                    raise PushError(
                        f"config {config['config_name']!r}: no file matches {pattern!r} in {folder}"
                    )
        names.append(config["config_name"])
    return names


def push_folder(
    folder: str | os.PathLike,
    repo_id: str,
    private: bool = False,
    revision: str | None = None,
    token: str | None = None,
    commit_message: str | None = None,
    endpoint: str | None = None,
) -> str:
    """Creates the dataset repo if needed (``private`` applies to a new repo only) and the
    ``revision`` branch, then uploads ``folder`` in one commit. Returns the commit URL.

    The card's load snippet names ``<your-hf-username>/<name>`` until the repo is known: it is
    rewritten to ``repo_id`` in the folder's README.md before the upload, so local and Hub agree."""
    from huggingface_hub import HfApi, constants

    folder = local_folder(folder)
    if not re.match(r"^[A-Za-z0-9][\w.\-]*/[\w.\-]+$", repo_id or ""):
        raise PushError(f"repo id must look like 'namespace/name', got {repo_id!r}")
    configs = check_folder(folder)
    token = resolve_token(token)
    if constants.HF_HUB_OFFLINE:
        raise PushError("HF_HUB_OFFLINE is set: unset it to push to the Hub")
    files = [p for p in folder.rglob("*") if p.is_file() and ".staging" not in p.parts]
    if len(files) > MAX_FILES_ONE_COMMIT:
        logger.warning(
            "%d files: huggingface_hub will split the upload into several commits; export with a larger "
            "rows_per_shard to keep one commit",
            len(files),
        )
    _point_card_at(folder / "README.md", repo_id)
    api = HfApi(endpoint=endpoint or os.environ.get("HF_ENDPOINT") or None, token=token)
    message = commit_message or f"Upload {folder.name} ({', '.join(configs)}) with crossthink-data"
    logger.info("pushing %s (%d files) to dataset %s@%s", folder, len(files), repo_id, revision or "main")
    try:
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        if revision and revision != constants.DEFAULT_REVISION:
            api.create_branch(repo_id, branch=revision, repo_type="dataset", exist_ok=True)
        info = api.upload_folder(
            repo_id=repo_id,
            folder_path=folder,
            repo_type="dataset",
            revision=revision,
            commit_message=message,
            ignore_patterns=["**/.staging/**", ".staging/**"],
        )
    except Exception as err:
        raise PushError(f"push of {folder} to {repo_id} failed: {_redact(str(err), token)}") from None
    logger.info("pushed %s: %s", repo_id, info.commit_url)
    return info.commit_url


def _point_card_at(readme: Path, repo_id: str) -> None:
    """The exported card's load snippet names a placeholder repo; make it name the real one."""
    text = readme.read_text(encoding="utf-8")
    updated = _PLACEHOLDER.sub(repo_id, text)
    if updated != text:
        readme.write_text(updated, encoding="utf-8")


def _redact(text: str, token: str) -> str:
    return text.replace(token, "***") if token else text
