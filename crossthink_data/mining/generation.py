"""QA generation from a web document: the versioned prompt and the rollout InferenceRunner calls.

The prompt asks for self-contained multiple-choice questions grounded in the document, as one
JSON object, the shape :mod:`crossthink_data.mining.parse` accepts. Change the wording -> bump
``PROMPT_VERSION``: every record carries the version it was generated with.

A request that still fails after the client's bounded retries comes back as ``{"ok": False,
"error": ...}``, so the document is written with its failure recorded (datatrove drops documents
whose rollouts return ``None``); the runner counts it, leaves the document out of its checkpoint
(a rerun sends it again) and fails the task above ``max_failed``. A refused request stops the run.

:func:`default_generation` holds the miner's generation defaults (the paper's generator model,
focused sampling, room for a few questions); ``mine``'s flags show the same values.
"""

from __future__ import annotations

from typing import Any

from datatrove.data import Document
from datatrove.pipeline.inference.types import GenerateFunction, InferenceError

from crossthink_data.inference import GenerationSettings

PROMPT_VERSION = "syn-qa-mcq-v1"
DEFAULT_QUESTIONS_PER_DOC = 3
MIN_OPTIONS, MAX_OPTIONS = 4, 10
MAX_DOC_CHARS = 8000  # ~2k tokens of document: enough to ground a few questions, cheap to send


def default_generation() -> GenerationSettings:
    """The miner's generator: Qwen2.5-72B-Instruct as in the paper, temperature 0.6, 2048 tokens."""
    return GenerationSettings(model="Qwen/Qwen2.5-72B-Instruct", temperature=0.6, max_tokens=2048)


SYSTEM_PROMPT = (
    "You write exam questions for training reasoning models. You answer with one JSON object and "
    "nothing else."
)

USER_TEMPLATE = """Read the document below (category: {category}; source: {url}).

Write {n} multiple-choice questions that test understanding of facts, reasoning or concepts from \
the document. Rules:
- Each question is self-contained: a reader who has NOT seen the document can understand it. Do not \
write "according to the document/passage/article" or refer to "the text".
- Each question has between {min_options} and {max_options} options, exactly one of them correct; \
the wrong options are plausible.
- "answer" is the letter of the correct option (A for the first option, B for the second, ...).
- "short_answer" states the correct answer in at most 10 words.
- Skip trivia about the website, its authors, dates of publication or navigation.
- If the document cannot support {n} good questions, write fewer (possibly none).

Reply with JSON only, in exactly this shape:
{{"questions": [{{"question": "...", "options": ["...", "...", "...", "..."], "answer": "B", \
"short_answer": "..."}}]}}

Document:
\"\"\"
{document}
\"\"\""""


def build_messages(
    document: Document, questions_per_doc: int = DEFAULT_QUESTIONS_PER_DOC, max_doc_chars: int = MAX_DOC_CHARS
) -> list[dict[str, str]]:
    """Chat messages asking for ``questions_per_doc`` MCQs about ``document``."""
    text = document.text[:max_doc_chars]
    user = USER_TEMPLATE.format(
        category=document.metadata.get("category", "unknown").replace("_", " "),
        url=document.metadata.get("url", "unknown"),
        n=questions_per_doc,
        min_options=MIN_OPTIONS,
        max_options=MAX_OPTIONS,
        document=text,
    )
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


async def generate_questions(
    document: Document,
    generate: GenerateFunction,
    questions_per_doc: int = DEFAULT_QUESTIONS_PER_DOC,
    generation_params: dict[str, Any] | None = None,
    response_format: dict[str, Any] | None = None,
    **_: Any,
) -> dict[str, Any]:
    """InferenceRunner rollout: one request per document; the reply or its recorded failure.

    ``generation_params`` (temperature, max_tokens) come from the run's :class:`GenerationSettings`,
    ``response_format`` (the reply's JSON schema in the server's shape) when it asks for one. A
    request that failed after its retries is recorded; one the server refused for good
    (:class:`~crossthink_data.inference.GenerationStopped`) passes through and stops the run.
    """
    payload = {"messages": build_messages(document, questions_per_doc), **(generation_params or {})}
    if response_format is not None:
        payload["response_format"] = response_format
    try:
        result = await generate(payload)
    except InferenceError as err:
        return {"ok": False, "error": str(err.error), "prompt_version": PROMPT_VERSION}
    return {
        "ok": True,
        "text": result.text,
        "finish_reason": result.finish_reason,
        "usage": result.usage,
        "prompt_version": PROMPT_VERSION,
    }
