"""Training data for GRPO: load a CrossThink split and drop prompts too long to generate from.

TRL 1.16 removed ``max_prompt_length``: a prompt is no longer truncated, and vLLM rejects one
longer than its context. So over-long prompts are removed here, once, before training, and the
count is reported instead of failing hours into a run.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("prompt", "ground_truth", "kind")
"""What the CrossThink rewards read (``options`` is optional: open rows may lack it)."""


class DataError(ValueError):
    """A dataset that cannot be trained on; the message says which dataset and why."""


def load_split(name: str, config: str | None = None, split: str = "train"):
    """One split of a Hub dataset id or a local exported folder (``load_dataset(name, config)``)."""
    from datasets import load_dataset

    try:
        return load_dataset(name, name=config, split=split)
    except ValueError as err:
        # datasets names the valid configs/splits in its message; keep it, add what we asked for.
        raise DataError(f"cannot load split {split!r} of {name!r} (config {config!r}): {err}") from err


def check_columns(dataset, name: str = "dataset") -> None:
    """Fail early, with the missing column names, when rows lack what the rewards need."""
    missing = [column for column in REQUIRED_COLUMNS if column not in dataset.column_names]
    if missing:
        raise DataError(
            f"{name} lacks column(s) {', '.join(missing)} (has: {', '.join(dataset.column_names)}); "
            "CrossThink rows come from crossthink_data.templates.render"
        )


def prompt_lengths(prompts: list[Any], tokenizer) -> list[int]:
    """Token count of each prompt exactly as GRPOTrainer feeds it (chat template + generation prompt)."""
    lengths = []
    for prompt in prompts:
        if isinstance(prompt, str):
            lengths.append(len(tokenizer(prompt, add_special_tokens=False)["input_ids"]))
        else:
            ids = tokenizer.apply_chat_template(prompt, add_generation_prompt=True, tokenize=True)
            if isinstance(ids, dict) or hasattr(ids, "keys"):  # BatchEncoding in recent transformers
                ids = ids["input_ids"]
            lengths.append(len(ids))
    return lengths


def filter_long_prompts(dataset, tokenizer, max_prompt_tokens: int | None, num_proc: int | None = None):
    """Rows whose templated prompt fits in ``max_prompt_tokens``; returns (dataset, number dropped).

    ``None`` keeps every row. Raises DataError when nothing is left, since training would
    otherwise fail later with an opaque sampler error.
    """
    if max_prompt_tokens is None:
        return dataset, 0
    if max_prompt_tokens <= 0:
        raise DataError(f"max_prompt_length must be positive, got {max_prompt_tokens}")
    before = len(dataset)
    kept = dataset.filter(
        lambda batch: [n <= max_prompt_tokens for n in prompt_lengths(batch["prompt"], tokenizer)],
        batched=True,
        num_proc=num_proc,
        desc=f"dropping prompts over {max_prompt_tokens} tokens",
    )
    dropped = before - len(kept)
    if dropped:
        logger.warning(
            "dropped %d of %d rows with prompts over %d tokens", dropped, before, max_prompt_tokens
        )
    if len(kept) == 0:
        raise DataError(f"every one of the {before} prompts is longer than {max_prompt_tokens} tokens")
    return kept, dropped
