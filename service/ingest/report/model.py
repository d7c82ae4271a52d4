"""What a block reader hands back: the figures of one printed table, the lines it used, and what in
them it could not read. Figures are placed in an area and a year only afterwards, by the reader."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from mappa_kb.ingest.report.lines import Figure, Line
from mappa_kb.ingest.report.measures import Measure


@dataclass(frozen=True)
class Found:
    """One figure read, before it is placed in an area-year: ``area`` and ``start_year`` None mean the
    report's own area and year."""

    measure: Measure
    value: int | Decimal | None
    line: int
    status: str = ""
    note: str = ""  # how the figure was printed, where that matters ("1—": not collected)
    area: tuple[str, str] | None = None
    start_year: int | None = None
    by_era: bool = True  # counted as the reports of its era counted it (see reader.era_basis)

    @classmethod
    def of(cls, measure: Measure, printed: Figure, line: int, **more) -> Found:
        return cls(measure, printed.value, line, printed.status, printed.note, **more)


@dataclass
class Block:
    """One table (or list, or run of labelled figures) of the text."""

    kind: str  # in words, for the account of what was read: "table", "figures", "table by year"
    title: str
    first: int  # index of its first line
    end: int  # index after its last line
    found: list[Found] = field(default_factory=list)
    used: set[int] = field(default_factory=set)  # line numbers this block accounts for
    problems: list[tuple[int, str]] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)
    year_said: tuple[int, int, str] | None = None  # (start year, line, words) it states for the report
    notes: list[str] = field(default_factory=list)  # said about how it was read, for the account

    def use(self, line: Line) -> None:
        self.used.add(line.number)
