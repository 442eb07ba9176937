"""The README and docs/ keep their promises: every relative link lands on a file (and on a heading
when it names one), and every command they quote exists with the options it uses.

Commands are read from fenced code blocks and inline code spans: ``crossthink-data X``,
``crossthink-train X`` and ``crossthink-eval X`` (also as ``.venv/bin/...``) are checked against
the typer apps' own commands and options (click introspection, so a renamed or removed option
fails here), ``make X`` against the Makefile's targets. The checker is tested on a small fixture
that holds one broken link, one missing heading, one unknown option, one unknown command and one
unknown make target.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest
import typer

from tests.helpers.paths import REPO_ROOT

DOCS = sorted((REPO_ROOT / "docs").glob("*.md"))
# Pages whose quoted commands must exist today (the changelog names retired options on purpose).
COMMAND_PAGES = [REPO_ROOT / "README.md", *DOCS]
LINK_PAGES = [*COMMAND_PAGES, REPO_ROOT / "CHANGELOG.md", *sorted((REPO_ROOT / "dataset_cards").glob("*.md"))]

FENCE = re.compile(r"^ *```[^\n]*\n(.*?)^ *```", re.M | re.S)
INLINE_CODE = re.compile(r"(`+)(.+?)\1", re.S)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)
MAKE_TARGET = re.compile(r"^([A-Za-z][\w.-]*)\s*:(?!=)", re.M)
PROGRAMS = ("crossthink-data", "crossthink-train", "crossthink-eval", "make")
SEPARATORS = {"|", "||", "&&", ";", ">", ">>", "2>&1", "&"}


def apps() -> dict[str, click.Group]:
    """The three console scripts' click groups (pyproject's [project.scripts] point at these apps)."""
    from crossthink_data.cli import app as data_app
    from crossthink_eval.cli import app as eval_app
    from crossthink_train.cli import app as train_app

    return {
        "crossthink-data": typer.main.get_command(data_app),
        "crossthink-train": typer.main.get_command(train_app),
        "crossthink-eval": typer.main.get_command(eval_app),
    }


def make_targets(makefile: Path) -> set[str]:
    return set(MAKE_TARGET.findall(makefile.read_text(encoding="utf-8")))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading's anchor in a markdown file (code blocks' ``# comments`` are not headings);
    repeated headings get GitHub's ``-1``, ``-2`` suffixes."""
    seen: dict[str, int] = {}
    found = set()
    for heading in HEADING.findall(FENCE.sub("", path.read_text(encoding="utf-8"))):
        base = slug(heading)
        count = seen.get(base, 0)
        found.add(base if count == 0 else f"{base}-{count}")
        seen[base] = count + 1
    return found


def link_errors(path: Path) -> list[str]:
    """Relative links of ``path`` (outside code) whose file or ``#anchor`` does not exist."""
    text = INLINE_CODE.sub("", FENCE.sub("", path.read_text(encoding="utf-8")))
    errors = []
    for target in LINK.findall(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or "{{" in target:
            continue  # http:, https:, mailto: ...; card templates' placeholders
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists():
            errors.append(f"{path.name}: link to {target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            errors.append(f"{path.name}: link to {target}: no heading #{anchor} in {linked.name}")
    return errors


def code_lines(path: Path) -> list[str]:
    """Every line of every fenced block (continuations joined) and every inline code span."""
    text = path.read_text(encoding="utf-8")
    lines = []
    for block in FENCE.findall(text):
        lines += re.sub(r"\\\n\s*", " ", block).splitlines()
    lines += [span.replace("\n", " ") for _, span in INLINE_CODE.findall(FENCE.sub("", text))]
    return lines


def tokens(line: str) -> list[str]:
    try:
        words = shlex.split(line, comments=True)
    except ValueError:  # an inline span with a lone quote: plain words will do
        words = line.split()
    return [word.strip("[]") for word in words]


def invocations(line: str) -> list[tuple[str, list[str]]]:
    """``(program, words after it)`` for each quoted program on the line, up to a separator."""
    words = tokens(line)
    found = []
    for i, word in enumerate(words):
        program = word.rsplit("/", 1)[-1]
        if program not in PROGRAMS:
            continue
        rest = []
        for following in words[i + 1 :]:
            if following in SEPARATORS or following.rsplit("/", 1)[-1] in PROGRAMS:
                break
            rest.append(following)
        found.append((program, rest))
    return found


def option_names(command: click.Command) -> set[str]:
    names = {"--help"}
    for param in command.params:
        names.update(o for o in (*param.opts, *param.secondary_opts) if o.startswith("-"))
    return names


def invocation_errors(
    program: str, words: list[str], groups: dict[str, click.Group], targets: set[str]
) -> list[str]:
    if program == "make":
        wanted = [w for w in words if "=" not in w and not w.startswith("-")]
        return [f"make {w}: no such Makefile target" for w in wanted if w not in targets]
    if not words or words[0].startswith("-"):
        return []  # the program alone, or `crossthink-data --help`
    group = groups[program]
    command = group.commands.get(words[0])
    if command is None:
        return [f"{program} {words[0]}: no such command (has: {', '.join(sorted(group.commands))})"]
    known = option_names(command)
    errors = []
    for word in words[1:]:
        if not word.startswith("-") or re.match(r"^-\d", word) or word in {"-", "--"}:
            continue
        option = word.split("=", 1)[0]
        if option not in known:
            errors.append(f"{program} {words[0]} {option}: no such option")
    return errors


def command_errors(path: Path, groups: dict[str, click.Group], targets: set[str]) -> list[str]:
    """Quoted commands of ``path`` that name an unknown command, option or make target."""
    errors = []
    for line in code_lines(path):
        for program, words in invocations(line):
            errors += [f"{path.name}: {e}" for e in invocation_errors(program, words, groups, targets)]
    return errors


@pytest.fixture(scope="module")
def groups() -> dict[str, click.Group]:
    return apps()


@pytest.fixture(scope="module")
def targets() -> set[str]:
    return make_targets(REPO_ROOT / "Makefile")


def test_every_area_has_its_page():
    """The README leads and the reference lives in docs/: one page per area, each linked from it."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 250
    for page in ("sources", "mining", "curation", "dataset", "training", "evaluation", "scale-out",
                 "real-model", "benchmarks", "fidelity"):  # fmt: skip
        assert (REPO_ROOT / "docs" / f"{page}.md").exists(), page
        assert f"(docs/{page}.md)" in readme, page


def test_readme_keeps_the_test_command():
    """.ci/run and the README name the same test command."""
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    readme_code = "\n".join(code_lines(REPO_ROOT / "README.md"))
    assert "make test" in ci
    assert re.search(r"^make test\b", readme_code, re.M)


@pytest.mark.parametrize("path", LINK_PAGES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_relative_links_resolve(path: Path):
    assert link_errors(path) == []


@pytest.mark.parametrize("path", COMMAND_PAGES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_quoted_commands_exist(path: Path, groups, targets):
    assert command_errors(path, groups, targets) == []


def test_the_pages_quote_commands(groups, targets):
    """The command check reads what the pages quote (a parser that found nothing would pass)."""
    quoted = [inv for path in COMMAND_PAGES for line in code_lines(path) for inv in invocations(line)]
    programs = {program for program, _ in quoted}
    assert programs == set(PROGRAMS)
    assert len(quoted) > 50


FIXTURE = """# Fixture

## A heading

See [the other page](other.md), [a heading](other.md#a-section), [here](#a-heading),
[gone](missing.md), [no heading](other.md#no-such-section) and [web](https://example.org/x.md).

```bash
crossthink-data build demo --output out --no-such-option 3   # a comment: --not-an-option
crossthink-data no-such-command --output out
make demo && make no-such-target MODEL=x
```

Inline: `crossthink-eval run --model m --bogus` and `crossthink-train serve model --backend llama-cpp`.
"""


def test_checker_finds_broken_links_and_unknown_options(tmp_path, groups, targets):
    page = tmp_path / "page.md"
    page.write_text(FIXTURE, encoding="utf-8")
    (tmp_path / "other.md").write_text("# Other\n\n## A section\n", encoding="utf-8")

    assert link_errors(page) == [
        "page.md: link to missing.md: no such file",
        "page.md: link to other.md#no-such-section: no heading #no-such-section in other.md",
    ]
    errors = command_errors(page, groups, targets)
    assert errors[:3] == [
        "page.md: crossthink-data build --no-such-option: no such option",
        errors[1],
        "page.md: make no-such-target: no such Makefile target",
    ]
    assert errors[1].startswith("page.md: crossthink-data no-such-command: no such command")
    assert errors[3:] == ["page.md: crossthink-eval run --bogus: no such option"]


def test_anchor_rules():
    """GitHub's anchors: code spans and punctuation dropped, repeated headings numbered."""
    assert slug("crossthink-data `sources`") == "crossthink-data-sources"
    assert slug("Fidelity to the paper (v3)") == "fidelity-to-the-paper-v3"
    assert slug("Decontamination, dedup & blends") == "decontamination-dedup--blends"
