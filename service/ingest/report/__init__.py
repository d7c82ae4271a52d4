"""Read the MAPPA tables of a text: an area's annual report of any era (2002-2024), its HTML
rendering, a Hansard written answer, a table by area and year, a press-agency article.

``read_tables`` gives every area-year the text holds and an account of what was and was not read;
``read_report`` gives the one area-year of a single area's report. The layouts are those of
shared/data/report_layouts.md.
"""

from __future__ import annotations

from mappa_kb.ingest.report.lines import Line
from mappa_kb.ingest.report.prose import TEXT_TABLE, prose_figures
from mappa_kb.ingest.report.reader import STATISTICS_PAGE, ReportRead, era_basis, read_report, read_tables

__all__ = [
    "STATISTICS_PAGE",
    "TEXT_TABLE",
    "Line",
    "ReportRead",
    "era_basis",
    "prose_figures",
    "read_report",
    "read_tables",
]
