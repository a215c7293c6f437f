"""The README and the docs site stay short, linked and complete.

The README is a front page (at most 250 lines) whose test command is the one CI runs; every relative
link in it and in docs/ points to a file of this repository; every page under docs/ is in the site's nav.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
# Pages reached through a symlink (a temporary old path kept for other code) are not pages of their own.
MARKDOWN = [README, *sorted(p for p in DOCS.rglob("*.md") if p.resolve() == p)]
FENCE = re.compile(r"^\s*(```|~~~)")
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # https:, mailto:, ...


def _prose(path: Path) -> str:
    """The file's text without fenced code blocks and inline code spans (links there are not links)."""
    kept, fenced = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            kept.append(re.sub(r"`[^`]*`", "", line))
    return "\n".join(kept)


def _relative_links(path: Path) -> list[str]:
    return [t for t in LINK.findall(_prose(path)) if not EXTERNAL.match(t) and not t.startswith("#")]


def _nav_pages(node: object) -> list[str]:
    if isinstance(node, str):
        return [node] if node.endswith(".md") else []
    if isinstance(node, list):
        return [page for item in node for page in _nav_pages(item)]
    if isinstance(node, dict):
        return [page for value in node.values() for page in _nav_pages(value)]
    return []


def test_readme_is_at_most_250_lines() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 250, f"README.md has {len(lines)} lines; move details to a docs page"


def test_readme_test_command_is_the_one_ci_runs() -> None:
    readme = README.read_text(encoding="utf-8").splitlines()
    commands = [line.strip() for line in readme if "-m pytest" in line and line.strip().startswith("python3 -m venv")]
    assert len(commands) == 1, commands
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert commands[0] in [line.strip() for line in ci], f"{commands[0]!r} is not a line of .ci/run"


def test_readme_keeps_the_demo_quick_start() -> None:
    demo = "python3 -m venv .venv && .venv/bin/pip install -q -c constraints.txt -e . && .venv/bin/convac demo"
    assert demo in README.read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize("page", MARKDOWN, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_to_files_in_the_repository(page: Path) -> None:
    broken, outside = [], []
    for target in _relative_links(page):
        file = (page.parent / target.split("#", 1)[0]).resolve()
        if not file.is_relative_to(ROOT):
            outside.append(target)
        elif not file.exists():
            broken.append(target)
    assert not outside, f"{page.name} links outside the repository: {outside}"
    assert not broken, f"{page.name} has broken links: {broken}"


@pytest.mark.parametrize("page", MARKDOWN, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_page_sends_the_reader_to_local_files_outside_the_repository(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    for forbidden in ("../shared", "paper-notes.md", "/work/"):
        assert forbidden not in text, f"{page.name} mentions {forbidden!r}"


def test_every_docs_page_is_in_the_nav() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    nav = _nav_pages(config["nav"])
    assert len(nav) == len(set(nav)), "a page is in the nav twice"
    pages = {str(p.relative_to(DOCS)) for p in MARKDOWN if p != README}
    assert pages - set(nav) == set(), "pages missing from the nav of mkdocs.yml"
    assert set(nav) - pages == set(), "nav entries without a page"


def test_link_extraction_skips_code_and_external_links(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "[a](a.md) ![fig](img/f.png) [web](https://x.org) [top](#here)\n"
        "`[code](not-a-link.md)`\n```\n[fenced](nope.md)\n```\n[b](b.md#part)\n",
        encoding="utf-8",
    )
    assert _relative_links(page) == ["a.md", "img/f.png", "b.md#part"]
