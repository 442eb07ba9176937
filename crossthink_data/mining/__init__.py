"""Common Crawl mining for Syn-QA: WARC -> extract -> filter -> domain -> generate -> parse.

The whole miner is readable in :mod:`crossthink_data.mining.pipeline`; each stage's pieces live in
their own module: :mod:`.warc` (reader), :mod:`.quality` (extraction and filters, offline),
:mod:`.domain` (MMLU-trained fastText classifier and budget), :mod:`.generation` (versioned prompt
and rollout), :mod:`.parse` (strict JSON -> records). :mod:`.demo` is ``make demo``'s part.
"""

from crossthink_data.mining.generation import default_generation
from crossthink_data.mining.pipeline import STAGES, MinerConfig, build_executors, run_miner

__all__ = ["STAGES", "MinerConfig", "build_executors", "default_generation", "run_miner"]
