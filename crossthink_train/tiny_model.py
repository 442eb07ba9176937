"""Build a tiny local causal LM + tokenizer, so recipes, tests and evals run offline on a CPU.

No model weights can be downloaded here or in CI; a 2-layer Qwen2 with a BPE tokenizer trained
in-process on a small corpus is enough to exercise TRL's GRPOTrainer, peft and lighteval for real.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

# Qwen-style chat template; the assistant turn is left open so generation continues it.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
# Ordinary (non-special) added tokens: TRL decodes completions with skip_special_tokens=True, and
# the reward must still see the think tags.
THINK_TOKENS = ["<think>", "</think>"]

_BASE_CORPUS = [
    "<think> Let me reason step by step. </think> The answer is \\boxed{A}.",
    "<think> The options are A, B, C and D. </think> \\boxed{B}",
    "<think> Compute 2 + 3 = 5. </think> \\boxed{5}",
    "<think> Paris is the capital of France. </think> \\boxed{Paris}",
    "Answer the following question. Put your final answer in \\boxed{}.",
    "Question: Which planet is closest to the sun? A. Venus B. Mercury C. Mars D. Earth",
    "Reason inside <think> and </think>, then give the final answer as \\boxed{C}.",
    "0 1 2 3 4 5 6 7 8 9 10 11 12 \\frac{1}{2} x^2 + y = \\sqrt{3} \\pi",
]


def build_tokenizer(corpus: Iterable[str] = (), vocab_size: int = 512):
    """Byte-level BPE trained in-process, wrapped as a PreTrainedTokenizerFast with a chat template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE(unk_token=None))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(list(_BASE_CORPUS) + list(corpus), trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        bos_token=None,
        unk_token=None,
    )
    fast.add_tokens(THINK_TOKENS, special_tokens=False)
    fast.chat_template = CHAT_TEMPLATE
    return fast


def build_tiny_model(
    output_dir: str | Path,
    corpus: Iterable[str] = (),
    vocab_size: int = 512,
    hidden_size: int = 64,
    num_layers: int = 2,
    seed: int = 0,
) -> Path:
    """Write a tiny Qwen2 model and its tokenizer to ``output_dir``; returns the path.

    The result loads with ``AutoModelForCausalLM.from_pretrained(output_dir)`` and
    ``AutoTokenizer.from_pretrained(output_dir)``, exactly like a Hub checkpoint.
    """
    import torch
    from transformers import GenerationConfig, Qwen2Config, Qwen2ForCausalLM

    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer(corpus, vocab_size=vocab_size)
    torch.manual_seed(seed)
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=num_layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        tie_word_embeddings=True,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=None,
    )
    model = Qwen2ForCausalLM(config)
    model.generation_config = GenerationConfig(
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id, do_sample=False
    )
    model.save_pretrained(output_dir)
    tokenizer.save_pretrained(output_dir)
    return output_dir
