"""Where the shipped Turtle lives: inside the installed package, or at the top of a checkout."""

from __future__ import annotations

from pathlib import Path

KB_FOLDERS = ("ontology", "data", "shapes")


def kb_root() -> Path:
    """The folder that holds ontology/, data/ and shapes/.

    A built wheel carries them inside the package; an editable install or a checkout keeps them one
    level above service/.
    """
    here = Path(__file__).resolve().parent
    for candidate in (here, here.parent):
        if all((candidate / folder).is_dir() for folder in ("ontology", "shapes")):
            return candidate
    raise FileNotFoundError(f"no ontology/ and shapes/ folders beside {here} or its parent")


def turtle_files(folder: str) -> list[Path]:
    """Every Turtle file of one of the knowledge-base folders, in a stable order; hidden folders (an
    ingest's staging area) are not part of it."""
    root = kb_root() / folder
    found = root.rglob("*.ttl")
    return sorted(p for p in found if not any(part.startswith(".") for part in p.relative_to(root).parts))


def knowledge_base_files() -> list[Path]:
    """The ontology, glossary, code lists and statistics: what the store serves."""
    return turtle_files("ontology") + turtle_files("data")


def shapes_files() -> list[Path]:
    return turtle_files("shapes")


def source_key_of(path: Path) -> str | None:
    """The key of the source whose published figures a file holds (``data/sources/{key}/*.ttl``), or
    None for any other file of the knowledge base."""
    parent = path.parent
    return parent.name if parent.parent.name == "sources" and not parent.name.startswith(".") else None
