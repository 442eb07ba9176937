"""Output ownership: a command writes only into a folder that is new, empty, or marked as its own.

A command's output folder gets a marker file, ``.crossthink-data.json``, naming the tool, the command
and the repo (the output's name) that wrote it. A later run into a marked folder resumes or replaces
what the tool wrote there. Any other folder with files in it stops the command with one line before
any work: the files are the user's, and a build used to replace the whole folder with its repo.
``--overwrite`` lets the command write beside such files; they are listed in the marker as ``kept``
and never read, replaced or removed, and a file lying where the command writes (``data/`` of a
repo) still stops it. The current folder, a home folder, a filesystem root and a folder holding
``.git`` are refused even with ``--overwrite``: one wrong flag there costs too much.

The marker of an exported repo also lists the ``files`` the export wrote, so the next export
removes exactly those it no longer writes (``crossthink_data.hub.repo``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from crossthink_data import storage

MARKER = ".crossthink-data.json"
TOOL = "crossthink-data"
SHOWN = 3  # files named in the one-line refusal


class OwnershipError(ValueError):
    """An output folder this command must not write into; the message is one line naming the fix."""


def read_marker(location: str | os.PathLike) -> dict[str, Any] | None:
    """The folder's marker, or None when the folder is not one crossthink-data marked as its own."""
    marker = storage.join(location, MARKER)
    if not storage.is_file(marker):
        return None
    try:
        data = storage.read_json(marker)
    except ValueError:
        return None
    return data if isinstance(data, dict) and data.get("tool") == TOOL else None


def write_marker(
    location: str | os.PathLike,
    command: str,
    kept: Iterable[str] = (),
    files: Iterable[str] | None = None,
    repo: str | None = None,
) -> None:
    """Marks ``location`` as written by ``command``; ``kept``: files it must never touch; ``files``:
    what it wrote, when it knows (an export); ``repo``: the output's name (default: the folder's,
    which a staging folder does not have)."""
    data: dict[str, Any] = {
        "tool": TOOL,
        "command": command,
        "repo": repo or storage.basename(location),
        "note": "written by crossthink-data; files listed under 'kept' are not its own and are left alone",
        "kept": sorted(kept),
    }
    if files is not None:
        data["files"] = sorted(files)
    storage.write_json(storage.join(location, MARKER), data)


def foreign_files(location: str | os.PathLike) -> list[str]:
    """Files under ``location`` (relative) that crossthink-data did not write, as far as it knows: all
    of them in an unmarked folder; in a marked one, the ``kept`` ones and, when the marker lists
    the ``files`` it wrote, every other file."""
    marker = read_marker(location)
    present = [name for name in storage.file_sizes(location) if name != MARKER]
    if marker is None:
        return present
    kept = set(marker.get("kept") or [])
    if "files" not in marker:
        return [name for name in present if name in kept]
    written = set(marker["files"])
    return [name for name in present if name in kept or name not in written]


def check_output(
    location: str | os.PathLike,
    command: str,
    overwrite: bool = False,
    option: str = "--output",
    writes: tuple[str, ...] = (),
) -> list[str]:
    """Checks, before any work, that ``command`` may write into ``location``; returns the files it
    must keep (``--overwrite`` beside the user's files). Writes nothing.

    Args:
        writes: the top-level names the command writes (``data``, ``report.json``...): a file of
            the user's under one of them stops the command even with ``overwrite``.

    Raises:
        OwnershipError: one line naming what is in the way and the flag, or why the place is refused.
    """
    url = storage.as_url(location)
    _refuse_outright(url, option)
    if not storage.exists(url):
        return []
    if not storage.is_dir(url):
        raise OwnershipError(
            f"{option} {url} is a file: give a folder (new, empty, or one crossthink-data wrote)"
        )
    foreign = foreign_files(url)
    if not foreign:
        return []
    if read_marker(url) is None and not overwrite:
        raise OwnershipError(
            f"{option} {url} holds {_count(foreign)} crossthink-data did not write ({_names(foreign)}): "
            "give a new or empty folder, or pass --overwrite to write beside them (they are never touched)"
        )
    in_the_way = [name for name in foreign if name.split("/", 1)[0] in writes]
    if in_the_way:
        raise OwnershipError(
            f"{option} {url}: {_names(in_the_way)} lies where {command} writes and crossthink-data did not "
            "write it; move it or give another folder (--overwrite never touches files it did not write)"
        )
    return foreign


def claim(
    location: str | os.PathLike,
    command: str,
    overwrite: bool = False,
    option: str = "--output",
    writes: tuple[str, ...] = (),
) -> list[str]:
    """:func:`check_output`, then the folder created and marked as ``command``'s (files of the
    user's recorded as ``kept``). Returns the kept files. Idempotent: a rerun finds its own mark."""
    kept = check_output(location, command, overwrite, option, writes)
    marker = read_marker(location) or {}
    known = sorted(set(marker.get("kept") or []) | set(kept))
    if not marker or known != marker.get("kept"):
        storage.makedirs(location)
        write_marker(location, marker.get("command", command), known, marker.get("files"))
    return kept


def _refuse_outright(url: str, option: str) -> None:
    """The current folder, a home folder, a root and a folder holding ``.git``: never an output."""
    if storage.exists(storage.join(url, ".git")):
        raise OwnershipError(
            f"{option} {url} holds .git (a source repository): give a new folder, e.g. {storage.join(url, 'out')}"
        )
    if not storage.is_local(url):
        return
    path = os.path.realpath(storage.local_path(url))
    places = {
        os.path.realpath(os.getcwd()): "the current folder",
        os.path.realpath(os.path.expanduser("~")): "your home folder",
        os.path.realpath(os.sep): "the filesystem root",
    }
    if path in places:
        raise OwnershipError(
            f"{option} {url} is {places[path]}: give a new folder for the output, e.g. {storage.join(url, 'out')}"
        )


def _count(names: list[str]) -> str:
    return f"{len(names)} file" + ("s" if len(names) != 1 else "")


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:SHOWN])
    return shown + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")


__all__ = [
    "MARKER",
    "TOOL",
    "OwnershipError",
    "check_output",
    "claim",
    "foreign_files",
    "read_marker",
    "write_marker",
]
