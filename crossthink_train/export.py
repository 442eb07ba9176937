"""Merge a trained LoRA adapter into its base model, so the result loads with ``from_pretrained``.

GRPO with ``use_peft`` saves only the adapter; lighteval, vLLM and the Hub want a plain model.
"""

from __future__ import annotations

import logging
from pathlib import Path

logger = logging.getLogger(__name__)


def merge_adapter(
    adapter_dir: str | Path,
    output_dir: str | Path,
    base_model: str | None = None,
    dtype: str = "auto",
) -> Path:
    """Write ``base + adapter`` merged to ``output_dir`` (model and tokenizer); returns the path.

    ``base_model`` defaults to the base recorded in the adapter's ``adapter_config.json``. The
    tokenizer is taken from ``adapter_dir`` when the trainer saved one there, else from the base.
    """
    from peft import PeftConfig, PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    adapter_dir, output_dir = Path(adapter_dir), Path(output_dir)
    if not (adapter_dir / "adapter_config.json").is_file():
        raise FileNotFoundError(f"{adapter_dir} has no adapter_config.json: not a PEFT adapter folder")
    base = base_model or PeftConfig.from_pretrained(str(adapter_dir)).base_model_name_or_path
    if not base:
        raise ValueError(f"{adapter_dir}/adapter_config.json names no base model: pass base_model")
    logger.info("merging %s into %s", adapter_dir, base)
    model = AutoModelForCausalLM.from_pretrained(base, dtype=dtype)
    merged = PeftModel.from_pretrained(model, str(adapter_dir)).merge_and_unload()
    output_dir.mkdir(parents=True, exist_ok=True)
    merged.save_pretrained(output_dir)
    tokenizer_source = adapter_dir if (adapter_dir / "tokenizer_config.json").is_file() else base
    AutoTokenizer.from_pretrained(tokenizer_source).save_pretrained(output_dir)
    return output_dir
