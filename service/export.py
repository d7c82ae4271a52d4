"""Export the knowledge base's figures as tidy CSV, the layout ``mappa-kb ingest`` reads.

A figure read from a tidy CSV is written back as it was read: the area as the file named it, a level
or category left blank left blank, its source and its note, in the order of the file's rows. Figures
read from a report follow, in a stable order, with the report as their source.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

from . import paths, queries
from .ingest.tidy_csv import COLUMNS
from .validate import load_store

_NAMES = [
    "dataset", "areaWritten", "areaLabel", "start", "end", "table", "levelCode", "categoryCode",
    "levelBlank", "categoryBlank", "value", "sourceId", "source", "row", "note",
]  # fmt: skip


def export_rows(files: Sequence[Path] | None = None) -> list[list[str]]:
    """Every cell of the knowledge base as a tidy-CSV row (without the header), in a stable order."""
    store = load_store(list(files) if files is not None else paths.knowledge_base_files())
    cells = [
        {name: (found[name].value if found[name] is not None else "") for name in _NAMES}
        for found in store.query(queries.load("export-csv"))
    ]
    return tidy_rows(cells)


def tidy_rows(cells: Iterable[dict[str, str]]) -> list[list[str]]:
    """Tidy-CSV rows for the answers of export-csv.rq (variable -> value, "" when unbound)."""
    return [_row(cell) for cell in sorted(cells, key=_order)]


def _order(cell: dict[str, str]) -> tuple:
    """CSV figures in the order of their rows, then report figures by data set and cell."""
    if cell["row"]:
        return (0, int(cell["row"]), cell["sourceId"], cell["note"])
    return (1, cell["dataset"], cell["table"], cell["levelCode"], cell["categoryCode"])


def _row(cell: dict[str, str]) -> list[str]:
    return [
        cell["areaWritten"] or cell["areaLabel"],
        cell["start"],
        cell["end"],
        cell["table"],
        "" if cell["levelBlank"] == "true" else cell["levelCode"],
        "" if cell["categoryBlank"] == "true" else cell["categoryCode"],
        cell["value"] or "-",
        cell["sourceId"] or cell["source"],
        cell["note"],
    ]


def to_csv(rows: list[list[str]]) -> str:
    """Tidy CSV text: the header, then the rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return out.getvalue()
