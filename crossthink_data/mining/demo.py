"""`make demo`'s mining part: the miner on 16 shipped real Common Crawl-format pages.

Without a generator it runs read -> extract -> filter -> domain and prints the category counts.
With ``CROSSTHINK_ENDPOINT`` (an OpenAI-compatible base URL such as ``http://localhost:8000/v1``)
and ``CROSSTHINK_MODEL`` set (``CROSSTHINK_API_KEY`` if the server wants one), it continues
through generation and parsing, and returns where the Syn-QA records and templated rows are.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

DEMO_WARC_DIR = Path(__file__).resolve().parent.parent / "demo_data" / "common_crawl"
ENABLE_HINT = (
    "QA generation skipped: set CROSSTHINK_ENDPOINT=http://HOST:PORT/v1 and CROSSTHINK_MODEL=<served model> "
    "(and CROSSTHINK_API_KEY if needed) to continue the demo through generation and parsing."
)


def run(output_dir: Path) -> dict[str, Any]:
    """Mine the shipped WARC sample into ``output_dir/mining``; returns the run's summary."""
    from crossthink_data.mining.pipeline import MinerConfig, run_miner

    endpoint = os.environ.get("CROSSTHINK_ENDPOINT")
    model = os.environ.get("CROSSTHINK_MODEL")
    if endpoint and not model:
        raise SystemExit(
            "CROSSTHINK_ENDPOINT is set but CROSSTHINK_MODEL is not: name the model the server serves"
        )
    out = Path(output_dir) / "mining"
    cfg = MinerConfig(input=str(DEMO_WARC_DIR), output=str(out), glob="*.warc.gz")
    if endpoint:  # the key, if any, is read from CROSSTHINK_API_KEY (GenerationSettings.api_key_env)
        cfg.generation = replace(cfg.generation, endpoint_url=endpoint, model=model)
    summary = run_miner(cfg, "parse" if endpoint else "domain")

    print(
        f"mining: {summary['extract_documents']} pages extracted, {summary['domain_documents']} kept and labelled"
    )
    for category, count in summary["categories"].items():
        print(f"  {category:<16} {count}")
    if endpoint:
        summary["records_path"] = str(out / "parse" / "records")
        summary["templated_paths"] = {t: str(out / "parse" / t) for t in ("mcq", "open")}
        print(
            f"  Syn-QA records: {summary['records_rows']} -> {summary['records_path']}; rejects {summary['rejects']}"
        )
    else:
        print(ENABLE_HINT)
    return summary
