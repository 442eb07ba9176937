"""scripts/system-deps.sh (what `make test`, `make demo` and .ci/run use to install system packages),
run against stub dpkg-query / id / apt-get commands: nothing is installed for real here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers.paths import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "system-deps.sh"

STUBS = {
    # Reports the packages listed in $FAKE_INSTALLED as installed, any other as unknown.
    "dpkg-query": """#!/bin/sh
for pkg; do :; done  # the last argument
for p in $FAKE_INSTALLED; do
  [ "$p" = "$pkg" ] && { printf 'install ok installed'; exit 0; }
done
echo "dpkg-query: no packages found matching $pkg" >&2
exit 1
""",
    "id": '#!/bin/sh\necho "$FAKE_UID"\n',
    "apt-get": '#!/bin/sh\necho "apt-get $*" >> "$CALLS"\n',
}


def run(tmp_path: Path, packages: list[str], installed: str, uid: int, dpkg: bool = True):
    """Runs the script with only the stubs (and grep) on PATH; returns (result, apt-get calls)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, body in STUBS.items():
        if name == "dpkg-query" and not dpkg:
            continue
        stub = bin_dir / name
        stub.write_text(body)
        stub.chmod(0o755)
    (bin_dir / "grep").unlink(missing_ok=True)
    (bin_dir / "grep").symlink_to(shutil.which("grep"))
    calls = tmp_path / "calls.txt"
    env = {"PATH": str(bin_dir), "FAKE_INSTALLED": installed, "FAKE_UID": str(uid), "CALLS": str(calls)}
    result = subprocess.run(
        [shutil.which("bash"), str(SCRIPT), *packages], env=env, capture_output=True, text=True, timeout=30
    )
    return result, calls.read_text().splitlines() if calls.exists() else []


@pytest.mark.parametrize("uid", [0, 1000])
def test_nothing_happens_when_every_package_is_installed(tmp_path: Path, uid: int) -> None:
    result, calls = run(tmp_path, ["libmagic1", "munge"], "make libmagic1 munge", uid)
    assert (result.returncode, result.stderr, calls) == (0, "", [])


def test_root_installs_only_the_missing_packages(tmp_path: Path) -> None:
    result, calls = run(tmp_path, ["libmagic1", "slurm-wlm", "munge"], "libmagic1", 0)
    assert result.returncode == 0, result.stderr
    assert calls == ["apt-get update -qq", "apt-get install -y -qq slurm-wlm munge"]


def test_without_root_one_line_names_the_command_and_the_target_fails(tmp_path: Path) -> None:
    result, calls = run(tmp_path, ["libmagic1", "slurm-wlm", "munge"], "libmagic1", 1000)
    assert result.returncode == 1
    assert calls == []
    assert result.stderr.splitlines() == [
        "system-deps: missing system packages; run: sudo apt-get install -y slurm-wlm munge"
    ]


def test_without_dpkg_it_says_what_to_install_and_carries_on(tmp_path: Path) -> None:
    result, calls = run(tmp_path, ["libmagic1"], "", 0, dpkg=False)
    assert (result.returncode, calls) == (0, [])
    assert "make sure these (Debian names) are installed: libmagic1" in result.stderr


def test_makefile_and_ci_use_the_script() -> None:
    """One place installs system packages: the Makefile targets and .ci/run call the script."""
    root = SCRIPT.parent.parent
    makefile = (root / "Makefile").read_text()
    ci = (root / ".ci" / "run").read_text()
    for target in ("test", "test-fast", "demo", "bench"):
        # A target may name more prerequisites after the venv's stamp (test also needs $(VERL_STAMP)).
        after = makefile.split(f"\n{target}: $(STAMP)", 1)[1]
        recipe = after.split("\n", 1)[1].split("\n\n", 1)[0]
        assert recipe.lstrip("\t").startswith("$(SYSTEM_DEPS) "), target
    assert "TEST_SYSTEM_PACKAGES := libmagic1 slurm-wlm munge" in makefile
    assert "bash scripts/system-deps.sh make\n" in ci and "apt-get" not in ci
    assert os.access(SCRIPT, os.X_OK)
