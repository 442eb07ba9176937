"""Curation: the levers the paper turns after filter H (decontamination, deduplication,
difficulty filtering), the per-source sample (Table 1 sizes) and the data blends (the eight of
Table 4 and the all-open template ablation, counted in questions), each a stage over record rows.

Every stage reads a folder of (templated) record rows as parquet or jsonl and writes parquet
with the same columns, so stages chain in any order and resume from datatrove's markers.
"""
