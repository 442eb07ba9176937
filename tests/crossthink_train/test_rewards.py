"""GRPO rewards called the way TRL 1.16 calls them (GRPOTrainer._calculate_rewards):
``f(prompts=, completions=, completion_ids=, **columns, trainer_state=, log_extra=, log_metric=)``.

Rows are real: AGIEval sat-math row 0 (gold D), MATH-500 golds, an MMLU-STEM option text.
"""

from __future__ import annotations

import pytest

from crossthink_train.rewards import (
    REWARD_FUNCS,
    accuracy,
    completion_text,
    crossthink,
    format_reward,
    get_reward_funcs,
    template_prefills_think,
)

SAT_MATH_OPTIONS = ["(A)2", "(B)4", "(C)9", "(D)10"]
GOLDS = ["D", "\\frac{14}{3}", "negative gravitropism", "D", "\\frac{14}{3}"]
KINDS = ["mcq", "math", "open", "mcq", "math"]
OPTIONS = [SAT_MATH_OPTIONS, None, None, SAT_MATH_OPTIONS, None]
TEXTS = [
    "<think>\n2x + 6 = 26, so x = 10.\n</think>\nThe answer is $\\boxed{D}$.",  # right
    "<think>\nAdd the fractions.\n</think>\n$\\boxed{\\dfrac{28}{6}}$",  # right (equivalent)
    "<think>\nRoots grow down.\n</think>\n\\boxed{Negative gravitropism}",  # right
    "<think>\nx = 9?\n</think>\n\\boxed{C}",  # wrong answer, good format
    "Add the fractions.\n</think>\n\\boxed{14/3}",  # right answer, <think> missing
]
PROMPT = [{"role": "user", "content": "Think step by step inside <think> and </think> tags..."}]


def _trl_call(func, completions, prompts=None, **columns):
    """Exactly the keyword set TRL passes (dataset columns plus its own extras)."""
    columns.setdefault("ground_truth", GOLDS)
    columns.setdefault("kind", KINDS)
    columns.setdefault("options", OPTIONS)
    return func(
        prompts=prompts or [PROMPT] * len(completions),
        completions=completions,
        completion_ids=[[1, 2, 3]] * len(completions),
        source=["agieval"] * len(completions),
        template=["mcq"] * len(completions),
        trainer_state=None,
        log_extra=lambda *a, **k: None,
        log_metric=lambda *a, **k: None,
        **columns,
    )


def _conversational(texts):
    return [[{"role": "assistant", "content": text}] for text in texts]


@pytest.mark.parametrize("shape", ["conversational", "plain"])
def test_rewards_on_conversational_and_plain_completions(shape):
    completions = _conversational(TEXTS) if shape == "conversational" else list(TEXTS)
    prompts = [PROMPT] * 5 if shape == "conversational" else ["Question?"] * 5
    assert _trl_call(crossthink, completions, prompts) == [1.0, 1.0, 1.0, 0.0, 0.0]
    assert _trl_call(accuracy, completions, prompts) == [1.0, 1.0, 1.0, 0.0, 1.0]
    assert _trl_call(format_reward, completions, prompts) == [1.0, 1.0, 1.0, 1.0, 0.0]


def test_prefilled_think_in_a_plain_prompt_is_restored():
    """A chat template that opens <think> itself: the completion starts inside the block."""
    prompts = ["<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n<think>\n"] * 5
    assert _trl_call(crossthink, list(TEXTS), prompts) == [1.0, 1.0, 1.0, 0.0, 1.0]


def test_prefill_from_an_assistant_prefill_message():
    prompts = [[*PROMPT, {"role": "assistant", "content": "<think>"}]] * 5
    assert _trl_call(format_reward, _conversational(TEXTS), prompts) == [1.0, 1.0, 1.0, 1.0, 1.0]


def test_prefill_flag_and_column():
    fixed = get_reward_funcs(["crossthink"], think_prefilled=True)[0]
    assert _trl_call(fixed, _conversational(TEXTS)) == [1.0, 1.0, 1.0, 0.0, 1.0]
    column = [False, False, False, False, True]
    assert _trl_call(crossthink, _conversational(TEXTS), think_prefilled=column) == [1.0, 1.0, 1.0, 0.0, 1.0]
    not_prefilled = get_reward_funcs(["crossthink"], think_prefilled=False)[0]
    prompts = ["...<think>\n"] * 5  # the flag wins over the prompt
    assert _trl_call(not_prefilled, list(TEXTS), prompts) == [1.0, 1.0, 1.0, 0.0, 0.0]


def test_restoring_never_creates_a_second_think():
    text = "<think>\nreasoning\n</think>\n\\boxed{D}"
    fixed = get_reward_funcs(["format"], think_prefilled=True)[0]
    assert _trl_call(fixed, [text], ground_truth=["D"], kind=["mcq"], options=[SAT_MATH_OPTIONS]) == [1.0]


def test_registry_names_and_logged_names():
    assert set(REWARD_FUNCS) == {"accuracy", "format", "crossthink"}
    funcs = get_reward_funcs(["crossthink", "accuracy", "format"], think_prefilled=True)
    assert [f.__name__ for f in funcs] == [
        "crossthink",
        "accuracy",
        "format",
    ]  # TRL logs rewards/<__name__>/mean
    assert [f.__name__ for f in get_reward_funcs(["format"])] == ["format"]


def test_unknown_reward_name_is_a_clear_error():
    with pytest.raises(ValueError, match=r"unknown reward.*'acc'.*available: accuracy, format, crossthink"):
        get_reward_funcs(["crossthink", "acc"])


def test_missing_columns_are_a_clear_error():
    with pytest.raises(ValueError, match="ground_truth"):
        crossthink(prompts=[PROMPT], completions=["x"], completion_ids=[[1]])


def test_multimodal_content_parts_are_read():
    completion = [
        {
            "role": "assistant",
            "content": [{"type": "text", "text": "<think>a</think>"}, {"type": "text", "text": "\\boxed{D}"}],
        }
    ]
    assert completion_text(completion) == "<think>a</think>\\boxed{D}"


def test_large_batch_equals_row_by_row():
    """Large batches spread math-verify rows over worker processes; verdicts must not change."""
    completions = _conversational(TEXTS * 8)
    columns = {"ground_truth": GOLDS * 8, "kind": KINDS * 8, "options": OPTIONS * 8}
    batch = _trl_call(crossthink, completions, **columns)
    single = [
        _trl_call(crossthink, [c], ground_truth=[g], kind=[k], options=[o])[0]
        for c, g, k, o in zip(completions, GOLDS * 8, KINDS * 8, OPTIONS * 8, strict=True)
    ]
    assert batch == single == [1.0, 1.0, 1.0, 0.0, 0.0] * 8


def test_template_prefill_detection_on_a_real_tokenizer(tiny_model_dir):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    assert template_prefills_think(tokenizer) is False
    tokenizer.chat_template = tokenizer.chat_template + "{% if add_generation_prompt %}<think>\n{% endif %}"
    assert template_prefills_think(tokenizer) is True
