"""docs/architecture.md names every module under services/ and gateway/, and no module that does not exist.

The page's layout lists each directory at the start of a line, then the modules in it (``quotes.py``,
or ``core/money.py``-like paths below it, written ``core/ (money.py, ...)``); anywhere else the page
names a module by its whole path (``services/packages/prices.py``)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "architecture.md"
SECTION = re.compile(r"^([\w./-]+/)\s")
MODULE = re.compile(r"(?<![\w/.])([\w/]*\w+\.py)\b")
SUBPACKAGE = re.compile(r"(?<![\w/.])(\w+/) \(([^)]*)\)")


def layout(text: str) -> str:
    """The page's layout block."""
    return text.split("## Layout", 1)[1].split("```", 2)[1]


def named_in_layout(text: str) -> set[str]:
    """Every module the layout names, as a path from the repository's root."""
    named: set[str] = set()
    sections: dict[str, str] = {}
    current = None
    for line in layout(text).splitlines():
        header = SECTION.match(line)
        if header:
            current = header.group(1)
            line = line[len(current) :]
        if current is not None:
            sections[current] = sections.get(current, "") + " " + line.strip()
    for directory, words in sections.items():
        for sub, listed in ((m.group(1), m.group(2)) for m in SUBPACKAGE.finditer(words)):
            named |= {directory + sub + module for module in MODULE.findall(listed)}
        bare = SUBPACKAGE.sub(lambda m: m.group(1), words)  # a subpackage's modules are its own, not the directory's
        named |= {directory + module for module in MODULE.findall(bare)}
    return named


def named_by_path(text: str) -> set[str]:
    """The modules the page names by their whole path, outside the layout."""
    rest = text.replace(layout(text), "")
    return {path for path in MODULE.findall(rest) if path.startswith(("services/", "gateway/"))}


def modules() -> set[str]:
    return {
        path.relative_to(ROOT).as_posix()
        for folder in ("services", "gateway")
        for path in (ROOT / folder).rglob("*.py")
        if path.name != "__init__.py"
    }


def test_the_page_names_every_module_of_the_services_and_the_gateway():
    missing = sorted(modules() - named_in_layout(PAGE.read_text()))
    assert not missing, "docs/architecture.md does not name: " + ", ".join(missing)


def test_every_module_the_page_names_exists():
    text = PAGE.read_text()
    named = named_in_layout(text) | named_by_path(text)
    gone = sorted(path for path in named if not (ROOT / path).is_file())
    assert not gone, "docs/architecture.md names modules that do not exist: " + ", ".join(gone)
