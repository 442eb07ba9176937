"""Curation: the levers the paper turns after filter H (decontamination, deduplication,
difficulty filtering) and the eight data blends, each a datatrove stage over record rows.

Every stage reads a folder of (templated) record rows as parquet or jsonl and writes parquet
with the same columns, so stages chain in any order and resume from datatrove's markers.
"""
