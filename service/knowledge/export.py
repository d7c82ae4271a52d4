"""Export the knowledge base's figures as tidy CSV, the layout ``mappa-kb ingest`` reads.

Every source's figures as published (``mappa-kb export``): a figure read from a tidy CSV is written back
as it was read (the area as the file named it, a level or category as the file wrote it, its source
and its note), so CSV -> RDF -> CSV is lossless but for the order of the rows, which is by source, area,
year and cell; figures read from a report come with the report as their source. The headline layer
(the data set downloads): one row per cell, its sources joined by " ; ", its status and any
disagreement in the notes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

from mappa_kb import paths
from mappa_kb.engine.loading import load_store
from mappa_kb.knowledge import queries

# The tidy CSV layout: what this module writes and ``mappa-kb ingest`` reads (``ingest.tidy_csv``).
COLUMNS = ["area", "period_start", "period_end", "table", "level", "category", "value", "source_url", "notes"]

_NAMES = [
    "dataset", "layer", "cell", "areaWritten", "areaLabel", "start", "end", "table", "levelCode",
    "categoryCode", "levelWritten", "categoryWritten", "levelGiven", "categoryGiven", "value", "missing",
    "sourceId", "source", "note", "status", "disputed",
]  # fmt: skip
# SDMX observation status (sdmx-code:obsStatus-X) in the words a downloaded row's notes use.
_STATUS_WORDS = {
    "B": "[b] break in series: not comparable with the years before",
    "E": "[e] estimated",
    "P": "[p] provisional",
    "L": "[x] no usable figure",
}


def export_rows(files: Sequence[Path] | None = None, layer: str = "published") -> list[list[str]]:
    """Every cell of one layer ("published" or "headline") as tidy-CSV rows (without the header)."""
    store = load_store(list(files) if files is not None else paths.knowledge_base_files())
    cells = [
        {name: (found[name].value if found[name] is not None else "") for name in _NAMES}
        for found in store.query(queries.load("export-csv"))
    ]
    return tidy_rows(c for c in cells if c["layer"] == layer)


def tidy_rows(cells: Iterable[dict[str, str]]) -> list[list[str]]:
    """Tidy-CSV rows for the answers of export-csv.rq (variable -> value, "" when unbound): one per cell,
    its sources joined."""
    by_cell: dict[str, dict[str, str]] = {}
    sources: dict[str, set[str]] = {}
    for cell in cells:
        by_cell.setdefault(cell["cell"], cell)
        sources.setdefault(cell["cell"], set()).add(cell["sourceId"] or cell["source"])
    rows = []
    for key, cell in sorted(by_cell.items(), key=lambda item: _order(item[1])):
        rows.append(_row(cell, " ; ".join(sorted(s for s in sources[key] if s))))
    return rows


def _order(cell: dict[str, str]) -> tuple:
    """A stable order, whatever files the figures came in: by data set (source, area and year), then
    statistic, level and category."""
    return (cell["dataset"], cell["table"], cell["levelCode"], cell["categoryCode"], cell["cell"])


def _row(cell: dict[str, str], source: str) -> list[str]:
    value = cell["value"] or ("" if queries.is_true(cell["missing"]) else "-")
    return [
        cell["areaWritten"] or cell["areaLabel"],
        cell["start"],
        cell["end"],
        cell["table"],
        cell["levelWritten"] if queries.is_true(cell["levelGiven"]) else cell["levelCode"],
        cell["categoryWritten"] if queries.is_true(cell["categoryGiven"]) else cell["categoryCode"],
        value,
        source,
        _note(cell),
    ]


def _note(cell: dict[str, str]) -> str:
    if cell["layer"] == "published":  # a tidy CSV's notes (its data set keeps the area as written)
        return cell["note"] if cell["areaWritten"] else ""
    words = [_STATUS_WORDS.get(cell["status"].rsplit("-", 1)[-1], "")] if cell["status"] else []
    if queries.is_true(cell["disputed"]):
        words.append("sources disagree: this is the headline figure (see `mappa-kb conflicts`)")
    return "; ".join(w for w in [*words, cell["note"]] if w)


def to_csv(rows: list[list[str]]) -> str:
    """Tidy CSV text: the header, then the rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return out.getvalue()
