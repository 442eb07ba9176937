"""Reading Common Crawl WARC files without letting one bad record or file stop a task.

datatrove's :class:`~datatrove.pipeline.readers.WarcReader` silently drops records it cannot use
and fails the whole task on a truncated ``.warc.gz``. Crawls contain both, so this reader keeps
its record handling (:func:`~datatrove.pipeline.readers.warc.process_record`) and adds what a
long run needs: every skipped record is counted by reason in the task's stats, an oversized page
is skipped before its body is read, and a broken file ends that file only.
"""

from __future__ import annotations

import zlib
from glob import escape

from datatrove.pipeline.readers import WarcReader
from datatrove.pipeline.readers.warc import process_record
from datatrove.utils.logging import logger

from crossthink_data import storage

HTML_TYPES = ("text/html", "application/xhtml+xml")
DEFAULT_MAX_PAGE_BYTES = 5 * 1024 * 1024  # FineWeb-scale pages are ~100 kB; 5 MB pages are spam or dumps
WARC_SUFFIXES = (".warc", ".warc.gz")
DEFAULT_GLOB = "**/*.warc.gz"
INPUT_FORMS = "a folder of WARC files, one .warc/.warc.gz file, or a glob such as DIR/*.warc.gz"


class WarcInputError(ValueError):
    """The miner's input names no WARC file; the message is one line saying what is wrong."""


def warc_input(location: str, glob: str | None = DEFAULT_GLOB) -> tuple[str, str]:
    """Where a WARC reader finds ``location``: a (data folder, glob pattern) pair, on any storage.

    ``location`` is a folder (its files matching ``glob``), a single ``.warc``/``.warc.gz`` file, or
    a glob over files (``dir/*.warc.gz``, ``s3://bucket/crawl/**/*.warc.gz``), told apart by how it
    is written (a wildcard: a glob; a WARC suffix: a file; else a folder), so building a pipeline
    touches no storage. :func:`check_warc_input` checks that it names WARC files.
    """
    location = storage.as_url(location)
    if storage.has_glob(location):
        return storage.split_glob(location)
    if location.endswith(WARC_SUFFIXES):
        folder, _, name = location.rpartition("/")
        return folder or ".", _exact_pattern(name)
    return location, glob or DEFAULT_GLOB


def check_warc_input(location: str, glob: str | None = DEFAULT_GLOB) -> list[str]:
    """The WARC files ``location`` names (see :func:`warc_input`), checked before any task starts.

    Raises:
        WarcInputError: the location does not exist, the glob or folder matches no file, or a file
            (or a file the glob matches) is not named like a WARC file; one line saying which.
    """
    location = storage.as_url(location)
    if storage.has_glob(location):
        files = storage.glob_url(location)
        if not files:
            raise WarcInputError(f"--input {location}: the glob matches no file")
    elif storage.is_file(location):
        files = [location]
    elif storage.is_dir(location):
        glob = glob or DEFAULT_GLOB
        files = storage.glob(location, glob)
        if not files:
            raise WarcInputError(f"--input {location}: no file matching {glob} in this folder (--glob)")
    else:
        raise WarcInputError(f"--input {location} does not exist; it takes {INPUT_FORMS}")
    _check_names(location, files)
    return files


def _check_names(location: str, files: list[str]) -> None:
    others = [f for f in files if not f.endswith(WARC_SUFFIXES)]
    if others:
        more = f" and {len(others) - 1} more" if len(others) > 1 else ""
        raise WarcInputError(
            f"--input {location}: {storage.basename(others[0])}{more} is not a WARC file "
            f"({'/'.join(WARC_SUFFIXES)}); it takes {INPUT_FORMS}"
        )


def _exact_pattern(name: str) -> str:
    """A glob matching exactly ``name``.

    datatrove prefixes a pattern without wildcards with ``*`` (``a.warc.gz`` would also match
    ``ba.warc.gz``), so the last character (``c`` or ``z`` of a WARC suffix) becomes a one-letter class.
    """
    escaped = escape(name)
    return f"{escaped[:-1]}[{escaped[-1]}]"


class CountingWarcReader(WarcReader):
    """``WarcReader`` that skips and counts bad input instead of dropping it silently or crashing.

    Stats (per task, in ``logs/<stage>/stats``): ``records``, ``html_pages``, ``skipped_record_type``
    (request, metadata, warcinfo), ``skipped_non_html``, ``skipped_too_large``,
    ``skipped_undecodable`` (no charset decodes it, or libmagic says it is not HTML), ``broken_files``.
    """

    name = "🕷 Warc (counting)"

    def __init__(self, data_folder, *args, max_page_bytes: int = DEFAULT_MAX_PAGE_BYTES, **kwargs) -> None:
        super().__init__(data_folder, *args, **kwargs)
        self.max_page_bytes = max_page_bytes

    def _skip_reason(self, record) -> str | None:
        if record.rec_type not in ("response", "conversion"):
            return "skipped_record_type"
        mime = record.rec_headers.get("WARC-Identified-Payload-Type")
        if (
            mime is not None
            and mime not in HTML_TYPES
            and not (record.rec_type == "conversion" and mime == "text/plain")
        ):
            return "skipped_non_html"
        length = record.rec_headers.get("Content-Length")
        if length is not None and length.isdigit() and int(length) > self.max_page_bytes:
            return "skipped_too_large"
        return None

    @staticmethod
    def _unreadable_reason(record) -> str:
        """Why ``process_record`` refused a page: its HTTP type says not HTML, or no charset worked."""
        declared = record.http_headers.get_header("Content-Type", "") if record.http_headers else ""
        mime = declared.split(";")[0].strip().lower()
        return "skipped_non_html" if mime and mime not in HTML_TYPES else "skipped_undecodable"

    def read_file(self, filepath: str):
        from warcio.archiveiterator import ArchiveIterator
        from warcio.exceptions import ArchiveLoadFailed

        try:
            with self.data_folder.open(filepath, "rb", compression=self.compression) as f:
                for index, record in enumerate(ArchiveIterator(f)):
                    with self.track_time():
                        self.stat_update("records")
                        reason = self._skip_reason(record)
                        if reason is None:
                            extracted = process_record(record)
                            reason = None if extracted else self._unreadable_reason(record)
                        if reason is not None:
                            self.stat_update(reason)
                            continue
                        document = self.get_document_from_dict(extracted, filepath, index)
                        if not document:
                            self.stat_update("skipped_empty")
                            continue
                        self.stat_update("html_pages")
                    yield document
        except (ArchiveLoadFailed, EOFError, OSError, zlib.error, ValueError) as err:
            # A truncated or corrupt file: keep what was read, count it, move on to the next file.
            self.stat_update("broken_files")
            logger.warning(f"Stopped reading broken WARC file {filepath}: {type(err).__name__}: {err}")
