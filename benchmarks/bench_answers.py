"""Answer checker vs math-verify: 10,000 (response, gold) pairs built from real benchmark golds.

Golds are real: MATH-500, AMC23 and AGIEval-math answers (math), AGIEval and MMLU-STEM labels with
their options (mcq), MMLU-STEM gold option texts of at most 10 words (open, as T_Open uses them).
Responses are written around them by rules in this file: right answers (the gold as printed, or
rewritten the way models write it: ``a/b`` for ``\\frac{a}{b}``, no ``^\\circ``, no unit, spaces),
wrong answers (another number, the reciprocal, the negation, another row's gold, another
option, a hedge) and format violations (no ``</think>``, the box only inside the thinking, two
thinking blocks, two different boxes, an empty box). Each pair carries its expected verdict
from that construction, never from either checker.

Ours: ``crossthink_data.answers.score`` one pair at a time (worker start excluded via
``warm_up``; verdict cache disabled so repeated pairs cost full price), interleaved with the
peer in chunks of 250 so machine load hits both alike; then ``score_batch`` on all pairs.
Peer: math-verify ``verify(parse(gold), parse(response))`` with its defaults, same pairs, same
run (gold wrapped in ``\\boxed{}``; it has no notion of format, MCQ labels or option text).
Target (issue 3): >= 5x math-verify's pairs/s on the mix, and no math pair that math-verify
judges as constructed while we do not.

First, the GRPO steady state (issue 10, :func:`steady_state`): 3,000 well-formatted responses
boxing a MATH-500 gold (half the right one, half another problem's), ``score`` one by one vs
math-verify ``parse``+``verify`` in the same process, cold verdict cache. Target: >= 5x.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from crossthink_data import answers
from crossthink_data.answers import math_answer

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "benchmarks"
LOCAL = Path(__file__).resolve().parents[1] / "tests" / "data" / "answers"
N_PAIRS = 10_000
SHARE = {"math": 0.4, "mcq": 0.3, "open": 0.3}
SEED = 2504


@dataclass
class Pair:
    kind: str
    gold: str
    options: list[str] | None
    response: str
    expected: bool
    variant: str


# --- real golds -------------------------------------------------------------------------------


def _jsonl(path: Path) -> list[dict]:
    with open(path) as handle:
        return [json.loads(line) for line in handle if line.strip()]


def math_golds() -> list[str]:
    if (SHARED / "math500" / "test.jsonl").is_file():
        golds = [row["answer"] for row in _jsonl(SHARED / "math500" / "test.jsonl")]
        golds += [_amc(row["answer"]) for row in _jsonl(SHARED / "amc23" / "test.jsonl")]
        golds += [row["answer"] for row in _jsonl(SHARED / "agieval_v1" / "math.jsonl") if row.get("answer")]
        return golds
    golds = [row["answer"] for row in _jsonl(LOCAL / "math500_answers.jsonl")]
    return golds + [_amc(row["answer"]) for row in _jsonl(LOCAL / "amc23_answers.jsonl")]


def _amc(value: float) -> str:
    return str(value)  # "27.0", as the AMC23 file stores it


def mcq_rows() -> list[tuple[list[str], str]]:
    rows = []
    if SHARED.is_dir():
        for name in ("aqua-rat", "sat-math", "logiqa-en", "lsat-ar", "lsat-lr", "sat-en-without-passage"):
            rows += [
                (row["options"], row["label"]) for row in _jsonl(SHARED / "agieval_v1" / f"{name}.jsonl")
            ]
        rows += [
            (row["choices"], "ABCD"[row["answer"]]) for row in _jsonl(SHARED / "mmlu_stem" / "test.jsonl")
        ]
    else:
        rows += [(row["options"], row["label"]) for row in _jsonl(LOCAL / "agieval_mcq.jsonl")]
        rows += [(row["choices"], "ABCD"[row["answer"]]) for row in _jsonl(LOCAL / "mmlu_stem_sample.jsonl")]
    return [(options, label) for options, label in rows if isinstance(label, str) and len(label) == 1]


def open_rows() -> list[tuple[str, list[str]]]:
    """(gold text, the other options' texts) for MMLU-STEM golds of at most 10 words (filter H)."""
    path = SHARED / "mmlu_stem" / "test.jsonl" if SHARED.is_dir() else LOCAL / "mmlu_stem_sample.jsonl"
    rows = []
    for row in _jsonl(path):
        gold = row["choices"][row["answer"]].strip()
        others = [choice.strip() for i, choice in enumerate(row["choices"]) if i != row["answer"]]
        if (
            0 < len(gold.split()) <= 10
            and "of the above" not in gold.lower()
            and "of these" not in gold.lower()
        ):
            rows.append((gold, [other for other in others if _plain(other) != _plain(gold)]))
    return rows


def _plain(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.lower())


# --- responses ---------------------------------------------------------------------------------

THOUGHTS = [
    "Let me restate the problem and identify what is being asked.",
    "First I compute the key quantity: $x^2 + 2x + 1 = (x+1)^2$, which simplifies things.",
    "Checking the edge cases: if $n = 0$ the expression is undefined, so $n \\geq 1$.",
    "Using the given values, $\\frac{a}{b} = \\frac{6}{4} = \\frac{3}{2}$ for the ratio step.",
    "Wait, I should double-check that step. Recomputing carefully gives the same value.",
    "Eliminating the options that contradict the passage leaves only one candidate.",
    "So the intermediate result is $\\sqrt{16} = 4$, and substituting back works.",
    "Hmm, an alternative approach: count the complement instead and subtract from the total.",
]


def _thinking(rng: random.Random) -> str:
    return "\n\n".join(rng.choice(THOUGHTS) for _ in range(rng.randint(2, 8)))


def respond(rng: random.Random, answer: str, shape: str = "ok") -> str:
    """A response in the template's format around ``answer`` (or one of the format violations)."""
    think = _thinking(rng)
    box = f"\\boxed{{{answer}}}"
    final = rng.choice(
        [f"The final answer is ${box}$.", f"Therefore, the answer is {box}.", f"**Answer:** $${box}$$", box]
    )
    if shape == "ok":
        return f"<think>\n{think}\n</think>\n\n{final}"
    if shape == "no_close":
        return f"<think>\n{think}\n\n{final}"
    if shape == "box_in_think":
        return f"<think>\n{think}\nSo it is {box}.\n</think>\n\nI am confident in the result above."
    if shape == "two_thinks":
        return f"<think>\n{think}\n</think>\n<think>\nLet me reconsider.\n</think>\n{final}"
    if shape == "no_open":
        return f"{think}\n</think>\n\n{final}"
    if shape == "empty_box":
        return f"<think>\n{think}\n</think>\n\nThe answer is $\\boxed{{}}$ {answer}."
    raise ValueError(shape)


FORMAT_HACKS = ("no_close", "box_in_think", "two_thinks", "no_open", "empty_box")
_FRAC = re.compile(r"^(-?)\\[dt]?frac\{(\d+)\}\{(\d+)\}$")
_INT = re.compile(r"^-?\d+$")
_UNIT = re.compile(r"^(.*?)\s*\\(?:text|mbox)\{\s*[a-z ]+\}(\^2)?$")


def _number(text: str) -> Fraction | None:
    text = text.replace(" ", "")
    match = _FRAC.match(text)
    if match:
        value = Fraction(int(match.group(2)), int(match.group(3)))
        return -value if match.group(1) else value
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return Fraction(text)
    return None


def right_math(rng: random.Random, gold: str) -> tuple[str, str]:
    """The gold, or a rewriting of it that means the same (how models actually write it)."""
    text = gold.strip()
    frac, unit = _FRAC.match(text), _UNIT.match(text)
    options = [("verbatim", text)]
    if frac:
        sign, a, b = frac.groups()
        options.append(("slash", f"{sign}{a}/{b}"))
        if 10**6 % int(b) == 0:
            options.append(("decimal", str(float(Fraction(int(a), int(b)) * (-1 if sign else 1)))))
    if text.endswith(".0") and _INT.match(text[:-2]):
        options.append(("integer", text[:-2]))
    if text.endswith("^\\circ"):
        options.append(("no_degree", text[: -len("^\\circ")].strip()))
    if unit and unit.group(1).strip():
        options.append(("no_unit", unit.group(1).strip()))
    if "\\left" in text:
        options.append(("no_left_right", text.replace("\\left", "").replace("\\right", "")))
    if "," in text and "\\!" not in text:
        options.append(("spaces", text.replace(", ", ",").replace(",", ", ")))
    if "\\frac" in text:
        options.append(("dfrac", text.replace("\\frac", "\\dfrac")))
    variant, answer = rng.choice(options)
    return variant, answer


def wrong_math(rng: random.Random, gold: str, pool: list[str]) -> tuple[str, str] | None:
    text = gold.strip()
    value = _number(text)
    options = []
    if value is not None and value.denominator == 1:
        options.append(("off_by", str(int(value) + rng.choice([-3, -2, -1, 1, 2, 5, 10]))))
    frac = _FRAC.match(text)
    if frac and frac.group(2) != frac.group(3):
        options.append(("reciprocal", f"{frac.group(1)}\\frac{{{frac.group(3)}}}{{{frac.group(2)}}}"))
    if value != 0 and "=" not in text and not text.startswith(("(", "[", "\\left", "\\{", "\\text")):
        options.append(("negated", text[1:] if text.startswith("-") else f"-{text}"))
    other = rng.choice(pool)
    other_value = _number(other)
    if _plain(other) != _plain(text) and (value is None or other_value is None or value != other_value):
        options.append(("other_gold", other))
    return rng.choice(options) if options else None


def build_pairs(n: int = N_PAIRS, seed: int = SEED) -> list[Pair]:
    rng = random.Random(seed)
    maths, mcqs, opens = math_golds(), mcq_rows(), open_rows()
    pairs: list[Pair] = []
    while len(pairs) < n:
        kind = rng.choices(list(SHARE), weights=list(SHARE.values()))[0]
        roll = rng.random()
        hack = rng.choice(FORMAT_HACKS) if roll > 0.85 else None
        right = roll < 0.45
        if kind == "math":
            gold = rng.choice(maths)
            made = right_math(rng, gold) if right or hack else wrong_math(rng, gold, maths)
            if made is None:
                continue
            variant, answer = made
            options = None
        elif kind == "mcq":
            options, gold = rng.choice(mcqs)
            variant, answer, right = _mcq_answer(rng, options, gold, right or bool(hack))
        else:
            gold, others = rng.choice(opens)
            if not others and not right:
                continue
            variant, answer = _open_answer(rng, gold, others, right or bool(hack))
            options = None
        response = respond(rng, answer, hack or "ok")
        expected = right and hack is None
        pairs.append(Pair(kind, gold, options, response, expected, hack or variant))
    return pairs


def _mcq_answer(rng: random.Random, options: list[str], gold: str, right: bool) -> tuple[str, str, bool]:
    labels = "ABCDEFGHIJ"[: len(options)]
    text = re.sub(r"^\([A-J]\)\s*", "", options[labels.index(gold)])
    if right:
        return rng.choice(
            [
                ("label", gold),
                ("paren", f"({gold})"),
                ("text_cmd", f"\\text{{{gold}}}"),
                ("lower", gold.lower()),
                ("label_text", f"{gold}. {text}"),
            ]
        ) + (True,)
    other = rng.choice([label for label in labels if label != gold])
    other_text = re.sub(r"^\([A-J]\)\s*", "", options[labels.index(other)])
    return rng.choice(
        [
            ("other_label", other),
            ("out_of_range", "ABCDEFGHIJK"[len(options)]),
            ("hedge_or", f"{gold} or {other}"),
            ("hedge_list", ", ".join(sorted({gold, other}))),
            ("all_labels", labels),
            ("label_other_text", f"{gold}. {other_text}"),
        ]
    ) + (False,)


def _open_answer(rng: random.Random, gold: str, others: list[str], right: bool) -> tuple[str, str]:
    if right:
        return rng.choice(
            [
                ("verbatim", gold),
                ("lower", gold.lower()),
                ("article", f"the {gold}"),
                ("period", f"{gold}."),
                ("text_cmd", f"\\text{{{gold}}}"),
            ]
        )
    other = rng.choice(others)
    return rng.choice(
        [("other_option", other), ("hedge_or", f"{gold} or {other}"), ("both", f"{gold} and {other}")]
    )


# --- scoring -----------------------------------------------------------------------------------


def score_math_verify(pairs: list[Pair]) -> tuple[list[bool], float]:
    from math_verify import parse, verify

    start = time.perf_counter()
    verdicts = [bool(verify(parse(f"\\boxed{{{pair.gold}}}"), parse(pair.response))) for pair in pairs]
    return verdicts, time.perf_counter() - start


def score_ours(pairs: list[Pair]) -> tuple[list[bool], float]:
    start = time.perf_counter()
    verdicts = [answers.score(pair.response, pair.gold, pair.kind, pair.options) == 1.0 for pair in pairs]
    return verdicts, time.perf_counter() - start


def score_ours_batch(pairs: list[Pair]) -> tuple[list[bool], float]:
    start = time.perf_counter()
    scores = answers.score_batch(
        [p.response for p in pairs],
        [p.gold for p in pairs],
        [p.kind for p in pairs],
        [p.options for p in pairs],
    )
    return [value == 1.0 for value in scores], time.perf_counter() - start


def interleaved(pairs: list[Pair], chunk: int = 250) -> tuple[list[bool], float, list[bool], float]:
    """Ours and the peer alternate chunk by chunk, so a busy machine slows both alike."""
    ours, peer, ours_s, peer_s = [], [], 0.0, 0.0
    for begin in range(0, len(pairs), chunk):
        part = pairs[begin : begin + chunk]
        verdicts, seconds = score_ours(part)
        ours += verdicts
        ours_s += seconds
        verdicts, seconds = score_math_verify(part)
        peer += verdicts
        peer_s += seconds
    return ours, ours_s, peer, peer_s


# --- GRPO steady state: well-formatted boxed math answers ---------------------------------------

STEADY_PAIRS = 3_000


def steady_state_pairs(n: int = STEADY_PAIRS, seed: int = SEED) -> list[Pair]:
    """``n`` well-formatted responses boxing a MATH-500 gold: half the right one, half another's.

    The right half boxes the gold as printed; the wrong half boxes another problem's gold whose
    plain form differs (so "expected" is known by construction). Row ``i`` uses gold ``i mod 500``.
    """
    rng = random.Random(seed)
    golds = [row["answer"] for row in _jsonl(LOCAL / "math500_answers.jsonl")]
    pairs = []
    for index in range(n):
        gold = golds[index % len(golds)]
        right = index % 2 == 0
        answer = gold
        while not right and _plain(answer) == _plain(gold):
            answer = rng.choice(golds)
        pairs.append(
            Pair("math", gold, None, respond(rng, answer), right, "right" if right else "other_gold")
        )
    return pairs


def steady_state(n: int = STEADY_PAIRS) -> dict:
    """``score`` one by one vs math-verify ``parse``+``verify`` on :func:`steady_state_pairs`.

    Measured cold (verdict cache emptied, then used as in training) and interleaved in chunks
    like :func:`main`; the children are started beforehand (``warm_up``).
    """
    pairs = steady_state_pairs(n)
    version = answers.warm_up(2)
    answers.clear_cache()
    ours, ours_s, peer, peer_s = interleaved(pairs)
    right = sum(p.expected for p in pairs)
    print(
        f"{len(pairs)} well-formatted MATH-500 pairs ({right} right gold, {len(pairs) - right} another gold)"
    )
    print(f"math-verify {version}: {len(pairs) / peer_s:,.0f} pairs/s ({peer_s:.1f} s)")
    print(
        f"ours, score() one by one: {len(pairs) / ours_s:,.0f} pairs/s ({ours_s:.1f} s); "
        f"ratio vs math-verify {peer_s / ours_s:.1f}x (target >= 5x)"
    )
    as_built = sum(o == p.expected for o, p in zip(ours, pairs, strict=True))
    peer_built = sum(o == p.expected for o, p in zip(peer, pairs, strict=True))
    print(f"as constructed: ours {as_built}/{len(pairs)}, math-verify {peer_built}/{len(pairs)}")
    return {"ratio": peer_s / ours_s, "verdicts": ours}


def main(n: int = N_PAIRS) -> dict:
    steady_state()
    pairs = build_pairs(n)
    print(
        f"{len(pairs)} pairs: {dict(Counter(p.kind for p in pairs))}; expected right: {sum(p.expected for p in pairs)}"
    )
    version = answers.warm_up(2)
    saved_cache = math_answer.verdict_cache.size
    math_answer.verdict_cache.size = 0  # measure cold: every repeated pair pays full price
    try:
        ours, ours_s, peer, peer_s = interleaved(pairs)
        batch, batch_s = score_ours_batch(pairs)
    finally:
        math_answer.verdict_cache.size = saved_cache

    def rate(seconds: float) -> float:
        return len(pairs) / seconds

    print(f"math-verify {version}: {rate(peer_s):,.0f} pairs/s ({peer_s:.1f} s)")
    print(
        f"ours, score() one by one: {rate(ours_s):,.0f} pairs/s ({ours_s:.1f} s); ratio {peer_s / ours_s:.1f}x"
    )
    print(
        f"ours, score_batch(): {rate(batch_s):,.0f} pairs/s ({batch_s:.1f} s); ratio {peer_s / batch_s:.1f}x"
    )
    agree = sum(o == p for o, p in zip(ours, peer, strict=True))
    print(f"agreement ours vs math-verify: {agree / len(pairs):.1%} of all pairs")
    assert ours == batch, "score_batch must give the same verdicts as score"
    for kind in ("math", "mcq", "open"):
        idx = [i for i, p in enumerate(pairs) if p.kind == kind]
        ours_acc = sum(ours[i] == pairs[i].expected for i in idx) / len(idx)
        peer_acc = sum(peer[i] == pairs[i].expected for i in idx) / len(idx)
        same = sum(ours[i] == peer[i] for i in idx) / len(idx)
        print(
            f"  {kind:5s} n={len(idx):5d}  as constructed: ours {ours_acc:.1%}, math-verify {peer_acc:.1%}; agree {same:.1%}"
        )
    math_idx = [i for i, p in enumerate(pairs) if p.kind == "math"]
    lost = [i for i in math_idx if peer[i] == pairs[i].expected and ours[i] != pairs[i].expected]
    won = Counter(
        pairs[i].variant for i in math_idx if ours[i] == pairs[i].expected and peer[i] != pairs[i].expected
    )
    print(f"math pairs math-verify judges as constructed and we do not: {len(lost)}")
    for i in lost[:30]:
        answer = answers.extract_answer(pairs[i].response)
        print(
            f"    gold {pairs[i].gold!r} answer {answer!r} ({pairs[i].variant}): expected {pairs[i].expected}"
        )
    print(f"math pairs we judge as constructed and math-verify does not, by variant: {dict(won)}")
    return {"pairs": len(pairs), "ours_per_s": rate(ours_s), "peer_per_s": rate(peer_s), "lost": len(lost)}


if __name__ == "__main__":
    main()
