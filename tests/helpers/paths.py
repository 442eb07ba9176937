"""Where tests find the repository and the real sample data (one home, whatever a test's depth)."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
TEST_DATA = REPO_ROOT / "tests" / "data"  # real rows copied from ../shared/data, see each README there
DEMO_DATA = REPO_ROOT / "crossthink_data" / "demo_data"  # the samples shipped with the package
