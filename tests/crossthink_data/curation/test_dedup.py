"""Cross-source deduplication on real rows: ARC-Challenge questions that MMLU auxiliary_train also holds."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from crossthink_data.curation.dedup import DedupSettings, dedup, exact_key, trust_priority
from crossthink_data.record import QARecord
from crossthink_data.rows import iter_rows
from crossthink_data.sources import get_source
from crossthink_data.templates import render


def _key(question: str) -> str:
    """Independent of the code under test: letters and digits only."""
    return re.sub(r"\W+", "", question.lower())


def _records(test_data: Path, source: str) -> list[QARecord]:
    return [
        r
        for r in get_source(source).records(from_dir=test_data / "curation" / source)
        if isinstance(r, QARecord)
    ]


def _write(folder: Path, rows: list[dict]) -> Path:
    folder.mkdir(parents=True)
    (folder / "rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder


@pytest.fixture(scope="module")
def arc_and_mmlu(test_data: Path) -> tuple[list[QARecord], list[QARecord]]:
    return _records(test_data, "arc_challenge"), _records(test_data, "mmlu_train")


def _pool(arc: list[QARecord], mmlu: list[QARecord]) -> list[dict]:
    # Less trusted source first in the input, so keeping the trusted copy is not an accident of order.
    return [render(r, t) for r in arc + mmlu for t in ("mcq", "open")]


def test_cross_source_duplicates_collapse_to_the_trusted_copy(arc_and_mmlu, tmp_path: Path) -> None:
    arc, mmlu = arc_and_mmlu
    shared = {_key(r.question) for r in arc} & {_key(r.question) for r in mmlu}
    assert len(shared) >= 30  # the data README promises 40 overlapping questions (some ARC rows are rejected)
    report = dedup(_write(tmp_path / "in", _pool(arc, mmlu)), tmp_path / "out")
    kept = list(iter_rows(tmp_path / "out" / "data"))
    by_question: dict[tuple[str, str], list[str]] = {}
    for row in kept:
        by_question.setdefault((_key(row["question"]), row["template"]), []).append(row["source"])
    for key in shared:
        for template in ("mcq", "open"):
            assert by_question[(key, template)] == ["mmlu_train"], (key, template)
    # Every MMLU row and every ARC row without an MMLU twin survives, in both templates.
    assert sum(1 for r in kept if r["source"] == "mmlu_train") == 2 * len(mmlu)
    assert sum(1 for r in kept if r["source"] == "arc_challenge") == 2 * sum(
        _key(r.question) not in shared for r in arc
    )
    removed = sum(report.exact_removed.values()) + sum(report.near_removed.values())
    assert report.kept == len(kept) and report.rows_in == len(kept) + removed
    assert set(report.exact_removed) | set(report.near_removed) == {"arc_challenge"}


def test_trust_order_decides_which_copy_survives(arc_and_mmlu, tmp_path: Path) -> None:
    arc, mmlu = arc_and_mmlu
    settings = DedupSettings(trust_order=("arc_challenge", "mmlu_train"))
    dedup(_write(tmp_path / "in", _pool(arc, mmlu)), tmp_path / "out", settings)
    kept = list(iter_rows(tmp_path / "out" / "data"))
    arc_keys = {_key(r.question) for r in arc}
    assert all(r["source"] == "arc_challenge" for r in kept if _key(r["question"]) in arc_keys)
    assert sum(1 for r in kept if r["source"] == "arc_challenge") == 2 * len(arc)


def test_near_duplicates_need_the_same_answer(test_data: Path, tmp_path: Path) -> None:
    """A re-posted GSM8K problem (lead-in added) is a duplicate; the same problem with new numbers is not."""
    gsm = _records(test_data, "gsm8k")[:20]
    copies = [
        QARecord("syn_qa", "math", "math", "Answer this question. " + r.question.replace("  ", " "), r.answer)
        for r in gsm
    ]
    variants = [
        QARecord("natural_reasoning", "math", "math", r.question.replace("1", "7"), r.answer + "1")
        for r in gsm
        if "1" in r.question
    ]
    rows = [render(r, "open") for r in copies + variants + gsm]
    report = dedup(_write(tmp_path / "in", rows), tmp_path / "out")
    kept = list(iter_rows(tmp_path / "out" / "data"))
    sources = [r["source"] for r in kept]
    assert sources.count("gsm8k") == len(gsm)
    assert sources.count("natural_reasoning") == len(variants)
    # MinHash is probabilistic: the 20 long word problems with a four-word lead-in are all caught here.
    assert sources.count("syn_qa") == 0
    assert report.near_removed == {"syn_qa": len(copies)}


def test_exact_key_normalises_case_space_latex_and_option_order() -> None:
    a = render(QARecord("a", "math", "math", "What is $x^2 + 1$ at x=2?", "5"), "open")
    b = render(QARecord("b", "math", "math", "what is x^2+1 at x = 2", "5"), "open")
    c = render(QARecord("c", "math", "math", "What is $x^2 - 1$ at x=2?", "3"), "open")
    from datatrove.data import Document

    def doc(row: dict) -> Document:
        return Document(text=row["question"], id=row["id"], metadata=row)

    assert exact_key(doc(a)) == exact_key(doc(b))
    assert exact_key(doc(a)) != exact_key(doc(c))  # operators are content
    m1 = render(QARecord("a", "gpr", "stem", "Pick one.", "A", options=["red", "blue"]), "mcq")
    m2 = render(QARecord("b", "gpr", "stem", "Pick one.", "B", options=["blue", "Red"]), "mcq")
    assert exact_key(doc(m1)) == exact_key(doc(m2))
    assert trust_priority("mmlu_train") > trust_priority("natural_reasoning") > trust_priority("unknown") == 1


def test_similar_math_questions_with_the_same_answer_are_not_duplicates(tmp_path: Path) -> None:
    """Real MATH-train rows (../shared/data/training_standins/math_train): RADII and PROOF both have
    60 arrangements and read alike; the two "line y=x+a" rows are the same question re-typeset."""
    rows = [
        ("Determine the number of ways to arrange the letters of the word RADII.", "60"),
        ("Determine the number of ways to arrange the letters of the word PROOF.", "60"),
        (
            "For how many values of $a$ is it true that the line $y = x + a$ passes through the vertex "
            "of the parabola $y = x^2 + a^2$?",
            "2",
        ),
        (
            "For how many values of $a$ is it true that the line $y=x+a$ passes through the vertex of "
            "parabola $y=x^2+a^2$?",
            "2",
        ),
    ]
    records = [QARecord("math_train", "math", "math", q, a) for q, a in rows]
    dedup(_write(tmp_path / "in", [render(r, "open") for r in records]), tmp_path / "out")
    kept = sorted(r["question"] for r in iter_rows(tmp_path / "out" / "data"))
    assert kept == sorted([rows[0][0], rows[1][0], rows[2][0]])


@pytest.mark.parametrize("precision", [64, 32])
def test_minhash_signature_and_shingles_equal_datatrove(precision: int, arc_and_mmlu) -> None:
    """Our faster signature and shingling must give datatrove's exact values (same LSH buckets)."""
    from datatrove.pipeline.dedup.minhash import MinhashConfig, MinhashDedupSignature
    from datatrove.utils.hashing import HashConfig

    from crossthink_data.curation.dedup import ContentMinhashSignature
    from crossthink_data.curation.text import DEFAULT_NORM

    config = MinhashConfig(norm_config=DEFAULT_NORM, hash_config=HashConfig(precision=precision))
    theirs = MinhashDedupSignature("/nonexistent", config)
    ours = ContentMinhashSignature("/nonexistent", config)
    arc, mmlu = arc_and_mmlu
    for record in arc[:10] + mmlu[:10]:
        shingles = theirs.get_shingles(record.question)
        assert (ours.get_shingles(record.question) == shingles).all()
        assert ours.get_signature(shingles) == theirs.get_signature(shingles)


def _members(folder: Path, rank: int, rows: list[tuple[int, str, int, int]]) -> None:
    """Member records (cluster, group, priority, idx) of task ``rank``, written as ClusterMembers does."""
    from crossthink_data.curation.dedup import MEMBER_DTYPE, group_hash

    folder.mkdir(parents=True, exist_ok=True)
    array = np.array(
        [(cluster, group_hash(group), priority, rank, idx) for cluster, group, priority, idx in rows],
        dtype=MEMBER_DTYPE,
    )
    (folder / f"{rank:05d}.members").write_bytes(array.tobytes())


def _losers(folder: Path) -> dict[int, list[int]]:
    return {
        int(path.stem): np.frombuffer(path.read_bytes(), dtype="<u4").tolist()
        for path in sorted(folder.glob("*.losers"))
    }


def test_choose_losers_keeps_the_most_trusted_then_the_first_of_each_group(tmp_path: Path) -> None:
    from crossthink_data.curation.dedup import choose_losers

    members = tmp_path / "members"
    # cluster 0, group "a": ranks 0 and 1 both hold one; priority 9 at rank 1 wins over 5 and 5
    # cluster 0, group "b": a different question in the same cluster, alone: kept
    # cluster 1, group "a": same group text in another cluster, tie on priority: the first (rank 0, idx 3) wins
    _members(members, 0, [(0, "a", 5, 0), (0, "b", 5, 2), (1, "a", 4, 3), (1, "a", 4, 7)])
    _members(members, 1, [(0, "a", 9, 1), (0, "a", 5, 4), (1, "a", 4, 0)])

    lost = choose_losers(str(members), str(tmp_path / "losers"))

    assert lost == 4
    assert _losers(tmp_path / "losers") == {0: [0, 7], 1: [0, 4]}


def test_choose_losers_refuses_members_that_do_not_cover_the_clusters(tmp_path: Path) -> None:
    from crossthink_data.curation.dedup import choose_losers
    from crossthink_data.executors import StageFailed

    clusters = tmp_path / "clusters"
    clusters.mkdir()
    # datatrove's cluster output: (doc, cluster) uint32 pairs, 3 clustered rows
    (clusters / "000000.clusters").write_bytes(np.array([0, 0, 1, 0, 5, 1], dtype="<u4").tobytes())
    _members(tmp_path / "members", 0, [(0, "a", 5, 0), (0, "a", 5, 1)])  # one row missing

    with pytest.raises(StageFailed, match="2 cluster members .* for 3 clustered rows"):
        choose_losers(str(tmp_path / "members"), str(tmp_path / "losers"), str(clusters))
    assert not (tmp_path / "losers").exists()
