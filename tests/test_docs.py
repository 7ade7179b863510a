"""The documentation: every relative link in the README and docs/ leads somewhere real."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [ROOT / "README.md", *DOCS]

FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
CODE_SPAN = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"\[[^\]\n]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6} +(.+?) *#*$", re.M)


def _prose(text: str) -> str:
    """The text without code blocks and code spans, where brackets are not links."""
    return CODE_SPAN.sub("", FENCE.sub("", text))


def _slug(heading: str) -> str:
    """The anchor a heading gets on GitHub: lower case, punctuation dropped, spaces to '-'."""
    text = heading.replace("`", "").strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading's anchor in a Markdown file (repeated headings get -1, -2, ...)."""
    seen: dict[str, int] = {}
    out: set[str] = set()
    for heading in HEADING.findall(FENCE.sub("", path.read_text(encoding="utf-8"))):
        slug = _slug(heading)
        n = seen.get(slug, 0)
        out.add(slug if n == 0 else f"{slug}-{n}")
        seen[slug] = n + 1
    return out


def broken_links(page: Path) -> list[str]:
    """The relative links of ``page`` whose file, or anchor in it, does not exist."""
    broken = []
    for target in LINK.findall(_prose(page.read_text(encoding="utf-8"))):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ... are not ours to check
            continue
        file_part, _, anchor = target.partition("#")
        linked = (page.parent / file_part).resolve() if file_part else page
        if not linked.exists():
            broken.append(f"{page.name}: {target}: no file {file_part}")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(f"{page.name}: {target}: no heading #{anchor} in {linked.name}")
    return broken


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_relative_link_resolves(page: Path) -> None:
    """Each relative link in the page names a file that exists, and an anchor it has."""
    assert broken_links(page) == []


def test_a_broken_link_is_found(tmp_path: Path) -> None:
    """The check itself: a missing file and a missing heading are both reported."""
    (tmp_path / "other.md").write_text("# Present heading\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](other.md#present-heading) [gone](missing.md) [nowhere](other.md#absent) "
        "`[not a link](missing.md)` [web](https://example.org/x)\n",
        encoding="utf-8",
    )
    assert broken_links(page) == [
        "page.md: missing.md: no file missing.md",
        "page.md: other.md#absent: no heading #absent in other.md",
    ]


def test_headings_become_github_anchors(tmp_path: Path) -> None:
    """Punctuation goes, spaces become hyphens, code marks are dropped, repeats are numbered."""
    page = tmp_path / "page.md"
    page.write_text(
        "## 2. The Act: per child\n## `homes.csv`\n## Limits\n## Limits\n", encoding="utf-8"
    )
    assert anchors(page) == {"2-the-act-per-child", "homescsv", "limits", "limits-1"}


def test_the_index_lists_every_document() -> None:
    """docs/README.md links each document of docs/ (a new document joins the index)."""
    index = (ROOT / "docs" / "README.md").read_text(encoding="utf-8")
    listed = {target.partition("#")[0] for target in LINK.findall(_prose(index))}
    assert {p.name for p in DOCS if p.name != "README.md"} <= listed


def test_the_readme_links_the_documentation() -> None:
    """The README's "Documentation" section links the index and every document."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Documentation", 1)[1].split("\n## ", 1)[0]
    listed = set(LINK.findall(section))
    assert {f"docs/{p.name}" for p in DOCS} <= listed


def test_no_document_sends_readers_to_the_team_notes() -> None:
    """The documents stand on their own: none names the team's private design notes."""
    notes = ("DESIGN" + ".md", "REFERENCE" + ".md")  # spelled apart: this file is tracked too
    assert [p.name for p in PAGES if any(n in p.read_text(encoding="utf-8") for n in notes)] == []


def test_every_setting_is_documented_for_operators() -> None:
    """Each FOSTERMATCH_* variable of api/settings.py has its row in docs/operating.md."""
    from api.settings import PREFIX, Settings

    text = (ROOT / "docs" / "operating.md").read_text(encoding="utf-8")
    names = [f"{PREFIX}{field.upper()}" for field in Settings.model_fields]
    assert [n for n in names if f"| `{n}` |" not in text] == []


COMMANDS = ("import", "export", "generate", "gaps", "match", "plan", "serve", "db", "keys")


def _help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """What ``fostermatch ARGV --help`` prints."""
    from api.cli.main import build_parser

    with pytest.raises(SystemExit):
        build_parser().parse_args([*argv, "--help"])
    return capsys.readouterr().out


def test_the_help_names_documents_that_exist(capsys: pytest.CaptureFixture[str]) -> None:
    """The top-level help ends with the documentation's index; import and gaps name theirs;
    every docs/ file a help names exists."""
    texts = {name: _help([name], capsys) for name in COMMANDS}
    texts["fostermatch"] = _help([], capsys)
    assert "Documentation: docs/README.md in the source" in texts["fostermatch"]
    assert "docs/data-format.md" in texts["import"]
    assert "docs/recruitment.md" in texts["gaps"]
    named = {m for text in texts.values() for m in re.findall(r"docs/[\w.-]+\.md", text)}
    assert named and [m for m in sorted(named) if not (ROOT / m).is_file()] == []
