"""The CrossThink reward for veRL: the same checker and the same result as the TRL reward.

veRL loads a custom reward by path and name (``reward.custom_reward_function.path`` /
``.name`` in veRL 0.9.1's trainer config; see ``crossthink_train/launch/verl_grpo.sh``) and calls
it once per response as ``compute_score(data_source, solution_str, ground_truth, extra_info)``.
The rows come from a ``blend-<name>-verl`` config (:mod:`crossthink_data.verl`): ``ground_truth``
is ``reward_model.ground_truth`` and ``extra_info`` carries the answer ``kind`` (``mcq``, ``open``
or ``math``) and, for MCQ, the ``options``. The score is :func:`crossthink_train.rewards.crossthink`
on the same row, that is R = R_acc AND R_format (1.0 or 0.0), computed by
:func:`crossthink_data.answers.score_batch`.

``reward.custom_reward_function.reward_kwargs.think_prefilled=true`` restores the ``<think>`` a
chat template wrote at the end of the prompt (Qwen3, DeepSeek-R1), as
:func:`crossthink_train.rewards.get_reward_funcs` does for TRL. veRL hands the response alone to
the reward, so the prompt cannot show it here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crossthink_train.rewards import crossthink


def row_kind_and_options(extra_info: Mapping[str, Any] | None) -> tuple[str, list[str] | None]:
    """The answer kind and MCQ options a ``-verl`` row carries in ``extra_info``.

    Raises:
        ValueError: ``extra_info`` has no ``kind`` (rows not written by crossthink_data.verl):
            zeroing every reward of a misconfigured run silently would be worse than stopping it.
    """
    kind = extra_info.get("kind") if isinstance(extra_info, Mapping) else None
    if not kind:
        raise ValueError(
            "crossthink's veRL reward needs extra_info.kind (mcq, open or math); train on a "
            "blend-<name>-verl config written by crossthink-data, whose extra_info carries it"
        )
    options = extra_info.get("options")
    # parquet -> pandas hands list columns over as numpy arrays: make them plain lists
    return str(kind), [str(option) for option in options] if options is not None else None


def compute_score(
    data_source: str,
    solution_str: str,
    ground_truth: str,
    extra_info: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> float:
    """1.0 iff the response has the format and its final ``\\boxed{}`` answer matches the gold.

    Args:
        data_source: the row's source (not used: the kind in ``extra_info`` decides the rules).
        solution_str: the decoded response.
        ground_truth: ``reward_model.ground_truth``.
        extra_info: the row's ``extra_info`` (``kind``, ``options``).
        kwargs: ``think_prefilled`` (bool) from ``reward_kwargs``; anything else veRL passes is ignored.
    """
    kind, options = row_kind_and_options(extra_info)
    prefilled = kwargs.get("think_prefilled")
    return crossthink(
        [solution_str],
        ground_truth=[ground_truth],
        kind=[kind],
        options=[options],
        think_prefilled=bool(prefilled) if prefilled is not None else False,
    )[0]


__all__ = ["compute_score", "row_kind_and_options"]
