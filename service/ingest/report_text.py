"""Read the statistics tables of a MAPPA report from its text: kept for existing callers; the reader
lives in the package ``report`` (one module per layout concern)."""

from __future__ import annotations

from mappa_kb.ingest.report import (
    STATISTICS_PAGE,
    TEXT_TABLE,
    Line,
    ReportRead,
    prose_figures,
    read_report,
    read_tables,
)

__all__ = [
    "STATISTICS_PAGE",
    "TEXT_TABLE",
    "Line",
    "ReportRead",
    "prose_figures",
    "read_report",
    "read_tables",
]
