"""lighteval metrics built on the project's one answer checker, ``crossthink_data.answers.score``.

The GRPO reward, the difficulty filter and these metrics call the same function, so a response
rewarded in training is counted correct here. Metrics read the raw response (``text``), not
lighteval's post-processed text with the ``<think>`` block removed: the format check needs it.
Where a backend split the reasoning off (litellm moves a leading ``<think>...</think>`` out of the
content into ``reasoning_content``, as vLLM's reasoning parsers do), :func:`raw_texts` puts it back.

- ``accuracy``: the first (greedy) response scores 1 with ``score`` (format AND answer), exactly
  the GRPO reward.
- ``boxed_accuracy``: the paper-comparable metric. Its final answer is right, read the paper's way
  (``score_batch(..., require_format=False)``: the last \\boxed{} after </think> when there is one,
  else the last \\boxed{} of the response), format or not: the paper reads every model's answer
  from \\boxed{}, its base-model baseline (no <think> block) included.
- ``format_ok``: the first response has the <think>...</think> + \\boxed{} format.
- ``correct_response_tokens``: mean response length in tokens over correct responses (the
  paper's token-efficiency figure; NaN when nothing is correct).
- ``avg@k``: mean correctness over k sampled responses; set k in the task spec
  (``crossthink_math_500@k=8``) and a temperature > 0 in the model args.
"""

from __future__ import annotations

import math
import os
from functools import lru_cache
from typing import Any

import numpy as np
from lighteval.metrics.metrics_sample import SampleLevelComputation, SamplingMetric
from lighteval.metrics.utils.metric_utils import SampleLevelMetric, SampleLevelMetricGrouping
from lighteval.models.model_output import ModelResponse
from lighteval.tasks.requests import Doc, SamplingMethod

from crossthink_data.answers import check_format, score, score_batch

TOKENIZER_ENV = "CROSSTHINK_EVAL_TOKENIZER"
ACCURACY = "accuracy"
BOXED_ACCURACY = "boxed_accuracy"
FORMAT_OK = "format_ok"
CORRECT_TOKENS = "correct_response_tokens"
AVG_AT_K = "avg@k"


def raw_texts(texts: list[str] | None, reasonings: list[str | None] | None = None) -> list[str]:
    """The responses as the model wrote them: ``<think>{reasoning}</think>{text}`` where the backend
    returned the reasoning apart (lighteval keeps it in ``ModelResponse.reasonings``)."""
    reasonings = list(reasonings or [])
    out = []
    for index, text in enumerate(texts or []):
        reasoning = reasonings[index] if index < len(reasonings) else None
        out.append(f"<think>{reasoning}</think>{text or ''}" if reasoning else text or "")
    return out


def response_texts(model_response: ModelResponse) -> list[str]:
    """:func:`raw_texts` of a lighteval response."""
    return raw_texts(model_response.text, model_response.reasonings)


def doc_score(doc: Doc, response_text: str) -> float:
    """Score one response against the gold the task stored in ``doc.specific``."""
    spec = doc.specific or {}
    if "gold" not in spec or "kind" not in spec:
        raise ValueError(f"doc {doc.id!r} of task {doc.task_name!r} has no crossthink gold (doc.specific)")
    return float(score(response_text or "", spec["gold"], spec["kind"], spec.get("options")))


def doc_answer_score(doc: Doc, response_text: str) -> float:
    """Like :func:`doc_score` but the answer alone counts, read the paper's way (no format required)."""
    spec = doc.specific or {}
    options = [spec.get("options")]
    return score_batch([response_text or ""], [spec["gold"]], [spec["kind"]], options, require_format=False)[
        0
    ]


@lru_cache(maxsize=4)
def _tokenizer(name: str):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(name)


def response_tokens(model_response: ModelResponse, index: int = 0) -> int | None:
    """Length of one response in tokens.

    With ``CROSSTHINK_EVAL_TOKENIZER`` (``crossthink_eval.run`` sets it to the model) the text is re-tokenized,
    which is exact for every backend. Otherwise the backend's token ids are counted: exact for vLLM,
    but lighteval's padded transformers batches also count the padding after EOS, and API backends
    return no ids (None).
    """
    name = os.environ.get(TOKENIZER_ENV, "").strip()
    if name:
        texts = response_texts(model_response)
        text = texts[index] if len(texts) > index else ""
        return len(_tokenizer(name)(text, add_special_tokens=False)["input_ids"])
    if len(model_response.output_tokens) > index:
        return len(model_response.output_tokens[index])
    return None


class CrossThinkScore(SampleLevelComputation):
    """Accuracy, format and token length of the first response, from the shared answer checker."""

    def compute(self, doc: Doc, model_response: ModelResponse, **kwargs: Any) -> dict[str, float]:
        texts = response_texts(model_response)
        text = texts[0] if texts else ""
        correct = doc_score(doc, text) > 0
        tokens = response_tokens(model_response) if correct else None
        return {
            ACCURACY: float(correct),
            BOXED_ACCURACY: float(correct or doc_answer_score(doc, text) > 0),
            FORMAT_OK: float(bool(check_format(text))),
            CORRECT_TOKENS: float(tokens) if tokens is not None else math.nan,
        }


def mean_over_correct(values: list[float]) -> dict[str, float]:
    """Corpus value of ``correct_response_tokens``: mean over correct responses (NaN marks the rest).

    Returned as a dict so lighteval stores it as is and skips a stderr that NaNs would spoil.
    """
    finite = [v for v in values if v is not None and not math.isnan(v)]
    return {CORRECT_TOKENS: float(np.mean(finite)) if finite else math.nan}


class AverageAtK(SamplingMetric, SampleLevelComputation):
    """Mean correctness over the first k of n sampled responses (avg@k)."""

    def __init__(self, k: int = 1):
        super().__init__()
        self.k = k
        self.attribute_must_be_set = ["k"]

    def compute(self, doc: Doc, model_response: ModelResponse, **kwargs: Any) -> float:
        k = int(self.k)
        texts = response_texts(model_response)[:k]
        if len(texts) < k:
            raise ValueError(f"avg@{k} needs {k} responses per question, the model returned {len(texts)}")
        return float(np.mean([doc_score(doc, t) > 0 for t in texts]))

    def num_samples(self) -> int:
        return int(self.k)


def crossthink_score_metric() -> SampleLevelMetricGrouping:
    """accuracy, boxed_accuracy, format_ok and correct_response_tokens as one lighteval metric grouping."""
    return SampleLevelMetricGrouping(
        metric_name=[ACCURACY, BOXED_ACCURACY, FORMAT_OK, CORRECT_TOKENS],
        higher_is_better={ACCURACY: True, BOXED_ACCURACY: True, FORMAT_OK: True, CORRECT_TOKENS: False},
        category=SamplingMethod.GENERATIVE,
        sample_level_fn=CrossThinkScore(),
        corpus_level_fn={
            ACCURACY: np.mean,
            BOXED_ACCURACY: np.mean,
            FORMAT_OK: np.mean,
            CORRECT_TOKENS: mean_over_correct,
        },
    )


def avg_at_k_metric(k: int = 1) -> SampleLevelMetric:
    """avg@k; the ``@`` in the name lets ``task@k=8`` on the command line set k."""
    return SampleLevelMetric(
        metric_name=AVG_AT_K,
        higher_is_better=True,
        category=SamplingMethod.GENERATIVE,
        sample_level_fn=AverageAtK(k=k),
        corpus_level_fn=np.mean,
    )
