"""The docs stand on their own: no citation of notes outside the repository, every link between pages
resolves, and every `domain-facts.md §N` / `sources.md §N` citation names a section that exists.

Why: a comment that cites a file the reader does not have cannot be checked, and a renumbered section
silently orphans the comments that point at it.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

# Built from parts so that this file does not match itself.
_OUTSIDE = re.compile(
    "|".join(
        (
            r"(?<![\w-])" + "domain" + r"\.md",  # the old notes file (docs/domain-facts.md is ours)
            r"(?<![\w./-])" + "domain" + r"\s+§",  # the same, cited without its extension
            "anch" + r"ors(\.md)?\s*§",
            r"\.\./" + "shared",
            "/work/" + "shared",
        )
    )
)
_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
# "domain-facts.md §5.1 (…), §4.3": every § up to the next page name counts for this page.
_CITED = re.compile(r"(domain-facts|sources)\.md\)?((?:(?:(?!\.md)[^§\n]){0,40}?§\d+(?:\.\d+)?)+)")
_SECTION = re.compile(r"§(\d+(?:\.\d+)?)")


def _texts() -> list[Path]:
    """Every text file that may carry a citation: docs, code, rule files, templates, tests, bench."""
    files = [ROOT / "README.md", *DOCS.rglob("*.md")]
    for top in ("src", "tests", "bench"):
        for path in (ROOT / top).rglob("*"):
            if path.is_file() and path.suffix in {".py", ".md", ".json", ".html", ".toml", ".txt", ".sql"}:
                files.append(path)
    return sorted(files)


def outside_citations(text: str) -> list[str]:
    return [m.group(0) for m in _OUTSIDE.finditer(text)]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def headings(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    out, fenced = [], False
    for line in lines:
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and re.match(r"#{1,6} ", line):
            out.append(line.lstrip("#").strip())
    return out


def broken_links(path: Path, root: Path = ROOT) -> list[str]:
    """Relative links of one Markdown file whose file (or heading anchor) does not exist."""
    bad = []
    for target in _LINK.findall(path.read_text(encoding="utf-8")):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        dest = (path.parent / file_part).resolve() if file_part else path
        if not dest.exists():
            bad.append(f"{path.relative_to(root)} → {target}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in {slug(h) for h in headings(dest)}:
            bad.append(f"{path.relative_to(root)} → {target}: no such heading")
    return bad


def numbered_sections(path: Path) -> set[str]:
    """'1', '1.1', … from headings like '## 1. Registration forms' and '### 1.1 Regsosek 2022'."""
    return {m.group(1) for h in headings(path) if (m := re.match(r"(\d+(?:\.\d+)?)\.?\s", h))}


def cited_sections(text: str) -> list[tuple[str, str]]:
    return [
        (page, number)
        for m in _CITED.finditer(text)
        for page in [m.group(1)]
        for number in _SECTION.findall(m.group(2))
    ]


def test_nothing_cites_notes_outside_the_repository():
    offenders = [
        f"{path.relative_to(ROOT)}: {hit}"
        for path in _texts()
        for hit in outside_citations(path.read_text(encoding="utf-8", errors="replace"))
    ]
    assert offenders == []


def test_every_link_between_docs_pages_resolves():
    pages = [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]
    assert len(pages) > 10
    assert [bad for page in pages for bad in broken_links(page)] == []


def test_every_cited_section_exists():
    sections = {name: numbered_sections(DOCS / f"{name}.md") for name in ("domain-facts", "sources")}
    assert {"1.1", "3.2", "6.2"} <= sections["domain-facts"] and {"2.4"} <= sections["sources"]
    citations = [
        (path, page, number)
        for path in _texts()
        for page, number in cited_sections(path.read_text(encoding="utf-8", errors="replace"))
    ]
    assert len(citations) > 30  # the code really points at these pages
    missing = [
        f"{p.relative_to(ROOT)}: {page}.md §{n}" for p, page, n in citations if n not in sections[page]
    ]
    assert missing == []


def test_the_checks_catch_what_they_look_for(tmp_path):
    assert outside_citations("see " + "domain" + ".md §3.2 and " + "anch" + "ors §10.7") != []
    assert outside_citations("../" + "shared/glossary.md") != []
    assert outside_citations("(hasil verivali, " + "domain" + " §2.3A)") != []
    assert outside_citations("docs/domain-facts.md §3.2, docs/sources.md §2.4, link anchors") == []

    (tmp_path / "a.md").write_text(
        "# Top\n\n## 2. Second part\n\n[ok](a.md#2-second-part) [web](https://x.id)\n"
    )
    (tmp_path / "b.md").write_text("[gone](c.md) [no heading](a.md#nothing) ![img](missing.png)\n")
    assert broken_links(tmp_path / "a.md", tmp_path) == []
    assert broken_links(tmp_path / "b.md", tmp_path) == [
        "b.md → c.md: no such file",
        "b.md → a.md#nothing: no such heading",
    ]

    assert numbered_sections(tmp_path / "a.md") == {"2"}
    assert cited_sections("(docs/domain-facts.md §5.1 marks …), §4.3 and sources.md §2.6") == [
        ("domain-facts", "5.1"),
        ("domain-facts", "4.3"),
        ("sources", "2.6"),
    ]
    assert cited_sections("[domain-facts.md](domain-facts.md) §2.2, §2.3") == [
        ("domain-facts", "2.2"),
        ("domain-facts", "2.3"),
    ]
