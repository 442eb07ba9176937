"""The paper this project implements, cited once: the cards of every subset, the whole-dataset card
and the NVIDIA-release adapter all cite it with this entry."""

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
