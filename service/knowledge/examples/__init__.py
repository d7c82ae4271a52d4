"""Example SPARQL queries for the query page, kept as .rq files with a title and a description."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

_HERE = Path(__file__).parent


@dataclass(frozen=True)
class Example:
    title: str
    description: str
    text: str


def examples() -> list[Example]:
    """Every example, in file-name order; the first two comment lines give its title and description."""
    found = []
    for path in sorted(_HERE.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        title = lines[0].removeprefix("# title: ").strip()
        description = lines[1].removeprefix("# description: ").strip()
        found.append(Example(title, description, text))
    return found
