"""Fixed SPARQL queries, kept as .rq files; values reach them only as bound IRIs or literals."""

from pathlib import Path

_HERE = Path(__file__).parent


def load(name: str) -> str:
    """The text of ``name``.rq from this folder."""
    return (_HERE / f"{name}.rq").read_text(encoding="utf-8")
