"""The datatrove steps every QA stage shares: filter H and the templates.

Sources, mined Syn-QA and curation all turn records into training rows the same way, so the steps
live here, in the base layer, and the rules they apply live once in the leaf layer
(:mod:`crossthink_data.filters` declares filter H's rules; :mod:`crossthink_data.columnar` runs them
on batches, :mod:`crossthink_data.templates` words the prompts).
"""

from __future__ import annotations

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.writers.disk_base import DiskWriter
from datatrove.utils.batching import batched

from crossthink_data.columnar import filter_h_table, render_table
from crossthink_data.filters import filter_h_failure
from crossthink_data.record import from_document
from crossthink_data.rows import documents_table


class FilterH(BaseFilter):
    """Filter H for one template; a dropped row carries the name of the rule that dropped it.

    datatrove calls ``filter_batch`` (the columnar rules) on every batch; ``filter`` applies the
    scalar twins of the same rules to one document (used by callers that filter one row at a time).
    """

    name = "🔍 filter H"

    def __init__(
        self, template: str, exclusion_writer: DiskWriter | None = None, batch_size: int = 2048
    ) -> None:
        super().__init__(exclusion_writer=exclusion_writer, batch_size=batch_size)
        self.template = template

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        rule = filter_h_failure(from_document(doc), self.template)
        return True if rule is None else (False, rule)

    def filter_batch(self, batch: list[Document]) -> list[bool | tuple[bool, str]]:
        failures = filter_h_table(documents_table(batch), self.template).to_pylist()
        return [True if rule is None else (False, rule) for rule in failures]


class TemplateRenderer(PipelineStep):
    """Renders each record with T_MCQ or T_Open: adds template, kind, prompt and ground_truth."""

    name = "🧩 template"
    type = "✂️ - FORMAT"

    def __init__(self, template: str, batch_size: int = 2048) -> None:
        super().__init__()
        self.template = template
        self.batch_size = batch_size

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for batch in batched(data, self.batch_size):
            with self.track_time("batch"):
                rows = render_table(documents_table(batch), self.template).to_pylist()
            for document, row in zip(batch, rows, strict=True):
                document.metadata = {k: v for k, v in row.items() if k not in ("id", "question")}
                self.stat_update(self.template)
                yield document
