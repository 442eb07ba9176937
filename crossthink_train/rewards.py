"""GRPO rewards in TRL's signature, all judged by the shared answer checker.

``crossthink`` is the paper's reward, R = R_acc AND R_format; ``accuracy`` and ``format`` are its
two halves, useful as separately logged signals (TRL logs ``rewards/<name>/mean``). Recipes
list them by name; :func:`get_reward_funcs` turns names into callables.

TRL calls ``f(prompts=, completions=, completion_ids=, **columns)``: the dataset columns
``ground_truth``, ``kind`` and ``options`` arrive as lists, one entry per completion.

Pre-filled ``<think>``: some chat templates (Qwen3, DeepSeek-R1) end the generation prompt with
``<think>``, so the model's completion starts inside the thinking block and never repeats the
tag. The reward then restores the tag before judging, so the format rule holds either way. It
knows a prompt was pre-filled when (in this order) the ``think_prefilled`` argument of
:func:`get_reward_funcs` says so, a ``think_prefilled`` dataset column says so, or the prompt
itself shows it (a plain-text prompt, or an assistant pre-fill message, ending with
``<think>``). Conversational prompts do not show the chat template's pre-fill: use
:func:`template_prefills_think` on the tokenizer and pass the result to :func:`get_reward_funcs`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from crossthink_data.answers import THINK_OPEN, check_format, score_batch

RewardFunc = Callable[..., list[float]]


def completion_text(completion: Any) -> str:
    """The text of one completion: a string, or the assistant content of a message list."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        return _content_text(completion.get("content"))
    if isinstance(completion, Sequence):
        return "".join(
            _content_text(message.get("content"))
            for message in completion
            if isinstance(message, dict) and message.get("role", "assistant") == "assistant"
        )
    return ""


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):  # multimodal parts: [{"type": "text", "text": ...}]
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def prompt_prefills_think(prompt: Any) -> bool:
    """Does the prompt itself end inside a ``<think>`` block (plain text or assistant pre-fill)?"""
    if isinstance(prompt, str):
        return prompt.rstrip().endswith(THINK_OPEN)
    if isinstance(prompt, Sequence) and prompt:
        last = prompt[-1]
        if isinstance(last, dict) and last.get("role") == "assistant":
            return _content_text(last.get("content")).rstrip().endswith(THINK_OPEN)
    return False


def template_prefills_think(tokenizer: Any) -> bool:
    """Does this tokenizer's chat template open ``<think>`` in the generation prompt?"""
    rendered = tokenizer.apply_chat_template(
        [{"role": "user", "content": "1+1?"}], tokenize=False, add_generation_prompt=True
    )
    return rendered.rstrip().endswith(THINK_OPEN)


def restore_think(text: str) -> str:
    """Put back the ``<think>`` the chat template wrote, unless the model wrote one itself."""
    return text if text.lstrip().startswith(THINK_OPEN) else THINK_OPEN + text


def _texts(completions: Sequence[Any], prompts: Sequence[Any] | None, prefilled: Any) -> list[str]:
    """Completion texts, with ``<think>`` restored where the prompt pre-filled it."""
    texts = [completion_text(completion) for completion in completions]
    for index, text in enumerate(texts):
        if isinstance(prefilled, bool):
            row_prefilled = prefilled
        elif isinstance(prefilled, Sequence) and prefilled[index] is not None:
            row_prefilled = bool(prefilled[index])
        else:
            row_prefilled = prompts is not None and prompt_prefills_think(prompts[index])
        if row_prefilled:
            texts[index] = restore_think(text)
    return texts


def _columns(completions, ground_truth, kind, options) -> tuple[list[str], list[str], list[Any]]:
    if ground_truth is None or kind is None:
        raise ValueError(
            "crossthink rewards need the dataset columns 'ground_truth' and 'kind' "
            "(rows rendered by crossthink_data.templates.render have both)"
        )
    count = len(completions)
    if options is None:
        options = [None] * count
    if not len(ground_truth) == len(kind) == len(options) == count:
        raise ValueError("ground_truth, kind and options must have one entry per completion")
    return [str(gold) for gold in ground_truth], list(kind), list(options)


def accuracy(
    completions: Sequence[Any],
    ground_truth: Sequence[Any] | None = None,
    kind: Sequence[str] | None = None,
    options: Sequence[Sequence[str] | None] | None = None,
    prompts: Sequence[Any] | None = None,
    think_prefilled: Any = None,
    **kwargs: Any,
) -> list[float]:
    """R_acc, logged beside the reward: 1.0 when the final answer matches the gold, format not
    required (the paper's answer-only reading: the last ``\\boxed{}`` after ``</think>`` when there
    is one, else the last ``\\boxed{}`` of the completion)."""
    golds, kinds, row_options = _columns(completions, ground_truth, kind, options)
    texts = _texts(completions, prompts, think_prefilled)
    return score_batch(texts, golds, kinds, row_options, require_format=False)


def format_reward(
    completions: Sequence[Any],
    prompts: Sequence[Any] | None = None,
    think_prefilled: Any = None,
    **kwargs: Any,
) -> list[float]:
    """R_format: 1.0 for one ``<think>...</think>`` block followed by a non-empty ``\\boxed{}``."""
    return [1.0 if check_format(text) else 0.0 for text in _texts(completions, prompts, think_prefilled)]


format_reward.__name__ = format_reward.__qualname__ = "format"
format = format_reward  # noqa: A001 - the reward's public name; TRL logs it as rewards/format/mean


def crossthink(
    completions: Sequence[Any],
    ground_truth: Sequence[Any] | None = None,
    kind: Sequence[str] | None = None,
    options: Sequence[Sequence[str] | None] | None = None,
    prompts: Sequence[Any] | None = None,
    think_prefilled: Any = None,
    **kwargs: Any,
) -> list[float]:
    """The paper's reward: 1.0 iff the format holds AND the answer matches the gold."""
    golds, kinds, row_options = _columns(completions, ground_truth, kind, options)
    texts = _texts(completions, prompts, think_prefilled)
    return score_batch(texts, golds, kinds, row_options)


REWARD_FUNCS: dict[str, RewardFunc] = {
    "accuracy": accuracy,
    "format": format_reward,
    "crossthink": crossthink,
}


def get_reward_funcs(names: Sequence[str], think_prefilled: bool | None = None) -> list[RewardFunc]:
    """Reward callables for a recipe's names; ``think_prefilled`` fixes the pre-fill for all rows.

    With ``think_prefilled=None`` each row decides (column or prompt, see the module docstring).
    """
    if isinstance(names, str):
        names = [names]
    unknown = [name for name in names if name not in REWARD_FUNCS]
    if unknown:
        raise ValueError(
            f"unknown reward(s) {', '.join(map(repr, unknown))}; available: {', '.join(REWARD_FUNCS)}"
        )
    funcs = [REWARD_FUNCS[name] for name in names]
    if think_prefilled is None:
        return funcs
    return [_with_prefill(func, think_prefilled) for func in funcs]


def _with_prefill(func: RewardFunc, think_prefilled: bool) -> RewardFunc:
    def reward(*args: Any, **kwargs: Any) -> list[float]:
        kwargs["think_prefilled"] = think_prefilled
        return func(*args, **kwargs)

    reward.__name__ = reward.__qualname__ = func.__name__
    reward.__doc__ = func.__doc__
    return reward
