"""MMLU's 57 subjects and the four categories the MMLU paper reports (STEM, humanities, social
sciences, other), as the QARecord ``category`` values.

The table is the one in the MMLU repository's ``categories.py`` (hendrycks/test): subject ->
subcategory -> category. It is shared by the MMLU adapter, the domain classifier of the mining
stage and the evaluation breakdowns, so a subject lands in the same category everywhere.
"""

from __future__ import annotations

MMLU_SUBJECT_CATEGORY: dict[str, str] = {
    # STEM (physics, chemistry, biology, computer science, math, engineering)
    "abstract_algebra": "stem",
    "astronomy": "stem",
    "college_biology": "stem",
    "college_chemistry": "stem",
    "college_computer_science": "stem",
    "college_mathematics": "stem",
    "college_physics": "stem",
    "computer_security": "stem",
    "conceptual_physics": "stem",
    "electrical_engineering": "stem",
    "elementary_mathematics": "stem",
    "high_school_biology": "stem",
    "high_school_chemistry": "stem",
    "high_school_computer_science": "stem",
    "high_school_mathematics": "stem",
    "high_school_physics": "stem",
    "high_school_statistics": "stem",
    "machine_learning": "stem",
    # humanities (history, philosophy, law)
    "formal_logic": "humanities",
    "high_school_european_history": "humanities",
    "high_school_us_history": "humanities",
    "high_school_world_history": "humanities",
    "international_law": "humanities",
    "jurisprudence": "humanities",
    "logical_fallacies": "humanities",
    "moral_disputes": "humanities",
    "moral_scenarios": "humanities",
    "philosophy": "humanities",
    "prehistory": "humanities",
    "professional_law": "humanities",
    "world_religions": "humanities",
    # social sciences (politics, culture, economics, geography, psychology)
    "econometrics": "social_sciences",
    "high_school_geography": "social_sciences",
    "high_school_government_and_politics": "social_sciences",
    "high_school_macroeconomics": "social_sciences",
    "high_school_microeconomics": "social_sciences",
    "high_school_psychology": "social_sciences",
    "human_sexuality": "social_sciences",
    "professional_psychology": "social_sciences",
    "public_relations": "social_sciences",
    "security_studies": "social_sciences",
    "sociology": "social_sciences",
    "us_foreign_policy": "social_sciences",
    # other (business, health, misc.)
    "anatomy": "other",
    "business_ethics": "other",
    "clinical_knowledge": "other",
    "college_medicine": "other",
    "global_facts": "other",
    "human_aging": "other",
    "management": "other",
    "marketing": "other",
    "medical_genetics": "other",
    "miscellaneous": "other",
    "nutrition": "other",
    "professional_accounting": "other",
    "professional_medicine": "other",
    "virology": "other",
}

MMLU_SUBJECTS: tuple[str, ...] = tuple(sorted(MMLU_SUBJECT_CATEGORY))

# MMLU's auxiliary_train files (data/auxiliary_train/*.csv in the original release) are not MMLU
# subjects: they come from ARC, OpenBookQA, the science exams, MCTest, RACE and a law set.
AUXILIARY_TRAIN_CATEGORY: dict[str, str] = {
    "arc_easy": "stem",
    "arc_hard": "stem",
    "obqa": "stem",
    "science_elementary": "stem",
    "science_middle": "stem",
    "aux_law_90s": "humanities",
    "mc_test": "other",  # children's reading comprehension
    "race": "other",  # reading comprehension
}


def mmlu_category(subject: str | None, default: str = "other") -> str:
    """Category of an MMLU subject (or auxiliary_train file name); ``default`` when unknown/empty.

    Accepts the spellings seen in the wild: "college_physics", "College Physics", "college physics".
    """
    if not subject:
        return default
    key = "_".join(subject.strip().lower().replace("-", " ").split())
    return MMLU_SUBJECT_CATEGORY.get(key) or AUXILIARY_TRAIN_CATEGORY.get(key, default)
