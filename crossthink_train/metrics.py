"""Per-source and per-kind reward breakdown, so a run shows which part of a blend learns.

TRL logs one mean per reward function (``rewards/<name>/mean``). A CrossThink blend mixes
sources (MMLU, Natural Reasoning, math, ...) and kinds (mcq, open, math); the paper's point is
how each of them moves. We wrap the reward functions: the wrapper returns exactly what the
wrapped function returns (training is unchanged) and, through the ``log_metric`` hook GRPOTrainer
passes to rewards, also logs

- ``rewards/<name>/<column>/<value>``: the mean reward of completions whose row has that value,
  for every training reward and for the always-logged components (accuracy and format, so a
  falling ``crossthink`` reward can be told apart as wrong answers or broken format);
- ``rewards/<component>/mean`` for components that are not themselves training rewards;
- ``completions/mean_length/<column>/<value>``: mean completion length in tokens.

``log_metric`` is called once per completion, so TRL's sum/count average (over processes and
batches) is the exact per-group mean, not a mean of per-process means.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

RewardFunc = Callable[..., list[float | None]]

DEFAULT_GROUP_BY = ("source", "kind")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]+")


def metric_value_name(value: Any) -> str:
    """A column value as a metric-name segment ("natural reasoning/x" -> "natural_reasoning_x")."""
    text = "none" if value is None else str(value)
    return _UNSAFE.sub("_", text).strip("_") or "empty"


def reward_name(func: Callable) -> str:
    """The name GRPOTrainer gives a reward function in its metrics."""
    while isinstance(func, functools.partial):
        func = func.func
    return getattr(func, "__name__", type(func).__name__)


def log_grouped_means(
    prefix: str,
    values: Sequence[float | None],
    columns: dict[str, Sequence[Any]],
    log_metric: Callable[[str, float], None],
) -> None:
    """Log each non-None value under ``<prefix>/<column>/<row value>`` for every grouping column."""
    for column, row_values in columns.items():
        for value, group in zip(values, row_values, strict=True):
            if value is not None:
                log_metric(f"{prefix}/{column}/{metric_value_name(group)}", float(value))


class RewardBreakdown:
    """Wraps GRPO reward functions to log their per-group means (and components, lengths) per batch.

    ``components`` maps a name to a reward function that is evaluated for logging only (its
    value never reaches the advantage); a component that is also a training reward is not
    computed twice.
    """

    def __init__(
        self,
        group_by: Iterable[str] = DEFAULT_GROUP_BY,
        components: dict[str, RewardFunc] | None = None,
    ) -> None:
        self.group_by = tuple(group_by)
        self.components = dict(components or {})

    def wrap(self, reward_funcs: Sequence[RewardFunc]) -> list[RewardFunc]:
        """Wrapped copies of ``reward_funcs`` (same names, same outputs); the first also logs extras."""
        trained = {reward_name(func) for func in reward_funcs}
        extras = {name: func for name, func in self.components.items() if name not in trained}
        return [
            self._wrap_one(func, extras if i == 0 else {}, log_lengths=i == 0)
            for i, func in enumerate(reward_funcs)
        ]

    def _wrap_one(self, func: RewardFunc, extras: dict[str, RewardFunc], log_lengths: bool) -> RewardFunc:
        name = reward_name(func)

        @functools.wraps(func)
        def with_breakdown(*args: Any, **kwargs: Any) -> list[float | None]:
            rewards = func(*args, **kwargs)
            log_metric = kwargs.get("log_metric")
            if log_metric is None:  # called outside GRPOTrainer: nothing to log to
                return rewards
            columns = {column: kwargs[column] for column in self.group_by if column in kwargs}
            log_grouped_means(f"rewards/{name}", rewards, columns, log_metric)
            for extra_name, extra in extras.items():
                values = extra(*args, **kwargs)
                for value in values:
                    if value is not None:
                        log_metric(f"rewards/{extra_name}/mean", float(value))
                log_grouped_means(f"rewards/{extra_name}", values, columns, log_metric)
            if log_lengths:
                self._log_lengths(kwargs.get("completion_ids"), columns, log_metric)
            return rewards

        return with_breakdown

    @staticmethod
    def _log_lengths(completion_ids, columns, log_metric) -> None:
        if completion_ids is None:
            return
        lengths = [len(ids) for ids in completion_ids]
        log_grouped_means("completions/mean_length", lengths, columns, log_metric)
