"""The one rule for "may this license be used commercially?", shared by blends and cards.

``crossthink-data blend --commercial-only`` drops the sources this rule flags, and every dataset card
puts its "Not for commercial use" banner on the licenses this rule flags. The two used to differ (the
blend tested ``"-nc" in license``, the card a regex), so a source under ``fair-noncommercial-research-license``
passed ``--commercial-only`` and was then flagged by the card. One function keeps them from diverging.

Flagged: a Creative Commons ``nc`` part (``cc-by-nc-4.0``, ``cc-by-nc-sa-4.0``, ``nc`` alone), and any
id that says ``noncommercial``, ``non-commercial`` or ``research`` (research-only licenses such as
``intel-research`` or ``h-research``). Matching is case-insensitive and ``nc`` must be a whole
dash-separated part, so ``ncsa`` (a permissive license) is not flagged.
"""

from __future__ import annotations

import re

NON_COMMERCIAL = re.compile(r"(^|-)nc(-|$)|noncommercial|non-commercial|research")


def is_non_commercial(license_id: str | None) -> bool:
    """True when ``license_id`` forbids commercial use (see the module docstring for the rule)."""
    return bool(license_id) and bool(NON_COMMERCIAL.search(str(license_id).lower()))
