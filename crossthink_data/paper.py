"""The paper this project implements, cited once (the cards of every subset, the whole-dataset card
and the NVIDIA-release adapter all cite it with this entry), and the paper's figures a build is
configured by (Table 1's source sizes, Table 3's per-source scores), kept here once."""

from __future__ import annotations

PAPER_CITATION = """@misc{akter2025nemotroncrossthink,
  title         = {Nemotron-CrossThink: Scaling Self-Learning beyond Math Reasoning},
  author        = {Syeda Nahida Akter and Shrimai Prabhumoye and Matvei Novikov and Seungju Han and Ying Lin and Evelina Bakhturina and Eric Nyberg and Yejin Choi and Mostofa Patwary and Mohammad Shoeybi and Bryan Catanzaro},
  year          = {2025},
  eprint        = {2504.13941},
  archivePrefix = {arXiv},
  primaryClass  = {cs.LG},
  url           = {https://arxiv.org/abs/2504.13941}
}"""

# The paper's figures that configure a build, in one place (the recipe `paper` and the blend
# `score_weighted` carry the same numbers, and a test holds them equal to these). Source names are
# this project's adapters. Confirmed against two secondary summaries of the paper (the arXiv HTML
# could only be read to its abstract here): bzhng-development/summary-of-some-paper-in-cuda,
# docs/rl-training/NEMOTRON-CROSSTHINK-ScalingSelf-LearningbeyondMathReasoning.md (sections 3.1 and
# 5A), and a Chinese summary of the paper's training table that gives the same six counts.

# Table 1: questions per source in the paper's training data (588,645 in all).
TABLE1_QUESTIONS: dict[str, int] = {
    "mmlu_train": 99_842,  # "MMLU [Train]"
    "crossthink_qa": 192_930,  # "Syn-QA" (NVIDIA released 187,496 of them: nvidia/Nemotron-CrossThink train_qa)
    "natural_reasoning": 100_000,  # "Natural Reasoning"
    "numina_math": 87_350,  # "NuminaMath"
    "crossthink_math": 100_000,  # "PersonaSkill-MATH" (released: 99,880 rows, train_math)
    "math_train": 8_523,  # "MATH"
}
TABLE1_TOTAL = 588_645

# Table 3: average benchmark score of Qwen2.5-7B after 250 GRPO steps on one source alone (the
# weights of the paper's score-weighted blend B_score). The paper gives no such score for the other
# sources; the blend gives them the mean of these four (crossthink_data/curation/blends/score_weighted.yaml).
TABLE3_AVERAGE: dict[str, float] = {
    "numina_math": 53.06,
    "crossthink_qa": 45.65,  # Syn-QA (also `syn_qa`, the Syn-QA this project mines)
    "natural_reasoning": 44.82,
    "mmlu_train": 34.78,
}
